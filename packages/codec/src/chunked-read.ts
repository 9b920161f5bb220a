/**
 * The STREAMED_XOR_CHUNKS remote-read response (`storage/remote/chunked.go`, `codec.go`
 * `StreamChunkedReadResponses`): a run of frames, each `uvarint(len(data))`, a big-endian CRC-32C
 * of `data`, then `data`, a marshalled `prometheus.ChunkedReadResponse` holding one series.
 */
import { crc32c } from './crc32c.js';
import { CodecError } from './errors.js';
import { decodeLabel, encodeLabel } from './messages.js';
import type { FloatSample, Label } from './model.js';
import { ProtoReader, ProtoWriter, WireType } from './wire.js';
import { decodeXorChunk, encodeXorChunk, MAX_SAMPLES_PER_XOR_CHUNK } from './xor-chunk.js';

/** The Content-Type of a streamed response; it carries no Content-Encoding (frames are not snappy). */
export const STREAMED_CONTENT_TYPE = 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse';

/** Prometheus's `--storage.remote.read-max-bytes-in-frame` default: 1 MiB. */
export const DEFAULT_MAX_BYTES_IN_FRAME = 1024 * 1024;

/** Prometheus's client-side `chunked_read_limit` default (5e7 bytes per frame). */
export const DEFAULT_MAX_FRAME_BYTES = 50_000_000;

/** Prometheus's `--storage.remote.read-sample-limit` default (5e7 samples per query). */
export const DEFAULT_MAX_DECODED_SAMPLES = 50_000_000;

/** `prometheus.Chunk.Encoding.XOR`. */
const CHUNK_ENCODING_XOR = 1;

/** Bytes of the big-endian CRC-32C between a frame's length and its data. */
const CRC_BYTES = 4;

export interface ChunkedReadSeries {
  /** Written in the order given; Prometheus sends them sorted by name. */
  readonly labels: readonly Label[];
  /** Strictly ascending timestamps. */
  readonly samples: readonly FloatSample[];
}

export interface EncodeChunkedReadResponseOptions {
  /**
   * Bytes of labels and chunks after which a series continues in a new frame. As in Prometheus,
   * a frame may exceed it by up to one chunk.
   * @default DEFAULT_MAX_BYTES_IN_FRAME (1 MiB)
   */
  readonly maxBytesInFrame?: number;
}

export interface DecodeChunkedReadResponseOptions {
  /**
   * Largest frame data accepted, checked against the declared length before anything is read.
   * @default DEFAULT_MAX_FRAME_BYTES (50,000,000 bytes)
   */
  readonly maxFrameBytes?: number;
  /**
   * Most samples decoded from the whole body, checked against each chunk's declared count before
   * decoding it: a later XOR sample can take as little as 2 bits, so a small body may declare
   * millions of samples.
   * @default DEFAULT_MAX_DECODED_SAMPLES (50,000,000)
   */
  readonly maxSamples?: number;
}

/** One `ChunkedSeries` of one frame, its XOR chunks decoded. */
export interface ChunkedReadFrameSeries {
  readonly queryIndex: number;
  readonly labels: Label[];
  readonly samples: FloatSample[];
}

interface EncodedChunk {
  readonly minTimeMs: number;
  readonly maxTimeMs: number;
  readonly data: Uint8Array;
}

/** Bytes of a uvarint; negative int64s are sign-extended to 10 bytes, as Go writes them. */
const varintSize = (value: number): number => {
  if (value < 0) return 10;
  let size = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) size++;
  return size;
};

/** UTF-8 byte length of a string as TextEncoder writes it (a lone surrogate becomes 3-byte U+FFFD). */
const utf8Length = (text: string): number => {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
};

/** gogo's `Size()` of a length-delimited field's payload plus tag and length; 0 when empty (omitted). */
const bytesFieldSize = (length: number): number => (length === 0 ? 0 : 1 + varintSize(length) + length);

