/**
 * Decoders and encoders for the messages remote write 1.0, 2.0 and remote read share
 * (`Sample`, `Histogram`, `BucketSpan`, `Label`), plus the timestamp checks.
 */
import { CodecError } from './errors.js';
import type { BucketSpan, FloatSample, Label, NativeHistogram, RemoteWriteVersion } from './model.js';
import { type ProtoReader, type ProtoWriter, WireType } from './wire.js';

/**
 * Timestamps are JavaScript numbers, so anything beyond ±2^53 ms would silently lose precision:
 * that is always an error.
 */
export const checkSafeTimestamp = (timestampMs: number, what: string): number => {
  if (!Number.isSafeInteger(timestampMs)) {
    throw new CodecError('timestamp_out_of_range', `${what} timestamp is outside ±2^53 ms`);
  }
  return timestampMs;
};

/**
 * The timestamp of a sample or histogram to be stored must also be at or after 1970: Timestream
 * rejects anything earlier, and Prometheus never scrapes such times, so the request is refused
 * whole (as a v1 Prometheus receiver rolls back a request with an out-of-bounds sample) instead of
 * being partly stored. Exemplar and start timestamps, which are not stored, only need to be safe.
 */
export const checkTimestamp = (timestampMs: number, what: string): number => {
  checkSafeTimestamp(timestampMs, what);
  if (timestampMs < 0) {
    throw new CodecError('timestamp_out_of_range', `${what} timestamp ${timestampMs} ms is negative`);
  }
  return timestampMs;
};

/** Longest probe sequence walked before giving up on the table (bounds crafted input). */
const MAX_PROBES = 16;

/**
 * Maps byte ranges of one request buffer to values decoded from them. Prometheus repeats the same
 * label bytes (`job`, `instance`, metric names) hundreds of times per request; comparing raw bytes
 * with an earlier occurrence is much cheaper than decoding again, and equal labels then share one
 * object. Open addressing over an Int32Array keeps lookups free of allocation. Create one per
 * decoded request: it holds offsets into that request's buffer.
 */
export class ByteRangeInterner<T> {
  private slots: Int32Array;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly values: T[] = [];
  /** Where `remember` may store the range of the last `find` miss; -1 when the probe gave up. */
  private freeSlot = -1;

  /** @param initialSlots - a power of two; the table doubles when half full */
  public constructor(initialSlots: number) {
    this.slots = new Int32Array(initialSlots);
  }

  /** The value remembered for the bytes [start, end), if any. */
  public find(reader: ProtoReader, start: number, end: number): T | undefined {
    const length = end - start;
    const mask = this.slots.length - 1;
    // A sampled hash (length, first, middle and last bytes) is constant-time; the full byte
    // comparison makes any collision harmless.
    let slot = reader.sampleHash(start, end) & mask;
    for (let probe = 0; probe < MAX_PROBES; probe++, slot = (slot + 1) & mask) {
      const index = (this.slots[slot] as number) - 1;
      if (index < 0) {
        this.freeSlot = slot;
        return undefined;
      }
      const cachedStart = this.starts[index] as number;
      if (
        (this.ends[index] as number) - cachedStart === length &&
        reader.rangesEqual(cachedStart, start, length)
      ) {
        return this.values[index];
      }
    }
    this.freeSlot = -1;
    return undefined;
  }

  /** Remembers `value` for the bytes [start, end) that the last `find` missed. */
  public remember(reader: ProtoReader, start: number, end: number, value: T): void {
    if (this.freeSlot < 0) return;
    this.starts.push(start);
    this.ends.push(end);
    this.values.push(value);
    this.slots[this.freeSlot] = this.values.length;
    this.freeSlot = -1;
    if (this.values.length * 2 > this.slots.length) this.grow(reader);
  }

  /** Doubles the table once it is half full, re-inserting every entry. */
  private grow(reader: ProtoReader): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let index = 0; index < this.values.length; index++) {
      let slot = reader.sampleHash(this.starts[index] as number, this.ends[index] as number) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = index + 1;
    }
    this.slots = slots;
  }
}

