/** Remote write 2.0: `io.prometheus.write.v2.Request` (prompb/io/prometheus/write/v2/types.proto). */
import { CodecError } from './errors.js';
import { METRIC_NAME_LABEL, normalizeLabels } from './labels.js';
import {
  checkSafeTimestamp,
  decodeHistogram,
  decodeSampleInto,
  encodeHistogram,
  encodeSample,
} from './messages.js';
import {
  type DecodedWriteRequest,
  type DecodedWriteSeries,
  type Exemplar,
  type Label,
  METRIC_TYPES,
  type MetricMetadata,
  type NativeHistogram,
  summarize,
  type WriteRequestInput,
} from './model.js';
import { allocateSamples, countSamples, finishSamples, type SampleRows } from './sample-columns.js';
import { ProtoReader, ProtoWriter, WireType } from './wire.js';

/** The interned strings of one request, with a flag per symbol that was not valid UTF-8. */
interface SymbolTable {
  readonly symbols: readonly string[];
  /** 1 where the symbol was not valid UTF-8; undefined when every symbol was valid. */
  readonly invalidUtf8: Uint8Array | undefined;
}

const invalid = (message: string): never => {
  throw new CodecError('invalid_data', message);
};

/** Reads `labels_refs` (packed or not) into `into`. */
const readRefs = (reader: ProtoReader, wireType: number, into: number[]): void => {
  if (wireType === WireType.Varint) {
    into.push(reader.uint32());
    return;
  }
  const end = reader.lengthDelimitedEnd();
  while (reader.pos < end) into.push(reader.uint32());
  reader.assertEnd(end, 'packed labels_refs');
};

/** Resolves (name, value) ref pairs; returns whether any referenced symbol was invalid UTF-8. */
const resolveLabels = (refs: readonly number[], table: SymbolTable, into: Label[], what: string): boolean => {
  if (refs.length % 2 !== 0) invalid(`${what} labels_refs has odd length ${refs.length}`);
  const { symbols } = table;
  let invalidUtf8 = false;
  for (let i = 0; i < refs.length; i += 2) {
    const nameRef = refs[i] as number;
    const valueRef = refs[i + 1] as number;
    const name = symbols[nameRef];
    const value = symbols[valueRef];
    if (name === undefined || value === undefined) {
      const ref = name === undefined ? nameRef : valueRef;
      invalid(`${what} labels_refs references symbol ${ref}, but the table has ${symbols.length} symbols`);
    }
    if (
      table.invalidUtf8 !== undefined &&
      (table.invalidUtf8[nameRef] === 1 || table.invalidUtf8[valueRef] === 1)
    ) {
      invalidUtf8 = true;
    }
    into.push({ name: name as string, value: value as string });
  }
  return invalidUtf8;
};

const symbolAt = (table: SymbolTable, ref: number, what: string): string => {
  const symbol = table.symbols[ref];
  if (symbol === undefined) {
    return invalid(`${what} references symbol ${ref}, but the table has ${table.symbols.length} symbols`);
  }
  return symbol;
};

const decodeExemplarV2 = (reader: ProtoReader, end: number, table: SymbolTable): Exemplar => {
  const refs: number[] = [];
  let value = 0;
  let timestampMs = 0;
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        if (wireType !== WireType.Varint)
          reader.expect(wireType, WireType.LengthDelimited, 'Exemplar field 1');
        readRefs(reader, wireType, refs);
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
  const labels: Label[] = [];
  resolveLabels(refs, table, labels, 'exemplar');
  return { labels, value, timestampMs: checkSafeTimestamp(timestampMs, 'exemplar') };
};

interface MetadataV2 {
  readonly type: number;
  readonly helpRef: number;
  readonly unitRef: number;
}

const decodeMetadataV2 = (reader: ProtoReader, end: number): MetadataV2 => {
  let type = 0;
  let helpRef = 0;
  let unitRef = 0;
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        reader.expect(wireType, WireType.Varint, 'Metadata field 1');
        type = reader.uint32();
        break;
      case 3:
        reader.expect(wireType, WireType.Varint, 'Metadata field 3');
        helpRef = reader.uint32();
        break;
      case 4:
        reader.expect(wireType, WireType.Varint, 'Metadata field 4');
        unitRef = reader.uint32();
        break;
      default:
        // Field 2 is unused in Metadata, so it is skipped like any unknown field.
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'Metadata');
  return { type, helpRef, unitRef };
};