/** gogo's `Label.Size()`: the message alone, without its own tag and length prefix. */
const labelSize = (label: Label): number =>
  bytesFieldSize(utf8Length(label.name)) + bytesFieldSize(utf8Length(label.value));

/** gogo's `Chunk.Size()`; zero-valued fields are omitted from both size and bytes. */
const chunkSize = (chunk: EncodedChunk): number =>
  (chunk.minTimeMs !== 0 ? 1 + varintSize(chunk.minTimeMs) : 0) +
  (chunk.maxTimeMs !== 0 ? 1 + varintSize(chunk.maxTimeMs) : 0) +
  1 +
  varintSize(CHUNK_ENCODING_XOR) +
  bytesFieldSize(chunk.data.length);

/** Marshals a one-series `ChunkedReadResponse` with fields in ascending order and zero values omitted, like gogo. */
const marshalResponse = (
  queryIndex: number,
  labels: readonly Label[],
  chunks: readonly EncodedChunk[],
): Uint8Array => {
  const writer = new ProtoWriter(256);
  writer.tag(1, WireType.LengthDelimited).fork();
  for (const label of labels) encodeLabel(writer, 1, label);
  for (const chunk of chunks) {
    writer.tag(2, WireType.LengthDelimited).fork();
    if (chunk.minTimeMs !== 0) writer.tag(1, WireType.Varint).int64(chunk.minTimeMs);
    if (chunk.maxTimeMs !== 0) writer.tag(2, WireType.Varint).int64(chunk.maxTimeMs);
    writer.tag(3, WireType.Varint).uint32(CHUNK_ENCODING_XOR);
    writer.tag(4, WireType.LengthDelimited).bytes(chunk.data);
    writer.join();
  }
  writer.join();
  if (queryIndex !== 0) writer.tag(2, WireType.Varint).int64(queryIndex);
  return writer.finish();
};

