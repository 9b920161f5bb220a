/**
 * Remote write → Timestream records: one record per float sample, grouped by series and packed
 * into WriteRecords calls whose shared fields go into CommonAttributes. Everything Timestream
 * could never store (and every count the answer needs) is decided in one pass over the decoded
 * request, before anything is sent; the calls' JSON bodies are then built one batch at a time as
 * they are sent, straight from the decoded samples, so a request holds its decoded body and the
 * batches in flight, never an object per record.
 */
import type {
  DecodedWriteRequest,
  DecodedWriteSeries,
  Label,
  SampleColumns,
} from '@prometheus-timestream/codec';
import { METRIC_NAME_LABEL } from '@prometheus-timestream/codec';
import { BadRequestError } from './errors.js';
import type { Destination } from './timestream-errors.js';

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

/** One WriteRecords call. */
export interface WriteBatch {
  /** Records in the call. */
  readonly records: number;
  /** Records in the calls after this one: what is left unsent if the request stops here. */
  readonly recordsAfter: number;
  /**
   * The call's JSON, byte for byte what the SDK serializes for the same input (awsJson1_0:
   * DatabaseName, TableName, Records, CommonAttributes, each record's and dimension's members in
   * the schema's order, strings escaped as JSON.stringify escapes them).
   */
  readonly body: string;
}

export interface TranslatedWrite {
  /** The calls in sending order, each built when the iteration reaches it (every iteration anew). */
  readonly batches: Iterable<WriteBatch>;
  /** Records in all batches: the float samples (and stored staleness markers) that will be sent. */
  readonly records: number;
  /** Float samples not sent, by reason; reasons with no sample are absent. */
  readonly skipped: Readonly<Partial<Record<SkipReason, number>>>;
  /** Native histograms and exemplars are received but not stored (Timestream has no type for them). */
  readonly histogramsNotStored: number;
  readonly exemplarsNotStored: number;
  /** The first few series skipped as a whole, described with their labels (for debug logs). */
  readonly skippedSeries: readonly string[];
  /** Every dimension name the records carry, the staleness-marker dimension included. */
  readonly dimensionNames: ReadonlySet<string>;
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
  series: DecodedWriteSeries,
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

/** The records of one label set, gathered from every TimeSeries of the request that carries it. */
interface SeriesGroup {
  /** The series' `job` and `instance` values, the labels its scrape target gives every series. */
  readonly target: string;
  readonly measureName: string;
  /** A record's metered size with every attribute its own: 8 B time, 8 B double, names and values. */
  readonly recordBytes: number;
  /** Its records are the series' staleness markers, not its float samples. */
  readonly markers: boolean;
  /**
   * The first decoded series carrying the label set (its labels are the group's); any more (rare:
   * Prometheus may repeat one) are in the request's `MoreSeries`. Five fields: a request can hold
   * a million groups.
   */
  readonly first: DecodedWriteSeries;
}

/** The series after the first of the groups that have more, in request order. */
type MoreSeries = ReadonlyMap<SeriesGroup, readonly DecodedWriteSeries[]>;

const STALE_MARKER_LABEL: Label = { name: STALE_MARKER_DIMENSION, value: STALE_MARKER_VALUE };

/**
 * FNV-1a over the labels' UTF-16 units, each name and value ended by a unit of its own: groups
 * are found by this number and compared label by label, so no key string is built per series.
 */
const labelsHash = (labels: readonly Label[]): number => {
  let hash = 0x811c9dc5;
  for (const { name, value } of labels) {
    for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
    hash = Math.imul(hash ^ 0x10000, 0x01000193);
    for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
    hash = Math.imul(hash ^ 0x20000, 0x01000193);
  }
  return hash;
};

const sameLabels = (a: readonly Label[], b: readonly Label[]): boolean => {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Label;
    const y = b[i] as Label;
    if (x !== y && (x.name !== y.name || x.value !== y.value)) return false;
  }
  return true;
};

