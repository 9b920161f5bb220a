/**
 * Remote write → Timestream records: one record per float sample, grouped by series and packed
 * into WriteRecords batches whose shared fields go into CommonAttributes. Everything Timestream
 * could never store is decided here, before anything is sent.
 */
import type { Dimension, _Record as TimestreamRecord } from '@aws-sdk/client-timestream-write';
import type { DecodedSeries, DecodedWriteRequest, Label } from '@prometheus-timestream/codec';
import { METRIC_NAME_LABEL } from '@prometheus-timestream/codec';
import { BadRequestError } from './errors.js';

/** Timestream's per-call and per-record limits (docs: ts-limits.html). */
export const MAX_RECORDS_PER_BATCH = 100;
export const MAX_DIMENSION_NAME_BYTES = 60;
export const MAX_MEASURE_NAME_BYTES = 256;
export const MAX_DIMENSIONS = 128;
export const MAX_RECORD_BYTES = 2048;
const MAX_SKIPPED_SERIES_EXAMPLES = 5;
/** What a record costs beside its names and values: the 8-byte time and the 8-byte double. */
const RECORD_OVERHEAD_BYTES = 16;

/**
 * The dimension that marks a record as a Prometheus staleness marker (Timestream cannot store
 * NaN, let alone StaleNaN's bits). Prometheus reserves `__`-prefixed label names, so no stored
 * series carries it as a label; the write path refuses it as one all the same.
 */
export const STALE_MARKER_DIMENSION = '__stale__';
const STALE_MARKER_VALUE = 'true';
/** The stored value of a marker record; the read path never returns it. */
const STALE_MARKER_MEASURE_VALUE = '0';
const STALE_MARKER_BYTES = STALE_MARKER_DIMENSION.length + STALE_MARKER_VALUE.length;

/** Why a float sample was not sent to Timestream. */
export type SkipReason =
  | 'stale_marker'
  | 'non_finite_value'
  | 'missing_metric_name'
  | 'invalid_labels'
  | 'metric_name_too_long'
  | 'label_name_too_long'
  | 'reserved_label_name'
  | 'metric_name_is_label_name'
  | 'too_many_dimensions'
  | 'record_too_large';

export interface WriteBatch {
  readonly commonAttributes: TimestreamRecord;
  readonly records: readonly TimestreamRecord[];
}

export interface TranslatedWrite {
  readonly batches: readonly WriteBatch[];
  /** Records in all batches: the float samples (and stored staleness markers) that will be sent. */
  readonly records: number;
  /** Float samples not sent, by reason; reasons with no sample are absent. */
  readonly skipped: Readonly<Partial<Record<SkipReason, number>>>;
  /** Native histograms and exemplars are received but not stored (Timestream has no type for them). */
  readonly histogramsNotStored: number;
  readonly exemplarsNotStored: number;
  /** The first few series skipped as a whole, described with their labels (for debug logs). */
  readonly skippedSeries: readonly string[];
}

export interface TranslateOptions {
  /** Answer 400 instead of skipping a series whose labels Timestream cannot store. */
  readonly failOnLongLabel: boolean;
  /** Answer 400 instead of skipping NaN and ±Inf (staleness markers never fail a request). */
  readonly failOnInvalidSampleValue: boolean;
  /** Store staleness markers as records with the marker dimension instead of skipping them. */
  readonly storeStalenessMarkers?: boolean;
}

/** Fast path: an ASCII-or-not string of n UTF-16 units is at most 3n UTF-8 bytes. */
const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8');
const exceedsBytes = (text: string, limit: number): boolean =>
  text.length > limit || (text.length * 3 > limit && utf8Length(text) > limit);

/** Dimension names Timestream reserves for its own columns (docs; the service rejects them). */
const isReservedDimensionName = (name: string): boolean =>
  name === 'time' ||
  name === 'measure_name' ||
  name.startsWith('measure_value') ||
  name.startsWith('ts_') ||
  name.includes(':') ||
  name === STALE_MARKER_DIMENSION;