/** Wraps data in a frame: uvarint length, big-endian CRC-32C, data (`ChunkedWriter.Write`). */
const frame = (data: Uint8Array): Uint8Array => {
  const lengthBytes = varintSize(data.length);
  const out = new Uint8Array(lengthBytes + CRC_BYTES + data.length);
  let pos = 0;
  let v = data.length;
  while (v >= 0x80) {
    out[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[pos++] = v;
  new DataView(out.buffer).setUint32(pos, crc32c(data), false);
  out.set(data, pos + CRC_BYTES);
  return out;
};

/**
 * Encodes series as a streamed remote-read response, frame for frame what Prometheus 2.42's
 * `StreamChunkedReadResponses` writes for the same data: samples cut into XOR chunks of at most
 * 120, one series per frame, and a series continued in a new frame (same labels) once its
 * labels and chunks reach `maxBytesInFrame`. A series without samples produces no frame.
 *
 * @param queryIndex - index of the query in the `ReadRequest` these series answer
 * @param series - the series in the order they are to be sent
 * @param options - frame size
 * @returns the frames, in order; concatenated they are the response body
 * @throws CodecError `invalid_data` for an unsafe query index, unsorted timestamps or a
 *   non-positive `maxBytesInFrame`; `timestamp_out_of_range` for a negative or unsafe timestamp
 * @example
 * ```ts
 * const body = Buffer.concat(encodeChunkedReadResponse(0, [{ labels, samples }]));
 * ```
 */
export const encodeChunkedReadResponse = (
  queryIndex: number,
  series: readonly ChunkedReadSeries[],
  options: EncodeChunkedReadResponseOptions = {},
): Uint8Array[] => {
  const maxBytesInFrame = options.maxBytesInFrame ?? DEFAULT_MAX_BYTES_IN_FRAME;
  if (!Number.isSafeInteger(queryIndex)) {
    throw new CodecError('invalid_data', `query index ${queryIndex} is not a safe integer`);
  }
  if (!Number.isSafeInteger(maxBytesInFrame) || maxBytesInFrame <= 0) {
    throw new CodecError(
      'invalid_data',
      `maxBytesInFrame must be a positive integer, got ${maxBytesInFrame}`,
    );
  }
  const frames: Uint8Array[] = [];
  for (const { labels, samples } of series) {
    // Prometheus counts the labels against every frame of the series, since each repeats them.
    let maxDataLength = maxBytesInFrame;
    for (const label of labels) maxDataLength -= labelSize(label);
    let frameBytesLeft = maxDataLength;
    let pending: EncodedChunk[] = [];
    for (let start = 0; start < samples.length; start += MAX_SAMPLES_PER_XOR_CHUNK) {
      const end = Math.min(start + MAX_SAMPLES_PER_XOR_CHUNK, samples.length);
      const first = samples[start] as FloatSample;
      const last = samples[end - 1] as FloatSample;
      const previous = samples[start - 1];
      // encodeXorChunk checks the order inside a chunk; this checks it across the cut.
      if (previous !== undefined && first.timestampMs <= previous.timestampMs) {
        throw new CodecError(
          'invalid_data',
          `sample ${start + 1} has timestamp ${first.timestampMs} ms, not after the previous ${previous.timestampMs} ms; timestamps must strictly ascend`,
        );
      }
      const chunk: EncodedChunk = {
        minTimeMs: first.timestampMs,
        maxTimeMs: last.timestampMs,
        data: encodeXorChunk(samples.slice(start, end)),
      };
      pending.push(chunk);
      frameBytesLeft -= chunkSize(chunk);
      // Prometheus's loop: keep adding chunks while budget remains and more follow, so a frame
      // overshoots by at most one chunk and a frame always holds at least one.
      if (frameBytesLeft > 0 && end < samples.length) continue;
      frames.push(frame(marshalResponse(queryIndex, labels, pending)));
      pending = [];
      frameBytesLeft = maxDataLength;
    }
  }
  return frames;
};

/** How many more samples the body may decode to; shared by all frames of one body. */
interface SampleBudget {
  remaining: number;
  readonly limit: number;
}

const decodeChunk = (reader: ProtoReader, end: number, into: FloatSample[], budget: SampleBudget): void => {
  let encoding = 0;
  let data: Uint8Array = new Uint8Array(0);
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
      case 2:
        reader.expect(wireType, WireType.Varint, `Chunk field ${field}`);
        // min_time_ms and max_time_ms are hints for skipping chunks; the samples carry the times.
        reader.int64();
        break;
      case 3:
        reader.expect(wireType, WireType.Varint, 'Chunk field 3');
        encoding = reader.uint32();
        break;
      case 4:
        reader.expect(wireType, WireType.LengthDelimited, 'Chunk.data field 4');
        data = reader.bytes();
        break;
      default:
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'Chunk');
  if (encoding !== CHUNK_ENCODING_XOR) {
    throw new CodecError('invalid_data', `chunk encoding ${encoding} is not supported, only XOR (1)`);
  }
  const declared = data.length >= 2 ? ((data[0] as number) << 8) | (data[1] as number) : 0;
  if (declared > budget.remaining) {
    throw new CodecError('too_large', `the response holds more than ${budget.limit} samples`);
  }
  budget.remaining -= declared;
  for (const sample of decodeXorChunk(data)) into.push(sample);
};

const decodeChunkedSeries = (
  reader: ProtoReader,
  end: number,
  budget: SampleBudget,
): { labels: Label[]; samples: FloatSample[] } => {
  const labels: Label[] = [];
  const samples: FloatSample[] = [];
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.LengthDelimited, 'ChunkedSeries field 1');
        labels.push(decodeLabel(reader, reader.lengthDelimitedEnd()));
        break;
      case 2:
        reader.expect(wireType, WireType.LengthDelimited, 'ChunkedSeries field 2');
        decodeChunk(reader, reader.lengthDelimitedEnd(), samples, budget);
        break;
      default:
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'ChunkedSeries');
  return { labels, samples };
};