/**
 * The per-request decoding state: interned whole labels, interned names for labels seen for the
 * first time, and a scratch array that collects one series' labels before they are copied out.
 */
export interface RequestDecodeState {
  readonly labels: ByteRangeInterner<Label>;
  readonly names: ByteRangeInterner<string>;
  readonly scratch: Label[];
}

/**
 * Sized from the captured Prometheus requests: at most 456 distinct labels and 42 distinct names
 * per 500-sample request, so both tables stay under half full and a typical request never rehashes.
 */
export const createRequestDecodeState = (): RequestDecodeState => ({
  labels: new ByteRangeInterner<Label>(1024),
  names: new ByteRangeInterner<string>(128),
  scratch: [],
});

/** Reads a string field through an interner; strings that are not valid UTF-8 are never interned. */
const readInternedString = (reader: ProtoReader, interner: ByteRangeInterner<string>): string => {
  const end = reader.lengthDelimitedEnd();
  const start = reader.pos;
  reader.pos = end;
  const cached = interner.find(reader, start, end);
  if (cached !== undefined) return cached;
  const before = reader.sawInvalidUtf8;
  reader.sawInvalidUtf8 = false;
  const text = reader.utf8(start, end);
  if (!reader.sawInvalidUtf8) interner.remember(reader, start, end, text);
  reader.sawInvalidUtf8 ||= before;
  return text;
};

/**
 * Decodes a `Label` through the request's interners. Labels that are not valid UTF-8 are never
 * interned, so every occurrence sets `reader.sawInvalidUtf8` again.
 */
export const decodeLabelInterned = (reader: ProtoReader, end: number, state: RequestDecodeState): Label => {
  const start = reader.pos;
  const cached = state.labels.find(reader, start, end);
  if (cached !== undefined) {
    reader.pos = end;
    return cached;
  }
  const before = reader.sawInvalidUtf8;
  reader.sawInvalidUtf8 = false;
  const label = decodeLabelFields(reader, end, state.names);
  if (!reader.sawInvalidUtf8) state.labels.remember(reader, start, end, label);
  reader.sawInvalidUtf8 ||= before;
  return label;
};

export const decodeLabel = (reader: ProtoReader, end: number): Label =>
  decodeLabelFields(reader, end, undefined);