const isReservedMeasureName = (name: string): boolean =>
  name === 'time' ||
  name === 'measure_name' ||
  name === 'measure_value' ||
  name.startsWith('measure_value::');

/**
 * The shortest decimal that reads back as the same double (`1e-7`, `1e+300`), never fixed
 * decimals; `String(-0)` is `"0"`, so the sign of zero is kept explicitly.
 */
export const formatMeasureValue = (value: number): string => (Object.is(value, -0) ? '-0' : String(value));

/**
 * The label set as Prometheus prints it, shortened: with values for the 400 bodies that must name
 * a series, names only for logs (label values can be sensitive).
 */
export const describeSeries = (labels: readonly Label[], withValues = true): string => {
  const name = labels.find((label) => label.name === METRIC_NAME_LABEL)?.value ?? '';
  const rest = labels
    .filter((label) => label.name !== METRIC_NAME_LABEL)
    .map((label) => (withValues ? `${label.name}=${JSON.stringify(label.value)}` : label.name))
    .join(', ');
  const text = `${name}{${rest}}`;
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
};

const SERIES_PROBLEMS: Readonly<Record<Exclude<SkipReason, 'stale_marker' | 'non_finite_value'>, string>> = {
  missing_metric_name: 'has no metric name (__name__)',
  invalid_labels: 'has an invalid label set (empty, duplicate or non-UTF-8 label names)',
  metric_name_too_long: `has a metric name over ${MAX_MEASURE_NAME_BYTES} bytes, Timestream's measure-name limit`,
  label_name_too_long: `has a label name over ${MAX_DIMENSION_NAME_BYTES} bytes, Timestream's dimension-name limit`,
  reserved_label_name:
    'uses a name Timestream or the connector reserves (time, measure_name, measure_value…, ts_…, __stale__, or one with ":")',
  metric_name_is_label_name:
    'has a label named like its metric; Timestream cannot give a measure and a dimension one name',
  too_many_dimensions: `has more than ${MAX_DIMENSIONS} labels besides __name__, Timestream's dimension limit`,
  record_too_large: `has labels over ${MAX_RECORD_BYTES} bytes in total, Timestream's record-size limit`,
};

type SeriesProblem = keyof typeof SERIES_PROBLEMS;

/**
 * Why Timestream could never store this series, or, when it can, whether a staleness marker
 * (one more dimension) still fits Timestream's limits, and the metered size of its records.
 */
const seriesProblem = (
  series: DecodedSeries,
): SeriesProblem | { readonly markerFits: boolean; readonly recordBytes: number } => {
  if (series.invalidLabels === 'missing_metric_name') return 'missing_metric_name';
  if (series.invalidLabels !== null) return 'invalid_labels';
  let bytes = RECORD_OVERHEAD_BYTES;
  let dimensions = 0;
  const metricName = series.labels.find((label) => label.name === METRIC_NAME_LABEL)?.value;
  for (const { name, value } of series.labels) {
    if (name === metricName) return 'metric_name_is_label_name';
    if (name === METRIC_NAME_LABEL) {
      if (exceedsBytes(value, MAX_MEASURE_NAME_BYTES)) return 'metric_name_too_long';
      if (isReservedMeasureName(value)) return 'reserved_label_name';
    } else {
      if (exceedsBytes(name, MAX_DIMENSION_NAME_BYTES)) return 'label_name_too_long';
      if (isReservedDimensionName(name)) return 'reserved_label_name';
      dimensions++;
    }
    bytes += name === METRIC_NAME_LABEL ? utf8Length(value) : utf8Length(name) + utf8Length(value);
  }
  if (dimensions > MAX_DIMENSIONS) return 'too_many_dimensions';
  if (bytes > MAX_RECORD_BYTES) return 'record_too_large';
  return {
    markerFits: dimensions < MAX_DIMENSIONS && bytes + STALE_MARKER_BYTES <= MAX_RECORD_BYTES,
    recordBytes: bytes,
  };
};

