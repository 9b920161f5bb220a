/**
 * The decode step of both routes: the codec's decoder on the body, its errors mapped to statuses,
 * and a hint when the body is a request of the other route.
 */
import {
  CodecError,
  type DecodedReadRequest,
  type DecodedWriteRequest,
  decodeReadRequest,
  decodeWriteRequest,
  type SnappyOptions,
} from '@prometheus-timestream/codec';
import { fromCodecError } from './answer.js';
import { BadRequestError } from './errors.js';
import type { CoreRequest, Route } from './request.js';
import { sentAs } from './routing.js';

interface Decoded {
  readonly write: DecodedWriteRequest;
  readonly read: DecodedReadRequest;
}

const headersOf = (request: Pick<CoreRequest, 'headers'>) => ({
  contentType: request.headers['content-type'],
  contentEncoding: request.headers['content-encoding'],
});

const DECODERS: { readonly [R in Route]: (request: CoreRequest, limits: SnappyOptions) => Decoded[R] } = {
  write: (request, limits) => decodeWriteRequest(request.body, headersOf(request), limits),
  read: (request, limits) => decodeReadRequest(request.body, headersOf(request), limits),
};

/** Added to a protobuf decoding error when no header says what the body is. */
const WRONG_BODY_HINTS: Readonly<Record<Route, string>> = {
  write: "is this a remote-read body? remote_read's url ends in /read",
  read: "is this a remote-write body? remote_write's url ends in /write",
};

/** Whether the body is a valid request of the other route (for the hint of a failed decoding). */
const decodesAs = (request: CoreRequest, route: Route, limits: SnappyOptions): boolean => {
  try {
    DECODERS[route](request, limits);
    return true;
  } catch (error) {
    if (error instanceof CodecError) return false;
    throw error;
  }
};

/**
 * Decodes the body as a request of `route`, within the decoded-size limit.
 *
 * @throws ConnectorError 413 (too large once decompressed), 415 (media type), 400 (malformed)
 */
export const decodeBody = <R extends Route>(
  request: CoreRequest,
  route: R,
  limits: SnappyOptions,
): Decoded[R] => {
  try {
    return DECODERS[route](request, limits);
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    // With no header saying what the body is (headers that do are checked before decoding), a
    // body of the other kind fails as protobuf: the hint is given when it decodes as that kind.
    // The second decoding runs only on this failure path, within the same size limits.
    const other: Route = route === 'write' ? 'read' : 'write';
    if (
      error.kind === 'protobuf' &&
      sentAs(request.headers) === undefined &&
      decodesAs(request, other, limits)
    )
      throw new BadRequestError(`malformed request: ${error.message}; ${WRONG_BODY_HINTS[route]}`, {
        cause: error,
      });
    throw fromCodecError(error);
  }
};