const withStart = <T extends { readonly startTimestampMs: number }>(
  items: T[],
  startTimestampMs: number,
): T[] => items.map((item) => (item.startTimestampMs === 0 ? { ...item, startTimestampMs } : item));

const decodeTimeSeriesV2 = (
  reader: ProtoReader,
  end: number,
  table: SymbolTable,
  metadataOut: MetricMetadata[],
  samples: SampleRows,
  first: number,
): DecodedWriteSeries => {
  const refs: number[] = [];
  let sampleCount = 0;
  let histograms: NativeHistogram[] = [];
  const exemplars: Exemplar[] = [];
  let metadata: MetadataV2 | undefined;
  let createdTimestampMs = 0;
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
        if (wireType !== WireType.Varint)
          reader.expect(wireType, WireType.LengthDelimited, 'TimeSeries.labels_refs');
        readRefs(reader, wireType, refs);
        break;
      case 2:
        reader.expect(wireType, WireType.LengthDelimited, 'TimeSeries.samples');
        decodeSampleInto(reader, reader.lengthDelimitedEnd(), '2.0', samples, first + sampleCount++);
        break;
      case 3:
        reader.expect(wireType, WireType.LengthDelimited, 'TimeSeries.histograms');
        histograms.push(decodeHistogram(reader, reader.lengthDelimitedEnd(), '2.0'));
        break;
      case 4:
        reader.expect(wireType, WireType.LengthDelimited, 'TimeSeries.exemplars');
        exemplars.push(decodeExemplarV2(reader, reader.lengthDelimitedEnd(), table));
        break;
      case 5:
        reader.expect(wireType, WireType.LengthDelimited, 'TimeSeries.metadata');
        metadata = decodeMetadataV2(reader, reader.lengthDelimitedEnd());
        break;
      case 6:
        // Prometheus 2.54–3.7 sent the start time here as `created_timestamp`; 3.8 moved it into
        // each Sample/Histogram and reserved this field.
        reader.expect(wireType, WireType.Varint, 'TimeSeries.created_timestamp');
        createdTimestampMs = checkSafeTimestamp(reader.int64(), 'series created');
        break;
      default:
        reader.skip(tag);
    }
  }
  reader.assertEnd(end, 'TimeSeries');
  if (createdTimestampMs !== 0) {
    for (let i = first; i < first + sampleCount; i++) {
      if ((samples.startTimestampsMs?.[i] ?? 0) !== 0) continue;
      samples.startTimestampsMs ??= new Float64Array(samples.values.length);
      samples.startTimestampsMs[i] = createdTimestampMs;
    }
    histograms = withStart(histograms, createdTimestampMs);
  }

  const labels: Label[] = [];
  const invalidUtf8 = resolveLabels(refs, table, labels, 'series');
  const reason = normalizeLabels(labels);
  if (metadata !== undefined && (metadata.type !== 0 || metadata.helpRef !== 0 || metadata.unitRef !== 0)) {
    metadataOut.push({
      metricFamilyName: labels.find((label) => label.name === METRIC_NAME_LABEL)?.value ?? '',
      type: METRIC_TYPES[metadata.type] ?? 'unknown',
      help: symbolAt(table, metadata.helpRef, 'metadata help_ref'),
      unit: symbolAt(table, metadata.unitRef, 'metadata unit_ref'),
    });
  }
  return {
    labels,
    sampleStart: first,
    sampleCount,
    histograms,
    exemplars,
    invalidLabels: invalidUtf8 ? 'invalid_utf8' : reason,
  };
};

/**
 * Decodes an uncompressed `io.prometheus.write.v2.Request`. The symbol table is read first, wherever
 * it sits in the message, then every series' refs are resolved against it.
 */