const decodeLabelFields = (
  reader: ProtoReader,
  end: number,
  names: ByteRangeInterner<string> | undefined,
): Label => {
  let name = '';
  let value = '';
  while (reader.pos < end) {
    const tag = reader.tag();
    switch (tag) {
      case (1 << 3) | WireType.LengthDelimited:
        name = names === undefined ? reader.string() : readInternedString(reader, names);
        break;
      case (2 << 3) | WireType.LengthDelimited:
        value = reader.string();
        break;
      default:
        expectKnownWireType(reader, tag, 1, 2, WireType.LengthDelimited, 'Label');
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'Label');
  return { name, value };
};

/** Decodes `Sample` (v1 fields 1–2; v2 adds 3 `start_timestamp`, which v1 skips as unknown). */
export const decodeSample = (reader: ProtoReader, end: number, version: RemoteWriteVersion): FloatSample => {
  // Fast path: exactly what Prometheus writes, value (tag 0x09 + 8 bytes) then timestamp (tag 0x10
  // + varint). Anything else, including a varint running past `end`, takes the general loop below.
  const start = reader.pos;
  const buf = reader.buf;
  if (buf[start] === 0x09 && buf[start + 9] === 0x10 && end - start >= 11) {
    reader.pos = start + 1;
    const value = reader.double();
    const stale = Number.isNaN(value) && reader.lastDoubleIsStaleNaN();
    reader.pos += 1;
    const timestampMs = reader.int64();
    if (reader.pos === end) {
      return {
        timestampMs: checkTimestamp(timestampMs, 'sample'),
        value,
        stale,
        startTimestampMs: 0,
      };
    }
    reader.pos = start;
  }
  let value = 0;
  let stale = false;
  let timestampMs = 0;
  let startTimestampMs = 0;
  while (reader.pos < end) {
    const tag = reader.tag();
    switch (tag) {
      case (1 << 3) | WireType.Fixed64:
        value = reader.double();
        // Only a NaN can be a staleness marker; comparing raw bits only then keeps the common path cheap.
        stale = Number.isNaN(value) && reader.lastDoubleIsStaleNaN();
        break;
      case (2 << 3) | WireType.Varint:
        timestampMs = reader.int64();
        break;
      default:
        expectKnownWireType(reader, tag, 1, 1, WireType.Fixed64, 'Sample');
        expectKnownWireType(reader, tag, 2, 2, WireType.Varint, 'Sample');
        if (version === '2.0' && tag >>> 3 === 3) {
          reader.expect(tag & 7, WireType.Varint, 'Sample.start_timestamp');
          startTimestampMs = checkSafeTimestamp(reader.int64(), 'sample start');
        } else reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'Sample');
  return { timestampMs: checkTimestamp(timestampMs, 'sample'), value, stale, startTimestampMs };
};

/**
 * Fails on a known field carrying the wrong wire type (a schema mismatch, not an extension); a
 * field outside [firstField, lastField] is left for the caller to skip.
 */
export const expectKnownWireType = (
  reader: ProtoReader,
  tag: number,
  firstField: number,
  lastField: number,
  wireType: number,
  message: string,
): void => {
  const field = tag >>> 3;
  if (field >= firstField && field <= lastField && (tag & 7) !== wireType) {
    reader.fail(`wrong wire type ${tag & 7} for ${message} field ${field}`);
  }
};

const decodeBucketSpan = (reader: ProtoReader, end: number): BucketSpan => {
  let offset = 0;
  let length = 0;
  while (reader.pos < end) {
    const tag = reader.tag();
    if (tag === ((1 << 3) | WireType.Varint)) offset = reader.sint32();
    else if (tag === ((2 << 3) | WireType.Varint)) length = reader.uint32();
    else {
      expectKnownWireType(reader, tag, 1, 2, WireType.Varint, 'BucketSpan');
      reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'BucketSpan');
  return { offset, length };
};

/** Reads a repeated sint64 field, packed (wire type 2) or not (wire type 0). */
const readRepeatedSint64 = (reader: ProtoReader, wireType: number, into: number[]): void => {
  if (wireType === WireType.Varint) {
    into.push(checkSafeInteger(reader, reader.sint64(), 'histogram bucket delta'));
    return;
  }
  const end = reader.lengthDelimitedEnd();
  while (reader.pos < end) into.push(checkSafeInteger(reader, reader.sint64(), 'histogram bucket delta'));
  reader.assertEnd(end, 'packed sint64');
};

/** Reads a repeated double field, packed (wire type 2) or not (wire type 1). */
export const readRepeatedDouble = (reader: ProtoReader, wireType: number, into: number[]): void => {
  if (wireType === WireType.Fixed64) {
    into.push(reader.double());
    return;
  }
  const end = reader.lengthDelimitedEnd();
  if ((end - reader.pos) % 8 !== 0) reader.fail('packed double field length is not a multiple of 8');
  while (reader.pos < end) into.push(reader.double());
};

const checkSafeInteger = (reader: ProtoReader, value: number, what: string): number => {
  if (!Number.isSafeInteger(value)) reader.fail(`${what} is outside ±2^53`);
  return value;
};

const RESET_HINTS = ['unknown', 'yes', 'no', 'gauge'] as const;

/**
 * Decodes `Histogram` (v1 fields 1–16; v2 adds 17 `start_timestamp`, which v1 skips as unknown).
 * A histogram whose sum is StaleNaN is a staleness marker, as Prometheus's `value.IsStaleNaN(h.Sum)`.
 */
export const decodeHistogram = (
  reader: ProtoReader,
  end: number,
  version: RemoteWriteVersion,
): NativeHistogram => {
  let kind: NativeHistogram['kind'] = 'integer';
  let count = 0;
  let sum = 0;
  let schema = 0;
  let zeroThreshold = 0;
  let zeroCount = 0;
  const negativeSpans: BucketSpan[] = [];
  const negativeDeltas: number[] = [];
  const negativeCounts: number[] = [];
  const positiveSpans: BucketSpan[] = [];
  const positiveDeltas: number[] = [];
  const positiveCounts: number[] = [];
  const customValues: number[] = [];
  let resetHint = 0;
  let timestampMs = 0;
  let startTimestampMs = 0;
  let stale = false;
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.Varint, 'Histogram.count_int');
        kind = 'integer';
        count = checkSafeInteger(reader, reader.uint64(), 'histogram count');
        break;
      case 2:
        reader.expect(wireType, WireType.Fixed64, 'Histogram.count_float');
        kind = 'float';
        count = reader.double();
        break;
      case 3:
        reader.expect(wireType, WireType.Fixed64, 'Histogram.sum');
        sum = reader.double();
        stale = Number.isNaN(sum) && reader.lastDoubleIsStaleNaN();
        break;
      case 4:
        reader.expect(wireType, WireType.Varint, 'Histogram.schema');
        schema = reader.sint32();
        break;
      case 5:
        reader.expect(wireType, WireType.Fixed64, 'Histogram.zero_threshold');
        zeroThreshold = reader.double();
        break;
      case 6:
        reader.expect(wireType, WireType.Varint, 'Histogram.zero_count_int');
        zeroCount = checkSafeInteger(reader, reader.uint64(), 'histogram zero count');
        break;
      case 7:
        reader.expect(wireType, WireType.Fixed64, 'Histogram.zero_count_float');
        zeroCount = reader.double();
        break;
      case 8:
      case 11: {
        reader.expect(wireType, WireType.LengthDelimited, 'Histogram spans');
        const spanEnd = reader.lengthDelimitedEnd();
        (field === 8 ? negativeSpans : positiveSpans).push(decodeBucketSpan(reader, spanEnd));
        break;
      }
      case 9:
      case 12:
        if (wireType !== WireType.Varint)
          reader.expect(wireType, WireType.LengthDelimited, 'Histogram deltas');
        readRepeatedSint64(reader, wireType, field === 9 ? negativeDeltas : positiveDeltas);
        break;
      case 10:
      case 13:
      case 16:
        if (wireType !== WireType.Fixed64)
          reader.expect(wireType, WireType.LengthDelimited, 'Histogram counts');
        readRepeatedDouble(
          reader,
          wireType,
          field === 10 ? negativeCounts : field === 13 ? positiveCounts : customValues,
        );
        break;
      case 14:
        reader.expect(wireType, WireType.Varint, 'Histogram.reset_hint');
        resetHint = reader.uint32();
        break;
      case 15:
        reader.expect(wireType, WireType.Varint, 'Histogram.timestamp');
        timestampMs = reader.int64();
        break;
      case 17:
        if (version === '1.0') {
          reader.skip(tag);
          break;
        }
        reader.expect(wireType, WireType.Varint, 'Histogram.start_timestamp');
        startTimestampMs = checkSafeTimestamp(reader.int64(), 'histogram start');
        break;
      default:
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'Histogram');
  return {
    kind,
    count,
    sum,
    stale,
    schema,
    zeroThreshold,
    zeroCount,
    negativeSpans,
    negativeDeltas,
    negativeCounts,
    positiveSpans,
    positiveDeltas,
    positiveCounts,
    resetHint: RESET_HINTS[resetHint] ?? 'unknown',
    timestampMs: checkTimestamp(timestampMs, 'histogram'),
    startTimestampMs,
    customValues,
  };
};

export const encodeLabel = (writer: ProtoWriter, fieldNumber: number, label: Label): void => {
  writer.tag(fieldNumber, WireType.LengthDelimited).fork();
  if (label.name !== '') writer.tag(1, WireType.LengthDelimited).string(label.name);
  if (label.value !== '') writer.tag(2, WireType.LengthDelimited).string(label.value);
  writer.join();
};

/** Encodes `Sample` the way Go's protobuf does: zero fields omitted, StaleNaN written bit-exact. */
export const encodeSample = (
  writer: ProtoWriter,
  fieldNumber: number,
  sample: FloatSample,
  withStart: boolean,
): void => {
  writer.tag(fieldNumber, WireType.LengthDelimited).fork();
  if (sample.stale) writer.tag(1, WireType.Fixed64).staleNaN();
  else if (sample.value !== 0 || Object.is(sample.value, -0))
    writer.tag(1, WireType.Fixed64).double(sample.value);
  if (sample.timestampMs !== 0) writer.tag(2, WireType.Varint).int64(sample.timestampMs);
  if (withStart && sample.startTimestampMs !== 0)
    writer.tag(3, WireType.Varint).int64(sample.startTimestampMs);
  writer.join();
};

const encodeSpans = (writer: ProtoWriter, fieldNumber: number, spans: readonly BucketSpan[]): void => {
  for (const span of spans) {
    writer.tag(fieldNumber, WireType.LengthDelimited).fork();
    if (span.offset !== 0) writer.tag(1, WireType.Varint).sint32(span.offset);
    if (span.length !== 0) writer.tag(2, WireType.Varint).uint32(span.length);
    writer.join();
  }
};

const encodePackedSint64 = (writer: ProtoWriter, fieldNumber: number, values: readonly number[]): void => {
  if (values.length === 0) return;
  writer.tag(fieldNumber, WireType.LengthDelimited).fork();
  for (const value of values) writer.sint64(value);
  writer.join();
};

const encodePackedDouble = (writer: ProtoWriter, fieldNumber: number, values: readonly number[]): void => {
  if (values.length === 0) return;
  writer.tag(fieldNumber, WireType.LengthDelimited).fork();
  for (const value of values) writer.double(value);
  writer.join();
};

export const encodeHistogram = (
  writer: ProtoWriter,
  fieldNumber: number,
  histogram: NativeHistogram,
  withStart: boolean,
): void => {
  writer.tag(fieldNumber, WireType.LengthDelimited).fork();
  // The oneof member present on the wire is what tells integer from float histograms.
  if (histogram.kind === 'integer') writer.tag(1, WireType.Varint).int64(histogram.count);
  else writer.tag(2, WireType.Fixed64).double(histogram.count);
  if (histogram.stale) writer.tag(3, WireType.Fixed64).staleNaN();
  else if (histogram.sum !== 0 || Object.is(histogram.sum, -0))
    writer.tag(3, WireType.Fixed64).double(histogram.sum);
  if (histogram.schema !== 0) writer.tag(4, WireType.Varint).sint32(histogram.schema);
  if (histogram.zeroThreshold !== 0) writer.tag(5, WireType.Fixed64).double(histogram.zeroThreshold);
  if (histogram.kind === 'integer') writer.tag(6, WireType.Varint).int64(histogram.zeroCount);
  else writer.tag(7, WireType.Fixed64).double(histogram.zeroCount);
  encodeSpans(writer, 8, histogram.negativeSpans);
  encodePackedSint64(writer, 9, histogram.negativeDeltas);
  encodePackedDouble(writer, 10, histogram.negativeCounts);
  encodeSpans(writer, 11, histogram.positiveSpans);
  encodePackedSint64(writer, 12, histogram.positiveDeltas);
  encodePackedDouble(writer, 13, histogram.positiveCounts);
  const resetHint = RESET_HINTS.indexOf(histogram.resetHint);
  if (resetHint > 0) writer.tag(14, WireType.Varint).uint32(resetHint);
  if (histogram.timestampMs !== 0) writer.tag(15, WireType.Varint).int64(histogram.timestampMs);
  encodePackedDouble(writer, 16, histogram.customValues);
  if (withStart && histogram.startTimestampMs !== 0)
    writer.tag(17, WireType.Varint).int64(histogram.startTimestampMs);
  writer.join();
};