/** The samples of one label set, gathered from every TimeSeries of the request that carries it. */
interface SeriesGroup {
  /** The series' `job` and `instance` values, the labels its scrape target gives every series. */
  readonly target: string;
  readonly measureName: string;
  readonly dimensions: readonly Dimension[];
  /** A record's metered size with every attribute its own: 8 B time, 8 B double, names and values. */
  readonly recordBytes: number;
  readonly records: TimestreamRecord[];
}

const seriesKey = (labels: readonly Label[]): string => {
  let key = '';
  for (const { name, value } of labels) key += `${name}\u0000${value}\u0001`;
  return key;
};

const measureNameOf = (labels: readonly Label[]): string =>
  labels.find((label) => label.name === METRIC_NAME_LABEL)?.value as string;

const toDimensions = (labels: readonly Label[]): Dimension[] => {
  const dimensions: Dimension[] = [];
  // The codec sorts labels by name, so dimensions come out sorted too.
  for (const { name, value } of labels)
    if (name !== METRIC_NAME_LABEL) dimensions.push({ Name: name, Value: value });
  return dimensions;
};

/** A run of one group's records inside a batch. */
interface Segment {
  readonly group: SeriesGroup;
  readonly start: number;
  readonly end: number;
}

/** What a batch's records share; it goes to CommonAttributes, so Timestream receives and meters it once. */
interface Shared {
  readonly dimensions: readonly Dimension[];
  readonly measureName: string | undefined;
  /** The metered bytes of the above. */
  readonly bytes: number;
}

/** Dimensions every segment has (same name and value), and the measure name if all have it. */
const sharedBy = (segments: readonly Segment[]): Shared => {
  const first = segments[0] as Segment;
  let dimensions = first.group.dimensions;
  let measureName: string | undefined = first.group.measureName;
  for (const { group } of segments) {
    if (group.measureName !== measureName) measureName = undefined;
    if (group.dimensions === dimensions || dimensions.length === 0) continue;
    const values = new Map(group.dimensions.map((d) => [d.Name, d.Value]));
    dimensions = dimensions.filter((d) => values.get(d.Name) === d.Value);
  }
  let bytes = measureName === undefined ? 0 : utf8Length(measureName);
  for (const d of dimensions) bytes += utf8Length(d.Name as string) + utf8Length(d.Value as string);
  return { dimensions, measureName, bytes };
};

const buildBatch = (segments: readonly Segment[], shared = sharedBy(segments)): WriteBatch => {
  const sharedNames = new Set(shared.dimensions.map((d) => d.Name));
  const records: TimestreamRecord[] = [];
  for (const { group, start, end } of segments) {
    const own =
      sharedNames.size === 0 ? group.dimensions : group.dimensions.filter((d) => !sharedNames.has(d.Name));
    for (let i = start; i < end; i++) {
      // Completed in place: each record belongs to exactly one batch of this request.
      const record = group.records[i] as TimestreamRecord;
      if (own.length > 0) record.Dimensions = own as Dimension[];
      if (shared.measureName === undefined) record.MeasureName = group.measureName;
      records.push(record);
    }
  }
  return {
    commonAttributes: {
      ...(shared.dimensions.length === 0 ? {} : { Dimensions: shared.dimensions as Dimension[] }),
      ...(shared.measureName === undefined ? {} : { MeasureName: shared.measureName }),
      MeasureValueType: 'DOUBLE',
      TimeUnit: 'MILLISECONDS',
    },
    records,
  };
};

/** Timestream meters each WriteRecords call in whole KiB ("write units"), rounded up. */
const WRITE_UNIT_BYTES = 1024;
/** At most this many records of a full batch move to the next one to end it on a whole unit. */
const MAX_RECORDS_MOVED = 25;