export const decodeWriteRequestV2 = (bytes: Uint8Array): DecodedWriteRequest => {
  const reader = new ProtoReader(bytes);
  const symbols: string[] = [];
  const invalidSymbols: number[] = [];
  const seriesRanges: number[] = [];
  while (reader.pos < bytes.length) {
    const tag = reader.tag();
    const field = tag >>> 3;
    const wireType = tag & 7;
    switch (field) {
      case 1:
      case 2:
      case 3:
        // Reserved so that a v1 decoder sees an empty message; seeing them here means a 1.0 body
        // was sent with the 2.0 Content-Type, and skipping them would silently drop its data.
        invalid(
          `field ${field} is reserved in io.prometheus.write.v2.Request (is this a remote write 1.0 body?)`,
        );
        break;
      case 4:
        reader.expect(wireType, WireType.LengthDelimited, 'Request.symbols');
        reader.sawInvalidUtf8 = false;
        symbols.push(reader.string());
        if (reader.sawInvalidUtf8) invalidSymbols.push(symbols.length - 1);
        break;
      case 5: {
        reader.expect(wireType, WireType.LengthDelimited, 'Request.timeseries');
        const end = reader.lengthDelimitedEnd();
        seriesRanges.push(reader.pos, end);
        reader.pos = end;
        break;
      }
      default:
        reader.skip(tag);
    }
  }
  if (symbols.length > 0 && symbols[0] !== '') invalid('symbols[0] must be the empty string');

  let invalidUtf8: Uint8Array | undefined;
  if (invalidSymbols.length > 0) {
    invalidUtf8 = new Uint8Array(symbols.length);
    for (const index of invalidSymbols) invalidUtf8[index] = 1;
  }
  const table: SymbolTable = { symbols, invalidUtf8 };
  const series: DecodedWriteSeries[] = [];
  const metadata: MetricMetadata[] = [];
  const rows = allocateSamples(countSamples(reader, seriesRanges, 2));
  let samples = 0;
  for (let i = 0; i < seriesRanges.length; i += 2) {
    reader.pos = seriesRanges[i] as number;
    const decoded = decodeTimeSeriesV2(reader, seriesRanges[i + 1] as number, table, metadata, rows, samples);
    samples += decoded.sampleCount;
    series.push(decoded);
  }
  return summarize('2.0', series, finishSamples(rows, samples), metadata);
};

/** Builds a symbol table the way Prometheus's `writev2.SymbolsTable` does: "" first, then first use order. */
class SymbolInterner {
  public readonly symbols: string[] = [''];
  private readonly refs = new Map<string, number>([['', 0]]);

  public ref(symbol: string): number {
    let ref = this.refs.get(symbol);
    if (ref === undefined) {
      ref = this.symbols.length;
      this.symbols.push(symbol);
      this.refs.set(symbol, ref);
    }
    return ref;
  }
}

const writePackedRefs = (
  writer: ProtoWriter,
  fieldNumber: number,
  labels: readonly Label[],
  interner: SymbolInterner,
) => {
  if (labels.length === 0) return;
  writer.tag(fieldNumber, WireType.LengthDelimited).fork();
  for (const label of labels) writer.uint32(interner.ref(label.name)).uint32(interner.ref(label.value));
  writer.join();
};

/** Encodes an uncompressed `io.prometheus.write.v2.Request` (compress it with `compressSnappyBlock`). */
export const encodeWriteRequestV2 = (request: WriteRequestInput): Uint8Array => {
  const interner = new SymbolInterner();
  const body = new ProtoWriter(4096);
  for (const series of request.series) {
    body.tag(5, WireType.LengthDelimited).fork();
    writePackedRefs(body, 1, series.labels, interner);
    for (const sample of series.samples ?? []) encodeSample(body, 2, sample, true);
    for (const histogram of series.histograms ?? []) encodeHistogram(body, 3, histogram, true);
    for (const exemplar of series.exemplars ?? []) {
      body.tag(4, WireType.LengthDelimited).fork();
      writePackedRefs(body, 1, exemplar.labels, interner);
      if (exemplar.value !== 0) body.tag(2, WireType.Fixed64).double(exemplar.value);
      if (exemplar.timestampMs !== 0) body.tag(3, WireType.Varint).int64(exemplar.timestampMs);
      body.join();
    }
    if (series.metadata !== undefined) {
      body.tag(5, WireType.LengthDelimited).fork();
      const type = METRIC_TYPES.indexOf(series.metadata.type);
      if (type > 0) body.tag(1, WireType.Varint).uint32(type);
      const helpRef = interner.ref(series.metadata.help);
      if (helpRef !== 0) body.tag(3, WireType.Varint).uint32(helpRef);
      const unitRef = interner.ref(series.metadata.unit);
      if (unitRef !== 0) body.tag(4, WireType.Varint).uint32(unitRef);
      body.join();
    }
    body.join();
  }
  // Symbols go first on the wire, as Prometheus writes them.
  const out = new ProtoWriter(4096);
  for (const symbol of interner.symbols) out.tag(4, WireType.LengthDelimited).string(symbol);
  const head = out.finish();
  const tail = body.finish();
  const message = new Uint8Array(head.length + tail.length);
  message.set(head, 0);
  message.set(tail, head.length);
  return message;
};
