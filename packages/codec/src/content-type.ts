import { CodecError, printable } from './errors.js';
import type { RemoteWriteVersion } from './model.js';

const PROTOBUF_MEDIA_TYPE = 'application/x-protobuf';
const V1_MESSAGE = 'prometheus.WriteRequest';
const V2_MESSAGE = 'io.prometheus.write.v2.Request';

/** The Content-Type Prometheus sends for each remote-write version. */
export const WRITE_CONTENT_TYPES: Readonly<Record<RemoteWriteVersion, string>> = {
  '1.0': PROTOBUF_MEDIA_TYPE,
  '2.0': `${PROTOBUF_MEDIA_TYPE};proto=${V2_MESSAGE}`,
};

/** Longest header value a message repeats; the rest is cut. */
const MAX_QUOTED_CHARS = 100;

const quote = (value: string): string => `"${printable(value, MAX_QUOTED_CHARS)}"`;

/**
 * Chooses the remote-write version from the request's Content-Type, as the 2.0 spec and
 * client_golang's `ParseProtoMsg` do: an empty header or bare `application/x-protobuf` is 1.0,
 * `proto=` picks the message, and anything else is unsupported (415).
 */
export const selectWriteVersion = (contentType: string | undefined): RemoteWriteVersion => {
  if (contentType === undefined || contentType.trim() === '') return '1.0';
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim());
  if (mediaType.toLowerCase() !== PROTOBUF_MEDIA_TYPE) {
    throw new CodecError(
      'unsupported_media_type',
      `unsupported Content-Type ${quote(contentType)}: expected ${PROTOBUF_MEDIA_TYPE}`,
    );
  }
  // As client_golang's ParseProtoMsg: every parameter must be key=value, and the first `proto`
  // decides. Unlike it, whitespace around parameters and letter case of names are tolerated (RFC 9110).
  let version: RemoteWriteVersion | undefined;
  for (const parameter of parameters) {
    const separator = parameter.indexOf('=');
    if (separator < 0) {
      throw new CodecError(
        'unsupported_media_type',
        `unsupported Content-Type ${quote(contentType)}: parameter ${quote(parameter)} is not key=value`,
      );
    }
    if (version !== undefined || parameter.slice(0, separator).trim().toLowerCase() !== 'proto') continue;
    const message = parameter.slice(separator + 1).trim();
    if (message === V1_MESSAGE) version = '1.0';
    else if (message === V2_MESSAGE) version = '2.0';
    else {
      throw new CodecError(
        'unsupported_media_type',
        `unsupported remote-write message ${quote(message)}: expected ${V1_MESSAGE} or ${V2_MESSAGE}`,
      );
    }
  }
  return version ?? '1.0';
};

/**
 * Checks a remote-read request's Content-Type. Prometheus (2.42 and 3.x) always sends bare
 * `application/x-protobuf`; parameters are tolerated, as for remote write, and a missing or empty
 * header passes, as remote write's does (no sender is known to omit it, and refusing it would buy
 * nothing). Any other media type is unsupported (415).
 */
export const assertReadContentType = (contentType: string | undefined): void => {
  if (contentType === undefined) return;
  const mediaType = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (mediaType === '' || mediaType === PROTOBUF_MEDIA_TYPE) return;
  throw new CodecError(
    'unsupported_media_type',
    `unsupported Content-Type ${quote(contentType)}: expected ${PROTOBUF_MEDIA_TYPE}`,
  );
};

/** Only snappy (or no header, which Prometheus never sends but the spec treats as snappy) is accepted. */
export const assertSnappyEncoding = (contentEncoding: string | undefined): void => {
  if (contentEncoding === undefined) return;
  const encoding = contentEncoding.trim().toLowerCase();
  if (encoding === '' || encoding === 'snappy') return;
  throw new CodecError(
    'unsupported_media_type',
    `unsupported Content-Encoding ${quote(contentEncoding)}: only snappy is accepted`,
  );
};
