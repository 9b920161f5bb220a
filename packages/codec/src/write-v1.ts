/** Remote write 1.0: `prometheus.WriteRequest` (prompb/remote.proto, prompb/types.proto). */
import { CodecError } from './errors.js';
import { createRequestDecodeState } from './interner.js';
import { decodeWriteTimeSeries, encodeTimeSeries } from './messages.js';
import {
  type DecodedWriteRequest,
  type DecodedWriteSeries,
  METRIC_TYPES,
  type MetricMetadata,
  summarize,
  type WriteRequestInput,
} from './model.js';
import { allocateSamples, countSamples, finishSamples } from './sample-columns.js';
import { ProtoReader, ProtoWriter, WireType } from './wire.js';

const decodeMetadata = (reader: ProtoReader, end: number): MetricMetadata => {
  let type = 0;
  let metricFamilyName = '';
  let help = '';
  let unit = '';
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.Varint, 'MetricMetadata field 1');
        type = reader.uint32();
        break;
      case 2:
        reader.expect(wireType, WireType.LengthDelimited, 'MetricMetadata field 2');
        metricFamilyName = reader.string();
        break;
      case 4:
        reader.expect(wireType, WireType.LengthDelimited, 'MetricMetadata field 4');
        help = reader.string();
        break;
      case 5:
        reader.expect(wireType, WireType.LengthDelimited, 'MetricMetadata field 5');
        unit = reader.string();
        break;
      default:
        // Field 3 is unused in MetricMetadata, so it is skipped like any unknown field.
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'MetricMetadata');
  return { metricFamilyName, type: METRIC_TYPES[type] ?? 'unknown', help, unit };
};

/** A known top-level field with the wrong wire type; unlike `reader.fail`, the message names no byte offset. */
const wrongWireType = (field: number, wireType: number): CodecError =>
  new CodecError('protobuf', `wrong wire type ${wireType} for WriteRequest field ${field}`);

/**
 * Decodes an uncompressed `prometheus.WriteRequest`. Unknown fields (including the reserved
 * field 2) are skipped; structural errors throw a `CodecError`.
 */
export const decodeWriteRequestV1 = (bytes: Uint8Array): DecodedWriteRequest => {
  const reader = new ProtoReader(bytes);
  const ranges: number[] = [];
  const metadata: MetricMetadata[] = [];
  const end = bytes.length;
  let sawV2Fields = false;
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1: {
        if (wireType !== WireType.LengthDelimited) throw wrongWireType(field, wireType);
        // Decoded below, once the samples are counted and their columns allocated.
        const seriesEnd = reader.lengthDelimitedEnd();
        ranges.push(reader.pos, seriesEnd);
        reader.pos = seriesEnd;
        break;
      }
      case 3:
        if (wireType !== WireType.LengthDelimited) throw wrongWireType(field, wireType);
        metadata.push(decodeMetadata(reader, reader.lengthDelimitedEnd()));
        break;
      case 4:
      case 5:
        sawV2Fields = true;
        reader.skip(tag);
        break;
      default:
        reader.skip(tag);
    }
  }
  if (sawV2Fields && ranges.length === 0 && metadata.length === 0) {
    // Skipping unknown fields is right in general, but a body made only of v2's symbols and
    // timeseries fields would otherwise be accepted as empty and its samples silently lost.
    throw new CodecError(
      'invalid_data',
      'body holds only io.prometheus.write.v2.Request fields (4, 5); send it with Content-Type ' +
        '"application/x-protobuf;proto=io.prometheus.write.v2.Request"',
    );
  }
  const state = createRequestDecodeState();
  const rows = allocateSamples(countSamples(reader, ranges, 2));
  const series: DecodedWriteSeries[] = [];
  let samples = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    reader.pos = ranges[i] as number;
    const decoded = decodeWriteTimeSeries(reader, ranges[i + 1] as number, state, rows, samples);
    samples += decoded.sampleCount;
    series.push(decoded);
  }
  return summarize('1.0', series, finishSamples(rows, samples), metadata);
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