/**
 * How many of a full batch's records to send so that its metered size ends just below a whole
 * write unit; the rest start the next batch. Leaving them out can only add shared attributes,
 * so the shortened call is metered one unit less (5–7 % fewer units for 15–20 % more calls on
 * the bench's label sets).
 */
const recordsFillingWholeUnits = (segments: readonly Segment[], size: number, shared: Shared): number => {
  let bytes = shared.bytes;
  for (const { group, start, end } of segments) bytes += (end - start) * (group.recordBytes - shared.bytes);
  const target = (Math.ceil(bytes / WRITE_UNIT_BYTES) - 1) * WRITE_UNIT_BYTES;
  let keep = size;
  for (let s = segments.length - 1; s >= 0 && bytes > target; s--) {
    const { group, start, end } = segments[s] as Segment;
    for (let i = end; i > start && bytes > target; i--, keep--) bytes -= group.recordBytes - shared.bytes;
  }
  return size - keep <= MAX_RECORDS_MOVED && keep > 0 ? keep : size;
};

/**
 * Orders the groups so that a batch's records share as much as possible: the scrape target
 * (`job`, `instance`, which Prometheus attaches to every scraped series) first, then the metric.
 * Shared dimensions and measure names go to CommonAttributes and are metered once per call; with
 * whole-unit batches this meters 30–35 % fewer write units than the Go connector's arrival-order
 * batches without CommonAttributes (`npm run bench`, figure 6). Stable, so a series' markers stay
 * beside its samples.
 */
const bySharedAttributes = (groups: Iterable<SeriesGroup>): SeriesGroup[] =>
  [...groups].sort((a, b) =>
    a.target !== b.target
      ? a.target < b.target
        ? -1
        : 1
      : a.measureName === b.measureName
        ? 0
        : a.measureName < b.measureName
          ? -1
          : 1,
  );

const targetOf = (labels: readonly Label[]): string => {
  let job = '';
  let instance = '';
  for (const { name, value } of labels) {
    if (name === 'job') job = value;
    else if (name === 'instance') instance = value;
  }
  return `${job}\u0000${instance}`;
};

const packBatches = (groups: readonly SeriesGroup[]): WriteBatch[] => {
  const batches: WriteBatch[] = [];
  let segments: Segment[] = [];
  let size = 0;
  /** Sends the first `count` records; `shared`, if given, is what exactly those records share. */
  const sendFirst = (count: number, shared?: Shared): void => {
    const head: Segment[] = [];
    const tail: Segment[] = [];
    let taken = 0;
    for (const segment of segments) {
      const room = count - taken;
      const length = segment.end - segment.start;
      if (room >= length) head.push(segment);
      else if (room <= 0) tail.push(segment);
      else {
        head.push({ group: segment.group, start: segment.start, end: segment.start + room });
        tail.push({ group: segment.group, start: segment.start + room, end: segment.end });
      }
      taken += Math.min(Math.max(room, 0), length);
    }
    batches.push(buildBatch(head, shared));
    segments = tail;
    size -= count;
  };
  for (const group of groups) {
    let start = 0;
    while (start < group.records.length) {
      const end = Math.min(group.records.length, start + MAX_RECORDS_PER_BATCH - size);
      segments.push({ group, start, end });
      size += end - start;
      start = end;
      if (size === MAX_RECORDS_PER_BATCH) {
        const shared = sharedBy(segments);
        const count = recordsFillingWholeUnits(segments, size, shared);
        sendFirst(count, count === size ? shared : undefined);
      }
    }
  }
  if (size > 0) sendFirst(size);
  return batches;
};

