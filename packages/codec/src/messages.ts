/**
 * Decoders and encoders for the messages remote write 1.0, 2.0 and remote read share
 * (`Sample`, `Histogram`, `BucketSpan`, `Label`, and `prometheus.TimeSeries` with its `Exemplar`,
 * which remote write 1.0 and remote read both carry), plus the timestamp checks.
 *
 * Every decoder in the codec reads its fields the same way, as protobuf-es does: a loop over the
 * message's bytes that switches on the field number; each field's case checks the wire type
 * before it reads, and unknown fields are skipped.
 */
import { CodecError } from './errors.js';
import type { ByteRangeInterner, RequestDecodeState } from './interner.js';
import { normalizeLabels } from './labels.js';
import {
  type BucketSpan,
  type DecodedSeries,
  type DecodedWriteSeries,
  type Exemplar,
  type FloatSample,
  type Label,
  type NativeHistogram,
  type RemoteWriteVersion,
  type SampleInput,
  type SeriesInput,
  samplesOf,
} from './model.js';
import { allocateSamples, ensureRow, type SampleRows } from './sample-columns.js';
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
const checkTimestamp = (timestampMs: number, what: string): number => {
  checkSafeTimestamp(timestampMs, what);
  if (timestampMs < 0) {
    throw new CodecError('timestamp_out_of_range', `${what} timestamp ${timestampMs} ms is negative`);
  }
  return timestampMs;
};

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
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.LengthDelimited, 'Label field 1');
        name = names === undefined ? reader.string() : readInternedString(reader, names);
        break;
      case 2:
        reader.expect(wireType, WireType.LengthDelimited, 'Label field 2');
        value = reader.string();
        break;
      default:
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'Label');
  return { name, value };
};

/**
 * Decodes `Sample` (v1 fields 1–2; v2 adds 3 `start_timestamp`, which v1 skips as unknown) into
 * row `index` of a request's sample columns.
 */
export const decodeSampleInto = (
  reader: ProtoReader,
  end: number,
  version: RemoteWriteVersion,
  samples: SampleRows,
  index: number,
): void => {
  ensureRow(samples, index);
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
      samples.timestampsMs[index] = checkTimestamp(timestampMs, 'sample');
      samples.values[index] = value;
      if (stale) samples.stale[index] = 1;
      return;
    }
    reader.pos = start;
  }
  let value = 0;
  let stale = false;
  let timestampMs = 0;
  let startTimestampMs = 0;
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.Fixed64, 'Sample field 1');
        value = reader.double();
        // Only a NaN can be a staleness marker; comparing raw bits only then keeps the common path cheap.
        stale = Number.isNaN(value) && reader.lastDoubleIsStaleNaN();
        break;
      case 2:
        reader.expect(wireType, WireType.Varint, 'Sample field 2');
        timestampMs = reader.int64();
        break;
      case 3:
        if (version === '1.0') {
          reader.skip(tag);
          break;
        }
        reader.expect(wireType, WireType.Varint, 'Sample.start_timestamp');
        startTimestampMs = checkSafeTimestamp(reader.int64(), 'sample start');
        break;
      default:
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'Sample');
  samples.timestampsMs[index] = checkTimestamp(timestampMs, 'sample');
  samples.values[index] = value;
  samples.stale[index] = stale ? 1 : 0;
  if (startTimestampMs !== 0) {
    // Allocated on the first start time: 1.0 requests and most 2.0 ones have none.
    samples.startTimestampsMs ??= new Float64Array(samples.values.length);
    samples.startTimestampsMs[index] = startTimestampMs;
  }
};

/** Decodes `Sample` as an object (remote-read responses; write requests use the columns). */
export const decodeSample = (reader: ProtoReader, end: number, version: RemoteWriteVersion): FloatSample => {
  const row = allocateSamples(1);
  decodeSampleInto(reader, end, version, row, 0);
  return samplesOf({ samples: row }, ONE_SAMPLE)[0] as FloatSample;
};

const ONE_SAMPLE = { sampleStart: 0, sampleCount: 1 } as const;

