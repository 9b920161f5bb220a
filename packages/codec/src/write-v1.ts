/** Remote write 1.0: `prometheus.WriteRequest` (prompb/remote.proto, prompb/types.proto). */
import { CodecError } from './errors.js';
import { normalizeLabels } from './labels.js';
import {
  checkSafeTimestamp,
  createRequestDecodeState,
  decodeHistogram,
  decodeLabel,
  decodeLabelInterned,
  decodeSample,
  encodeHistogram,
  encodeLabel,
  encodeSample,
  expectKnownWireType,
  type RequestDecodeState,
} from './messages.js';
import {
  type DecodedSeries,
  type DecodedWriteRequest,
  type Exemplar,
  type FloatSample,
  type Label,
  METRIC_TYPES,
  type MetricMetadata,
  type NativeHistogram,
} from './model.js';
import { ProtoReader, ProtoWriter, WireType } from './wire.js';

/** What the write encoders accept: the normalized shapes with the rarely-set fields optional. */
export interface SampleInput {
  readonly timestampMs: number;
  readonly value: number;
  readonly stale?: boolean;
  readonly startTimestampMs?: number;
}

export interface SeriesInput {
  /** Written in the given order, so tests can send unsorted or duplicate labels. */
  readonly labels: readonly Label[];
  readonly samples?: readonly SampleInput[];
  readonly histograms?: readonly NativeHistogram[];
  readonly exemplars?: readonly Exemplar[];
  /** Remote write 2.0 only: per-series metadata. */
  readonly metadata?: Omit<MetricMetadata, 'metricFamilyName'>;
}

export interface WriteRequestInput {
  readonly series: readonly SeriesInput[];
  /** Remote write 1.0 only: `WriteRequest.metadata`. */
  readonly metadata?: readonly MetricMetadata[];
}

/** Shared by every series without histograms or exemplars; frozen so no caller can append to it. */
export const NONE: readonly never[] = Object.freeze([]);

export const toFloatSample = (sample: SampleInput): FloatSample => ({
  timestampMs: sample.timestampMs,
  value: sample.value,
  stale: sample.stale ?? false,
  startTimestampMs: sample.startTimestampMs ?? 0,
});