const sameNames = (a: readonly Label[], b: readonly Label[]): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if ((a[i] as Label).name !== (b[i] as Label).name) return false;
  return true;
};

const measureNameOf = (labels: readonly Label[]): string =>
  labels.find((label) => label.name === METRIC_NAME_LABEL)?.value as string;

/** A group's dimensions: its labels but `__name__`, then the marker's for markers. Built per batch. */
const dimensionsOf = ({ first, markers }: SeriesGroup): Label[] => {
  const dimensions: Label[] = [];
  for (const label of first.labels) if (label.name !== METRIC_NAME_LABEL) dimensions.push(label);
  if (markers) dimensions.push(STALE_MARKER_LABEL);
  return dimensions;
};

/** A run of one group's records inside a batch: [start, end) of the pending records. */
interface Segment {
  readonly group: SeriesGroup;
  readonly dimensions: readonly Label[];
  start: number;
  end: number;
}

/** What a batch's records share; it goes to CommonAttributes, so Timestream receives and meters it once. */
interface Shared {
  readonly dimensions: readonly Label[];
  readonly measureName: string | undefined;
  /** The metered bytes of the above. */
  readonly bytes: number;
}

const hasDimension = (dimensions: readonly Label[], { name, value }: Label): boolean => {
  for (const d of dimensions) if (d.name === name) return d.value === value;
  return false;
};

/** Dimensions every segment has (same name and value), and the measure name if all have it. */
const sharedBy = (segments: readonly Segment[], count: number): Shared => {
  const first = segments[0] as Segment;
  let dimensions = first.dimensions;
  let measureName: string | undefined = first.group.measureName;
  for (let s = 0, taken = 0; s < segments.length && taken < count; s++) {
    const segment = segments[s] as Segment;
    taken += segment.end - segment.start;
    if (segment.group.measureName !== measureName) measureName = undefined;
    if (segment.dimensions === dimensions || dimensions.length === 0) continue;
    dimensions = dimensions.filter((d) => hasDimension(segment.dimensions, d));
  }
  let bytes = measureName === undefined ? 0 : utf8Length(measureName);
  for (const d of dimensions) bytes += utf8Length(d.name) + utf8Length(d.value);
  return { dimensions, measureName, bytes };
};

/**
 * The JSON of each Label a request's batches have written so far. The codec decodes equal labels
 * into one object, so a label repeated across series (`job`, `mode="idle"`) is escaped once per
 * request instead of once per record run; cleared when full so a request of unique labels cannot
 * grow it without bound (each entry is also a few dozen bytes of heap).
 */
interface LabelJsonCache {
  readonly json: Map<Label, string>;
}
const MAX_CACHED_LABEL_JSON = 8192;

/** `{"Name":…,"Value":…}`, a Dimension's members in the SDK schema's order. */
const labelJson = (cache: LabelJsonCache, label: Label): string => {
  let json = cache.json.get(label);
  if (json === undefined) {
    json = `{"Name":${JSON.stringify(label.name)},"Value":${JSON.stringify(label.value)}}`;
    if (cache.json.size >= MAX_CACHED_LABEL_JSON) cache.json.clear();
    cache.json.set(label, json);
  }
  return json;
};