const decodeBucketSpan = (reader: ProtoReader, end: number): BucketSpan => {
  let offset = 0;
  let length = 0;
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.Varint, 'BucketSpan field 1');
        offset = reader.sint32();
        break;
      case 2:
        reader.expect(wireType, WireType.Varint, 'BucketSpan field 2');
        length = reader.uint32();
        break;
      default:
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
const readRepeatedDouble = (reader: ProtoReader, wireType: number, into: number[]): void => {
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

/**
 * Encodes `Sample` the way Go's protobuf does: zero fields omitted, StaleNaN written bit-exact.
 * Reads the input's fields directly (an omitted `stale` or `startTimestampMs` is its default), so
 * encoding a response allocates nothing per sample.
 */
export const encodeSample = (
  writer: ProtoWriter,
  fieldNumber: number,
  sample: SampleInput,
  withStart: boolean,
): void => {
  writer.tag(fieldNumber, WireType.LengthDelimited).fork();
  if (sample.stale === true) writer.tag(1, WireType.Fixed64).staleNaN();
  else if (sample.value !== 0 || Object.is(sample.value, -0))
    writer.tag(1, WireType.Fixed64).double(sample.value);
  if (sample.timestampMs !== 0) writer.tag(2, WireType.Varint).int64(sample.timestampMs);
  const startTimestampMs = sample.startTimestampMs ?? 0;
  if (withStart && startTimestampMs !== 0) writer.tag(3, WireType.Varint).int64(startTimestampMs);
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

/** Shared by every series without histograms or exemplars; frozen so no caller can append to it. */
const NONE: readonly never[] = Object.freeze([]);

const decodeExemplar = (reader: ProtoReader, end: number): Exemplar => {
  const labels: Label[] = [];
  let value = 0;
  let timestampMs = 0;
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.LengthDelimited, 'Exemplar field 1');
        labels.push(decodeLabel(reader, reader.lengthDelimitedEnd()));
        break;
      case 2:
        reader.expect(wireType, WireType.Fixed64, 'Exemplar field 2');
        value = reader.double();
        break;
      case 3:
        reader.expect(wireType, WireType.Varint, 'Exemplar field 3');
        timestampMs = reader.int64();
        break;
      default:
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'Exemplar');
  return { labels, value, timestampMs: checkSafeTimestamp(timestampMs, 'exemplar') };
};

/**
 * Decodes a `prometheus.TimeSeries` of a write request, its samples into rows `first`… of the
 * request's sample columns.
 */
export const decodeWriteTimeSeries = (
  reader: ProtoReader,
  end: number,
  state: RequestDecodeState,
  samples: SampleRows,
  first: number,
): DecodedWriteSeries => {
  // Labels are gathered in the request's scratch array and copied out at their exact size, and the
  // other arrays are created with their first element: an empty array that is pushed to reserves
  // room for 17, which per series is most of the garbage the decoder makes.
  const scratch = state.scratch;
  let labelCount = 0;
  let sampleCount = 0;
  let histograms: NativeHistogram[] | undefined;
  let exemplars: Exemplar[] | undefined;
  let invalidUtf8 = false;
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.LengthDelimited, 'TimeSeries field 1');
        reader.sawInvalidUtf8 = false;
        scratch[labelCount++] = decodeLabelInterned(reader, reader.lengthDelimitedEnd(), state);
        if (reader.sawInvalidUtf8) invalidUtf8 = true;
        break;
      case 2:
        reader.expect(wireType, WireType.LengthDelimited, 'TimeSeries field 2');
        decodeSampleInto(reader, reader.lengthDelimitedEnd(), '1.0', samples, first + sampleCount++);
        break;
      case 3:
        reader.expect(wireType, WireType.LengthDelimited, 'TimeSeries field 3');
        exemplars ??= [];
        exemplars.push(decodeExemplar(reader, reader.lengthDelimitedEnd()));
        break;
      case 4:
        reader.expect(wireType, WireType.LengthDelimited, 'TimeSeries field 4');
        histograms ??= [];
        histograms.push(decodeHistogram(reader, reader.lengthDelimitedEnd(), '1.0'));
        break;
      default:
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'TimeSeries');
  const labels = scratch.slice(0, labelCount);
  const reason = normalizeLabels(labels);
  return {
    labels,
    sampleStart: first,
    sampleCount,
    histograms: histograms ?? NONE,
    exemplars: exemplars ?? NONE,
    invalidLabels: invalidUtf8 ? 'invalid_utf8' : reason,
  };
};

/**
 * Decodes a `prometheus.TimeSeries` with its samples as objects (remote-read responses, which
 * nothing decodes on a hot path).
 */
export const decodeTimeSeries = (
  reader: ProtoReader,
  end: number,
  state: RequestDecodeState,
): DecodedSeries => {
  const rows = allocateSamples(0);
  const { sampleStart: _, sampleCount: __, ...series } = decodeWriteTimeSeries(reader, end, state, rows, 0);
  return { ...series, samples: samplesOf({ samples: rows }, { sampleStart: 0, sampleCount: __ }) };
};

const encodeExemplar = (writer: ProtoWriter, exemplar: Exemplar): void => {
  writer.tag(3, WireType.LengthDelimited).fork();
  for (const label of exemplar.labels) encodeLabel(writer, 1, label);
  if (exemplar.value !== 0) writer.tag(2, WireType.Fixed64).double(exemplar.value);
  if (exemplar.timestampMs !== 0) writer.tag(3, WireType.Varint).int64(exemplar.timestampMs);
  writer.join();
};

/** Encodes a `prometheus.TimeSeries` as field `fieldNumber` (of a 1.0 `WriteRequest` or a `QueryResult`). */
export const encodeTimeSeries = (writer: ProtoWriter, fieldNumber: number, series: SeriesInput): void => {
  writer.tag(fieldNumber, WireType.LengthDelimited).fork();
  for (const label of series.labels) encodeLabel(writer, 1, label);
  for (const sample of series.samples ?? NONE) encodeSample(writer, 2, sample, false);
  for (const exemplar of series.exemplars ?? NONE) encodeExemplar(writer, exemplar);
  for (const histogram of series.histograms ?? NONE) encodeHistogram(writer, 4, histogram, false);
  writer.join();
};