const decodeExemplar = (reader: ProtoReader, end: number): Exemplar => {
  const labels: Label[] = [];
  let value = 0;
  let timestampMs = 0;
  while (reader.pos < end) {
    const tag = reader.tag();
    switch (tag) {
      case (1 << 3) | WireType.LengthDelimited:
        labels.push(decodeLabel(reader, reader.lengthDelimitedEnd()));
        break;
      case (2 << 3) | WireType.Fixed64:
        value = reader.double();
        break;
      case (3 << 3) | WireType.Varint:
        timestampMs = reader.int64();
        break;
      default:
        expectKnownWireType(reader, tag, 1, 1, WireType.LengthDelimited, 'Exemplar');
        expectKnownWireType(reader, tag, 2, 2, WireType.Fixed64, 'Exemplar');
        expectKnownWireType(reader, tag, 3, 3, WireType.Varint, 'Exemplar');
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'Exemplar');
  return { labels, value, timestampMs: checkSafeTimestamp(timestampMs, 'exemplar') };
};

/** Decodes a v1 `TimeSeries`; also the element of a remote-read `QueryResult`. */
export const decodeTimeSeries = (
  reader: ProtoReader,
  end: number,
  state: RequestDecodeState,
): DecodedSeries => {
  // Labels are gathered in the request's scratch array and copied out at their exact size, and the
  // other arrays are created with their first element: an empty array that is pushed to reserves
  // room for 17, which per series is most of the garbage the decoder makes.
  const scratch = state.scratch;
  let labelCount = 0;
  let samples: FloatSample[] | undefined;
  let histograms: NativeHistogram[] | undefined;
  let exemplars: Exemplar[] | undefined;
  let invalidUtf8 = false;
  while (reader.pos < end) {
    const tag = reader.tag();
    switch (tag) {
      case (1 << 3) | WireType.LengthDelimited:
        reader.sawInvalidUtf8 = false;
        scratch[labelCount++] = decodeLabelInterned(reader, reader.lengthDelimitedEnd(), state);
        if (reader.sawInvalidUtf8) invalidUtf8 = true;
        break;
      case (2 << 3) | WireType.LengthDelimited: {
        const sample = decodeSample(reader, reader.lengthDelimitedEnd(), '1.0');
        if (samples === undefined) samples = [sample];
        else samples.push(sample);
        break;
      }
      case (3 << 3) | WireType.LengthDelimited:
        exemplars ??= [];
        exemplars.push(decodeExemplar(reader, reader.lengthDelimitedEnd()));
        break;
      case (4 << 3) | WireType.LengthDelimited:
        histograms ??= [];
        histograms.push(decodeHistogram(reader, reader.lengthDelimitedEnd(), '1.0'));
        break;
      default:
        expectKnownWireType(reader, tag, 1, 4, WireType.LengthDelimited, 'TimeSeries');
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'TimeSeries');
  const labels = scratch.slice(0, labelCount);
  const reason = normalizeLabels(labels);
  return {
    labels,
    samples: samples ?? NONE,
    histograms: histograms ?? NONE,
    exemplars: exemplars ?? NONE,
    invalidLabels: invalidUtf8 ? 'invalid_utf8' : reason,
  };
};

const decodeMetadata = (reader: ProtoReader, end: number): MetricMetadata => {
  let type = 0;
  let metricFamilyName = '';
  let help = '';
  let unit = '';
  while (reader.pos < end) {
    const tag = reader.tag();
    switch (tag) {
      case (1 << 3) | WireType.Varint:
        type = reader.uint32();
        break;
      case (2 << 3) | WireType.LengthDelimited:
        metricFamilyName = reader.string();
        break;
      case (4 << 3) | WireType.LengthDelimited:
        help = reader.string();
        break;
      case (5 << 3) | WireType.LengthDelimited:
        unit = reader.string();
        break;
      default:
        // Field 3 is unused in MetricMetadata, so it is skipped like any unknown field.
        expectKnownWireType(reader, tag, 1, 1, WireType.Varint, 'MetricMetadata');
        expectKnownWireType(reader, tag, 2, 2, WireType.LengthDelimited, 'MetricMetadata');
        expectKnownWireType(reader, tag, 4, 5, WireType.LengthDelimited, 'MetricMetadata');
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'MetricMetadata');
  return { metricFamilyName, type: METRIC_TYPES[type] ?? 'unknown', help, unit };
};

/** Tallies what a decoded request holds; shared by both write versions. */
export const summarize = (
  version: DecodedWriteRequest['version'],
  series: DecodedSeries[],
  metadata: MetricMetadata[],
): DecodedWriteRequest => {
  let samples = 0;
  let staleMarkers = 0;
  let histograms = 0;
  let exemplars = 0;
  let invalidSeries = 0;
  for (const s of series) {
    samples += s.samples.length;
    for (const sample of s.samples) if (sample.stale) staleMarkers++;
    histograms += s.histograms.length;
    exemplars += s.exemplars.length;
    if (s.invalidLabels !== null) invalidSeries++;
  }
  return {
    version,
    series,
    metadata,
    counts: { series: series.length, samples, staleMarkers, histograms, exemplars, invalidSeries },
  };
};

/**
 * Decodes an uncompressed `prometheus.WriteRequest`. Unknown fields (including the reserved
 * field 2) are skipped; structural errors throw a `CodecError`.
 */
export const decodeWriteRequestV1 = (bytes: Uint8Array): DecodedWriteRequest => {
  const reader = new ProtoReader(bytes);
  const series: DecodedSeries[] = [];
  const metadata: MetricMetadata[] = [];
  const state = createRequestDecodeState();
  const end = bytes.length;
  let sawV2Fields = false;
  while (reader.pos < end) {
    const tag = reader.tag();
    switch (tag) {
      case (1 << 3) | WireType.LengthDelimited:
        series.push(decodeTimeSeries(reader, reader.lengthDelimitedEnd(), state));
        break;
      case (3 << 3) | WireType.LengthDelimited:
        metadata.push(decodeMetadata(reader, reader.lengthDelimitedEnd()));
        break;
      default:
        if (tag >>> 3 === 1 || tag >>> 3 === 3) {
          throw new CodecError('protobuf', `wrong wire type ${tag & 7} for WriteRequest field ${tag >>> 3}`);
        }
        if (tag >>> 3 === 4 || tag >>> 3 === 5) sawV2Fields = true;
        reader.skip(tag);
    }
  }
  if (sawV2Fields && series.length === 0 && metadata.length === 0) {
    // Skipping unknown fields is right in general, but a body made only of v2's symbols and
    // timeseries fields would otherwise be accepted as empty and its samples silently lost.
    throw new CodecError(
      'invalid_data',
      'body holds only io.prometheus.write.v2.Request fields (4, 5); send it with Content-Type ' +
        '"application/x-protobuf;proto=io.prometheus.write.v2.Request"',
    );
  }
  return summarize('1.0', series, metadata);
};

const encodeExemplarV1 = (writer: ProtoWriter, exemplar: Exemplar): void => {
  writer.tag(3, WireType.LengthDelimited).fork();
  for (const label of exemplar.labels) encodeLabel(writer, 1, label);
  if (exemplar.value !== 0) writer.tag(2, WireType.Fixed64).double(exemplar.value);
  if (exemplar.timestampMs !== 0) writer.tag(3, WireType.Varint).int64(exemplar.timestampMs);
  writer.join();
};

/** Encodes a v1 `TimeSeries` as field `fieldNumber`; also the element of a remote-read `QueryResult`. */
export const encodeTimeSeries = (writer: ProtoWriter, fieldNumber: number, series: SeriesInput): void => {
  writer.tag(fieldNumber, WireType.LengthDelimited).fork();
  for (const label of series.labels) encodeLabel(writer, 1, label);
  for (const sample of series.samples ?? []) encodeSample(writer, 2, toFloatSample(sample), false);
  for (const exemplar of series.exemplars ?? []) encodeExemplarV1(writer, exemplar);
  for (const histogram of series.histograms ?? []) encodeHistogram(writer, 4, histogram, false);
  writer.join();
};

/** Encodes an uncompressed `prometheus.WriteRequest` (compress it with `compressSnappyBlock`). */
export const encodeWriteRequestV1 = (request: WriteRequestInput): Uint8Array => {
  const writer = new ProtoWriter(4096);
  for (const series of request.series) encodeTimeSeries(writer, 1, series);
  for (const entry of request.metadata ?? []) {
    writer.tag(3, WireType.LengthDelimited).fork();
    const type = METRIC_TYPES.indexOf(entry.type);
    if (type > 0) writer.tag(1, WireType.Varint).uint32(type);
    if (entry.metricFamilyName !== '') writer.tag(2, WireType.LengthDelimited).string(entry.metricFamilyName);
    if (entry.help !== '') writer.tag(4, WireType.LengthDelimited).string(entry.help);
    if (entry.unit !== '') writer.tag(5, WireType.LengthDelimited).string(entry.unit);
    writer.join();
  }
  return writer.finish().slice();
};
