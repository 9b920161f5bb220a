import { assertSnappyEncoding, selectWriteVersion } from './content-type.js';
import type { DecodedWriteRequest } from './model.js';
import { decompressSnappyBlock, type SnappyOptions } from './snappy.js';
import { decodeWriteRequestV1 } from './write-v1.js';
import { decodeWriteRequestV2 } from './write-v2.js';

export interface WriteRequestHeaders {
  /** The request's Content-Type; it selects remote write 1.0 or 2.0. */
  readonly contentType?: string | undefined;
  readonly contentEncoding?: string | undefined;
}

/**
 * Decodes a remote-write HTTP body: checks Content-Type and Content-Encoding, decompresses the
 * snappy block within the size cap, and decodes the protobuf of the version the Content-Type
 * names into the normalized model.
 *
 * @throws CodecError `unsupported_media_type` (415), `too_large` (413), or a 400 kind
 * @example
 * ```ts
 * const request = decodeWriteRequest(body, {
 *   contentType: headers['content-type'],
 *   contentEncoding: headers['content-encoding'],
 * });
 * const { timestampsMs, values, stale } = request.samples;
 * for (const series of request.series) {
 *   if (series.invalidLabels !== null) continue; // skip and count it
 *   for (let i = series.sampleStart; i < series.sampleStart + series.sampleCount; i++)
 *     store(series.labels, timestampsMs[i], values[i], stale[i] === 1);
 * }
 * ```
 */
export const decodeWriteRequest = (
  body: Uint8Array,
  headers: WriteRequestHeaders = {},
  options: SnappyOptions = {},
): DecodedWriteRequest => {
  const version = selectWriteVersion(headers.contentType);
  assertSnappyEncoding(headers.contentEncoding);
  const message = decompressSnappyBlock(body, options);
  return version === '2.0' ? decodeWriteRequestV2(message) : decodeWriteRequestV1(message);
};