/** The Dimensions array's members, leaving out those named in `skip` (the batch's shared ones). */
const dimensionsJson = (
  cache: LabelJsonCache,
  dimensions: readonly Label[],
  skip?: ReadonlySet<string>,
): string => {
  let json = '';
  for (const label of dimensions)
    if (skip === undefined || !skip.has(label.name))
      json += json === '' ? labelJson(cache, label) : `,${labelJson(cache, label)}`;
  return json;
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
 * beside its samples. Sorts in place.
 */
const bySharedAttributes = (groups: SeriesGroup[]): SeriesGroup[] =>
  groups.sort((a, b) =>
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

/**
 * The request's scrape-target keys by their `job` and `instance` Label objects: the codec decodes
 * equal labels into one object, so the series of one target share one key string, found without
 * building one per series, and the sort compares them by identity. A cache: cleared when full,
 * so a request of unique instances costs no more than one string per series.
 */
interface TargetKeys {
  readonly byJob: Map<Label | undefined, Map<Label | undefined, string>>;
  size: number;
}
const MAX_CACHED_TARGET_KEYS = 4096;

const targetOf = (keys: TargetKeys, labels: readonly Label[]): string => {
  let job: Label | undefined;
  let instance: Label | undefined;
  for (const label of labels) {
    if (label.name === 'job') job = label;
    else if (label.name === 'instance') instance = label;
  }
  let byInstance = keys.byJob.get(job);
  let key = byInstance?.get(instance);
  if (key !== undefined) return key;
  key = `${job?.value ?? ''}\u0000${instance?.value ?? ''}`;
  if (keys.size >= MAX_CACHED_TARGET_KEYS) {
    keys.byJob.clear();
    keys.size = 0;
    byInstance = undefined;
  }
  if (byInstance === undefined) {
    byInstance = new Map();
    keys.byJob.set(job, byInstance);
  }
  byInstance.set(instance, key);
  keys.size++;
  return key;
};

/**
 * The records waiting for a batch (at most one batch's worth): their times and values in
 * parallel arrays, and the runs of each group among them.
 */
interface Pending {
  readonly times: Float64Array;
  readonly values: Float64Array;
  segments: Segment[];
  size: number;
}

/** The JSON of the first `count` pending records and the CommonAttributes they share. */
const batchJson = (pending: Pending, count: number, shared: Shared, cache: LabelJsonCache): string => {
  const sharedNames =
    shared.dimensions.length === 0 ? undefined : new Set(shared.dimensions.map((d) => d.name));
  let records = '';
  for (const { group, dimensions, start, end } of pending.segments) {
    if (start >= count) break;
    const own = dimensionsJson(cache, dimensions, sharedNames);
    // Every record of the run starts alike; only its value and time differ.
    const head = `{${own === '' ? '' : `"Dimensions":[${own}],`}${shared.measureName === undefined ? `"MeasureName":${JSON.stringify(group.measureName)},` : ''}"MeasureValue":"`;
    for (let i = start, last = Math.min(end, count); i < last; i++) {
      const value = group.markers
        ? STALE_MARKER_MEASURE_VALUE
        : formatMeasureValue(pending.values[i] as number);
      records += `${records === '' ? '' : ','}${head}${value}","Time":"${pending.times[i] as number}"}`;
    }
  }
  const dimensions =
    shared.dimensions.length === 0 ? '' : `"Dimensions":[${dimensionsJson(cache, shared.dimensions)}],`;
  const measureName =
    shared.measureName === undefined ? '' : `"MeasureName":${JSON.stringify(shared.measureName)},`;
  return `${records}],"CommonAttributes":{${dimensions}${measureName}"MeasureValueType":"DOUBLE","TimeUnit":"MILLISECONDS"}}`;
};

/** Drops the first `count` pending records, moving the rest to the front. */
const dropFirst = (pending: Pending, count: number): void => {
  const kept: Segment[] = [];
  for (const segment of pending.segments) {
    if (segment.end <= count) continue;
    kept.push({
      group: segment.group,
      dimensions: segment.dimensions,
      start: Math.max(segment.start, count) - count,
      end: segment.end - count,
    });
  }
  pending.times.copyWithin(0, count, pending.size);
  pending.values.copyWithin(0, count, pending.size);
  pending.segments = kept;
  pending.size -= count;
};

/**
 * The batches of the ordered groups, each built when it is asked for: groups are cut into runs of
 * at most 100 records, a full batch is shortened to end on a whole write unit (the rest start the
 * next), and what a batch's records share goes to its CommonAttributes.
 */
function* packBatches(
  groups: readonly SeriesGroup[],
  more: MoreSeries,
  samples: SampleColumns,
  records: number,
  destination: Destination,
) {
  const { timestampsMs, values, stale } = samples;
  const start = `{"DatabaseName":${JSON.stringify(destination.database)},"TableName":${JSON.stringify(destination.table)},"Records":[`;
  const pending: Pending = {
    times: new Float64Array(MAX_RECORDS_PER_BATCH),
    values: new Float64Array(MAX_RECORDS_PER_BATCH),
    segments: [],
    size: 0,
  };
  let left = records;
  const cache: LabelJsonCache = { json: new Map() };
  const take = (count: number, full: Shared | undefined): WriteBatch => {
    const shared = full ?? sharedBy(pending.segments, count);
    const body = start + batchJson(pending, count, shared, cache);
    dropFirst(pending, count);
    left -= count;
    return { records: count, recordsAfter: left, body };
  };
  for (const group of groups) {
    const dimensions = dimensionsOf(group);
    const others = more.get(group);
    for (let s = -1; s < (others?.length ?? 0); s++) {
      const series = s < 0 ? group.first : (others?.[s] as DecodedWriteSeries);
      for (let i = series.sampleStart; i < series.sampleStart + series.sampleCount; i++) {
        const value = values[i] as number;
        if (group.markers ? stale[i] !== 1 : stale[i] === 1 || !Number.isFinite(value)) continue;
        const last = pending.segments[pending.segments.length - 1];
        if (last?.group === group && last.end === pending.size) last.end++;
        else pending.segments.push({ group, dimensions, start: pending.size, end: pending.size + 1 });
        pending.times[pending.size] = timestampsMs[i] as number;
        pending.values[pending.size] = value;
        pending.size++;
        if (pending.size === MAX_RECORDS_PER_BATCH) {
          const shared = sharedBy(pending.segments, pending.size);
          const count = recordsFillingWholeUnits(pending.segments, pending.size, shared);
          yield take(count, count === pending.size ? shared : undefined);
        }
      }
    }
  }
  if (pending.size > 0) yield take(pending.size, undefined);
}

/** The batches, packed anew on each iteration (a function of its own: a closure here retains only these). */
const lazyBatches = (
  groups: readonly SeriesGroup[],
  more: MoreSeries,
  samples: SampleColumns,
  records: number,
  destination: Destination,
): Iterable<WriteBatch> => ({
  [Symbol.iterator]: () => packBatches(groups, more, samples, records, destination),
});

/** A 400 naming the series (with label values; the log line names the labels only). */
const seriesError = (series: DecodedWriteSeries, problem: string): BadRequestError =>
  new BadRequestError(`series ${describeSeries(series.labels)} ${problem}`, {
    logMessage: `series ${describeSeries(series.labels, false)} ${problem}`,
  });

/**
 * Translates a decoded remote-write request into WriteRecords calls for `destination`. Every
 * check and count happens here; the calls' bodies are built as `batches` is iterated.
 *
 * @throws BadRequestError with `failOnLongLabel` / `failOnInvalidSampleValue`, naming the series
 * @example
 * ```ts
 * const { batches, skipped } = toTimestreamBatches(decodeWriteRequest(body, headers), options, destination);
 * for (const batch of batches) await writeRecords(batch.body, signal);
 * ```
 */
export const toTimestreamBatches = (
  request: DecodedWriteRequest,
  options: TranslateOptions,
  destination: Destination,
): TranslatedWrite => {
  /** Groups by the hash of their labels (samples and markers apart; an array for a collision), and in order of creation. */
  const groups = [
    new Map<number, SeriesGroup | SeriesGroup[]>(),
    new Map<number, SeriesGroup | SeriesGroup[]>(),
  ] as const;
  const created: SeriesGroup[] = [];
  const more = new Map<SeriesGroup, DecodedWriteSeries[]>();
  const dimensionNames = new Set<string>();
  const targets: TargetKeys = { byJob: new Map(), size: 0 };
  let namesAdded: readonly Label[] = [];
  const skipped: Partial<Record<SkipReason, number>> = {};
  const skip = (reason: SkipReason, count: number): void => {
    if (count > 0) skipped[reason] = (skipped[reason] ?? 0) + count;
  };
  const skippedSeries: string[] = [];
  let records = 0;
  let histograms = 0;
  let exemplars = 0;
  /** Puts `series` into the group of its labels, created on its first record. */
  const joinGroup = (
    hash: number,
    series: DecodedWriteSeries,
    recordBytes: number,
    markers: boolean,
  ): void => {
    const byHash = groups[markers ? 1 : 0];
    const found = byHash.get(hash);
    const alike = (g: SeriesGroup) => sameLabels(g.first.labels, series.labels);
    let group =
      found === undefined || Array.isArray(found) ? found?.find(alike) : alike(found) ? found : undefined;
    if (group === undefined) {
      group = {
        target: targetOf(targets, series.labels),
        measureName: measureNameOf(series.labels),
        recordBytes,
        markers,
        first: series,
      };
      // Consecutive series mostly have one metric's label names (decoded as one string each):
      // comparing them with the last added costs less than adding them again.
      if (!sameNames(series.labels, namesAdded)) {
        for (const { name } of series.labels) if (name !== METRIC_NAME_LABEL) dimensionNames.add(name);
        namesAdded = series.labels;
      }
      if (markers) dimensionNames.add(STALE_MARKER_DIMENSION);
      if (found === undefined) byHash.set(hash, group);
      else if (Array.isArray(found)) found.push(group);
      else byHash.set(hash, [found, group]);
      created.push(group);
    } else if (group.first !== series) {
      const others = more.get(group);
      if (others === undefined) more.set(group, [series]);
      else if (others[others.length - 1] !== series) others.push(series);
    }
  };
  const { timestampsMs, values, stale } = request.samples;
  for (const series of request.series) {
    histograms += series.histograms.length;
    exemplars += series.exemplars.length;
    if (series.sampleCount === 0) continue;
    const problem = seriesProblem(series);
    if (typeof problem === 'string') {
      if (options.failOnLongLabel)
        throw seriesError(
          series,
          `${SERIES_PROBLEMS[problem]}; nothing was written (fail-on-long-label is set)`,
        );
      skip(problem, series.sampleCount);
      if (skippedSeries.length < MAX_SKIPPED_SERIES_EXAMPLES)
        skippedSeries.push(`${describeSeries(series.labels)}: ${problem}`);
      continue;
    }
    let hash: number | undefined;
    const storeMarkers = options.storeStalenessMarkers === true && problem.markerFits;
    let inGroup = false;
    let inMarkers = false;
    for (let i = series.sampleStart; i < series.sampleStart + series.sampleCount; i++) {
      if (stale[i] === 1) {
        if (!storeMarkers) {
          skip('stale_marker', 1);
          continue;
        }
        // Markers form their own group: their dimension set differs from the samples'.
        if (!inMarkers) {
          hash ??= labelsHash(series.labels);
          joinGroup(hash, series, problem.recordBytes + STALE_MARKER_BYTES, true);
          inMarkers = true;
        }
        records++;
        continue;
      }
      const value = values[i] as number;
      if (!Number.isFinite(value)) {
        if (options.failOnInvalidSampleValue)
          throw seriesError(
            series,
            `has the value ${value} at ${timestampsMs[i]}, which Timestream cannot store; nothing was written (fail-on-invalid-sample-value is set)`,
          );
        skip('non_finite_value', 1);
        continue;
      }
      if (!inGroup) {
        hash ??= labelsHash(series.labels);
        joinGroup(hash, series, problem.recordBytes, false);
        inGroup = true;
      }
      records++;
    }
  }
  const ordered = bySharedAttributes(created);
  return {
    batches: lazyBatches(ordered, more, request.samples, records, destination),
    records,
    skipped,
    histogramsNotStored: histograms,
    exemplarsNotStored: exemplars,
    skippedSeries,
    dimensionNames,
  };
};