/**
 * Translates a decoded remote-write request into WriteRecords batches.
 *
 * @throws BadRequestError with `failOnLongLabel` / `failOnInvalidSampleValue`, naming the series
 * @example
 * ```ts
 * const { batches, skipped } = toTimestreamBatches(decodeWriteRequest(body, headers), options);
 * for (const batch of batches) await client.send(new WriteRecordsCommand({ ...destination, CommonAttributes: batch.commonAttributes, Records: [...batch.records] }));
 * ```
 */
export const toTimestreamBatches = (
  request: DecodedWriteRequest,
  options: TranslateOptions,
): TranslatedWrite => {
  const groups = new Map<string, SeriesGroup>();
  const skipped: Partial<Record<SkipReason, number>> = {};
  const skip = (reason: SkipReason, count: number): void => {
    if (count > 0) skipped[reason] = (skipped[reason] ?? 0) + count;
  };
  const skippedSeries: string[] = [];
  let records = 0;
  let histograms = 0;
  let exemplars = 0;
  for (const series of request.series) {
    histograms += series.histograms.length;
    exemplars += series.exemplars.length;
    if (series.samples.length === 0) continue;
    const problem = seriesProblem(series);
    if (typeof problem === 'string') {
      if (options.failOnLongLabel) {
        const consequence = 'nothing was written (fail-on-long-label is set)';
        throw new BadRequestError(
          `series ${describeSeries(series.labels)} ${SERIES_PROBLEMS[problem]}; ${consequence}`,
          {
            logMessage: `series ${describeSeries(series.labels, false)} ${SERIES_PROBLEMS[problem]}; ${consequence}`,
          },
        );
      }
      skip(problem, series.samples.length);
      if (skippedSeries.length < MAX_SKIPPED_SERIES_EXAMPLES)
        skippedSeries.push(`${describeSeries(series.labels)}: ${problem}`);
      continue;
    }
    const key = seriesKey(series.labels);
    let group = groups.get(key);
    const storeMarkers = options.storeStalenessMarkers === true && problem.markerFits;
    for (const sample of series.samples) {
      if (sample.stale) {
        if (!storeMarkers) {
          skip('stale_marker', 1);
          continue;
        }
        // Markers form their own group: their dimension set differs from the samples'.
        const markerKey = `${key}\u0002`;
        let markers = groups.get(markerKey);
        if (markers === undefined) {
          markers = {
            target: targetOf(series.labels),
            measureName: measureNameOf(series.labels),
            dimensions: [
              ...toDimensions(series.labels),
              { Name: STALE_MARKER_DIMENSION, Value: STALE_MARKER_VALUE },
            ],
            recordBytes: problem.recordBytes + STALE_MARKER_BYTES,
            records: [],
          };
          groups.set(markerKey, markers);
        }
        markers.records.push({ MeasureValue: STALE_MARKER_MEASURE_VALUE, Time: String(sample.timestampMs) });
        records++;
        continue;
      }
      if (!Number.isFinite(sample.value)) {
        if (options.failOnInvalidSampleValue) {
          const problem = `has the value ${sample.value} at ${sample.timestampMs}, which Timestream cannot store; nothing was written (fail-on-invalid-sample-value is set)`;
          throw new BadRequestError(`series ${describeSeries(series.labels)} ${problem}`, {
            logMessage: `series ${describeSeries(series.labels, false)} ${problem}`,
          });
        }
        skip('non_finite_value', 1);
        continue;
      }
      if (group === undefined) {
        group = {
          target: targetOf(series.labels),
          measureName: measureNameOf(series.labels),
          dimensions: toDimensions(series.labels),
          recordBytes: problem.recordBytes,
          records: [],
        };
        groups.set(key, group);
      }
      group.records.push({
        MeasureValue: formatMeasureValue(sample.value),
        Time: String(sample.timestampMs),
      });
      records++;
    }
  }
  return {
    batches: packBatches(bySharedAttributes(groups.values())),
    records,
    skipped,
    histogramsNotStored: histograms,
    exemplarsNotStored: exemplars,
    skippedSeries,
  };
};