/** Decodes one frame's `ChunkedReadResponse`, appending one entry per series. */
const decodeFrameData = (data: Uint8Array, into: ChunkedReadFrameSeries[], budget: SampleBudget): void => {
  const reader = new ProtoReader(data);
  const series: { labels: Label[]; samples: FloatSample[] }[] = [];
  let queryIndex = 0;
  while (reader.pos < data.length) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.LengthDelimited, 'ChunkedReadResponse.chunked_series field 1');
        series.push(decodeChunkedSeries(reader, reader.lengthDelimitedEnd(), budget));
        break;
      case 2:
        reader.expect(wireType, WireType.Varint, 'ChunkedReadResponse.query_index field 2');
        queryIndex = reader.int64();
        if (!Number.isSafeInteger(queryIndex)) reader.fail('query_index is outside ±2^53');
        break;
      default:
        reader.skip(tag);
    }
  }
  // query_index may follow the series on the wire, so it is attached once the frame is read.
  for (const { labels, samples } of series) into.push({ queryIndex, labels, samples });
};

const hex32 = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;

/**
 * Decodes a streamed remote-read response body: checks each frame's length against
 * `maxFrameBytes` and the body before reading it, verifies its CRC-32C, and decodes its XOR chunks.
 *
 * @param body - the whole response body
 * @param options - frame size limit
 * @returns one entry per series per frame, in body order; a series Prometheus split over several
 *   frames appears once per frame with the same labels
 * @throws CodecError `too_large` for a frame over `maxFrameBytes` or more than `maxSamples` samples; `protobuf` for a truncated
 *   frame, a checksum mismatch or a malformed message; `invalid_data` for bad chunk data
 * @example
 * ```ts
 * for (const { labels, samples } of decodeChunkedReadResponse(body)) console.log(labels, samples.length);
 * ```
 */
export const decodeChunkedReadResponse = (
  body: Uint8Array,
  options: DecodeChunkedReadResponseOptions = {},
): ChunkedReadFrameSeries[] => {
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const maxSamples = options.maxSamples ?? DEFAULT_MAX_DECODED_SAMPLES;
  const budget: SampleBudget = { remaining: maxSamples, limit: maxSamples };
  const reader = new ProtoReader(body);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const out: ChunkedReadFrameSeries[] = [];
  for (let frameIndex = 0; reader.pos < body.length; frameIndex++) {
    const frameStart = reader.pos;
    const where = `frame ${frameIndex} at byte ${frameStart}`;
    // uint64 reads all 10 bytes a Go uvarint may have; anything past 2^53 is far over the limit anyway.
    const size = reader.uint64();
    if (size > maxFrameBytes) {
      throw new CodecError(
        'too_large',
        `${where} declares ${size} bytes, over the limit of ${maxFrameBytes} bytes`,
      );
    }
    const crcAt = reader.pos;
    const dataStart = crcAt + CRC_BYTES;
    if (dataStart > body.length) {
      throw new CodecError('protobuf', `${where} is truncated: its CRC-32C runs past the end of the body`);
    }
    const dataEnd = dataStart + size;
    if (dataEnd > body.length) {
      throw new CodecError(
        'protobuf',
        `${where} declares ${size} bytes of data but only ${body.length - dataStart} remain`,
      );
    }
    const data = body.subarray(dataStart, dataEnd);
    const expected = view.getUint32(crcAt, false);
    const actual = crc32c(data);
    if (actual !== expected) {
      throw new CodecError(
        'protobuf',
        `${where}: CRC-32C mismatch (frame says ${hex32(expected)}, data has ${hex32(actual)})`,
      );
    }
    try {
      decodeFrameData(data, out, budget);
    } catch (error) {
      // Offsets inside the message are relative to the frame's data; name the frame to place them.
      if (error instanceof CodecError) {
        throw new CodecError(error.kind, `${where}: ${error.message}`, { cause: error });
      }
      throw error;
    }
    reader.pos = dataEnd;
  }
  return out;
};
