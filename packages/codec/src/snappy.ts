import { compressSync, uncompressSync } from 'snappy';
import { CodecError } from './errors.js';

/**
 * Prometheus caps decoded remote-read requests at 32 MiB (`decodeReadLimit`); we use the same
 * default, and so does the connector's `--max-decoded-bytes` (it imports this one).
 */
export const DEFAULT_MAX_DECODED_BYTES = 32 * 1024 * 1024;

/** The stream identifier chunk that starts every framed-snappy stream. */
const FRAMED_SNAPPY_MAGIC = [0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59];

export interface SnappyOptions {
  /**
   * Largest decoded size accepted, checked against the block's declared length before anything
   * is allocated.
   * @default DEFAULT_MAX_DECODED_BYTES (32 MiB)
   */
  readonly maxDecodedBytes?: number;
}

/**
 * Reads the uvarint that starts every snappy block: the uncompressed length. Returns undefined
 * when the preamble is not a valid 32-bit uvarint.
 */
const readDeclaredLength = (body: Uint8Array): number | undefined => {
  let length = 0;
  for (let i = 0; i < 5 && i < body.length; i++) {
    const b = body[i] as number;
    length += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return length <= 0xffffffff ? length : undefined;
  }
  return undefined;
};

const startsWith = (body: Uint8Array, prefix: readonly number[]): boolean =>
  body.length >= prefix.length && prefix.every((b, i) => body[i] === b);

/**
 * The size a snappy block says it decodes to (its length preamble), read without decompressing,
 * so a caller can account for the memory a body will take before allocating any of it. Undefined
 * for what is not a snappy block at all: an empty body, the framed format, an invalid preamble
 * (`decompressSnappyBlock` refuses those). The block may still turn out corrupt when decoded.
 */
export const decodedLengthOfSnappyBlock = (body: Uint8Array): number | undefined =>
  startsWith(body, FRAMED_SNAPPY_MAGIC) ? undefined : readDeclaredLength(body);

/**
 * Decompresses one snappy block (the format Prometheus uses, not the framed format). Empty,
 * framed, corrupt or oversized bodies throw a `CodecError` before the output is allocated.
 */
export const decompressSnappyBlock = (body: Uint8Array, options: SnappyOptions = {}): Uint8Array => {
  const maxDecodedBytes = options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES;
  if (body.length === 0) throw new CodecError('snappy', 'snappy: empty body');
  if (startsWith(body, FRAMED_SNAPPY_MAGIC)) {
    throw new CodecError('snappy', 'snappy: framed format is not supported, send a snappy block');
  }
  const declared = readDeclaredLength(body);
  if (declared === undefined)
    throw new CodecError('snappy', 'snappy: corrupt input (invalid length preamble)');
  if (declared > maxDecodedBytes) {
    throw new CodecError(
      'too_large',
      `snappy: decoded length ${declared} bytes exceeds the limit of ${maxDecodedBytes} bytes`,
    );
  }
  try {
    // `copyOutputData` makes the binding return a V8-heap Buffer instead of an external one. The
    // binding calls that slower, but every external buffer counts towards V8's external-memory
    // limit and forces full GCs; with a realistic live heap, copying measured ~10× faster overall.
    const input = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const decoded = uncompressSync(input, { copyOutputData: true }) as Buffer;
    return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
  } catch (error) {
    throw new CodecError('snappy', 'snappy: corrupt input', { cause: error });
  }
};

/** Compresses bytes into one snappy block. */
export const compressSnappyBlock = (data: Uint8Array): Uint8Array => {
  const compressed = compressSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
    copyOutputData: true,
  });
  return new Uint8Array(compressed.buffer, compressed.byteOffset, compressed.byteLength);
};
