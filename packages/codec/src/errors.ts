/**
 * Why a body could not be decoded. The HTTP layer maps each kind to a status:
 * `unsupported_media_type` → 415, `too_large` → 413, every other kind → 400 (the data will never
 * be accepted, so Prometheus must not retry it).
 */
export type CodecErrorKind =
  /** Not a valid snappy block: empty, framed, uncompressed or corrupt. */
  | 'snappy'
  /** The declared or actual size exceeds the configured cap. */
  | 'too_large'
  /** Not a valid protobuf message of the expected schema (truncated, bad varint, wrong wire type). */
  | 'protobuf'
  /** Well-formed protobuf whose content breaks the protocol (odd `labels_refs`, symbol out of range). */
  | 'invalid_data'
  /** A sample timestamp that is negative or beyond ±2^53 ms, which no JavaScript number holds exactly. */
  | 'timestamp_out_of_range'
  /** A Content-Type or Content-Encoding this codec does not speak. */
  | 'unsupported_media_type'
  /** None of the response types a remote-read client accepts is supported. */
  | 'unsupported_response_type';

/** The one error type the codec throws; `kind` is machine-readable, `message` is for humans. */
export class CodecError extends Error {
  public readonly kind: CodecErrorKind;

  public constructor(kind: CodecErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CodecError';
    this.kind = kind;
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Text taken from a request (or from Timestream, which quotes labels) as an error message repeats
 * it: control characters escaped (`\x1b`) and cut after `maxChars`, so an answer never carries
 * raw control bytes or the whole of a huge header.
 */
export const printable = (text: string, maxChars: number): string =>
  (text.length > maxChars ? `${text.slice(0, maxChars)}…` : text).replace(
    CONTROL_CHARACTERS,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
