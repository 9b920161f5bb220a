/**
 * Series → samples maps read from a reference store (Prometheus's TSDB, VictoriaMetrics) and from
 * Timestream, what the connector documents it does not store, and a comparison that names the
 * series that differ.
 */

export interface Sample {
  /** Epoch milliseconds. */
  readonly t: number;
  readonly v: number;
}

/** Label set (with `__name__`) → samples in time order; keys come from `seriesKey`. */
export type SeriesSamples = Map<string, Sample[]>;

export type Labels = Readonly<Record<string, string>>;

/** A canonical key for a label set: labels sorted by name, as JSON. */
export const seriesKey = (labels: Labels): string =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** `name{a="b", ...}` for messages. */
export const describeKey = (key: string): string => {
  const entries = JSON.parse(key) as [string, string][];
  const name = entries.find(([label]) => label === '__name__')?.[1] ?? '';
  const rest = entries
    .filter(([label]) => label !== '__name__')
    .map(([label, value]) => `${label}=${JSON.stringify(value)}`);
  return `${name}{${rest.join(', ')}}`;
};

export const addSample = (map: SeriesSamples, key: string, sample: Sample): void => {
  const samples = map.get(key);
  if (samples === undefined) map.set(key, [sample]);
  else samples.push(sample);
};

export const sortSamples = (map: SeriesSamples): SeriesSamples => {
  for (const samples of map.values()) samples.sort((a, b) => a.t - b.t);
  return map;
};

export const countSamples = (map: SeriesSamples): number => {
  let count = 0;
  for (const samples of map.values()) count += samples.length;
  return count;
};

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * Why Timestream cannot store a series with these labels, as the connector documents it (README,
 * `--fail-on-long-label`): such series are skipped, not written. Written out here independently of
 * the connector's code, from Timestream's limits: measure name ≤ 256 bytes and not `time`,
 * `measure_name`, `measure_value` or `measure_value::…`, nor the name of one of its labels;
 * dimension names ≤ 60 bytes, not `time`, `measure_name`, `measure_value…`, `ts_…` and without `:`; at most 128 dimensions; a record (names and values
 * plus the 8-byte time and 8-byte double) ≤ 2 KiB. Undefined when the series can be stored.
 */
export const unstorableReason = (labels: Labels): string | undefined => {
  const name = labels.__name__;
  if (name === undefined || name === '') return 'no metric name';
  if (utf8Bytes(name) > 256) return 'metric name over 256 bytes';
  if (
    name === 'time' ||
    name === 'measure_name' ||
    name === 'measure_value' ||
    name.startsWith('measure_value::')
  )
    return 'reserved measure name';
  // A measure and a dimension of one record cannot share a name.
  if (Object.hasOwn(labels, name) && name !== '__name__') return 'label named like the metric';
  let bytes = 16 + utf8Bytes(name);
  let dimensions = 0;
  for (const [label, value] of Object.entries(labels)) {
    if (label === '__name__') continue;
    if (utf8Bytes(label) > 60) return 'label name over 60 bytes';
    if (
      label === 'time' ||
      label === 'measure_name' ||
      label.startsWith('measure_value') ||
      label.startsWith('ts_') ||
      label.includes(':')
    )
      return 'reserved dimension name';
    dimensions++;
    bytes += utf8Bytes(label) + utf8Bytes(value);
  }
  if (dimensions > 128) return 'more than 128 dimensions';
  if (bytes > 2048) return 'record over 2048 bytes';
  return undefined;
};

export interface Exclusions {
  /** NaN (staleness markers included where the reference keeps them) and ±Inf samples. */
  nonFinite: number;
  /** Series Timestream cannot store, by reason, and their samples. */
  unstorableSeries: Record<string, number>;
  unstorableSamples: number;
}

/**
 * The samples the connector is documented to store from `reference`: every sample except
 * non-finite values (NaN, ±Inf: skipped, not stored; staleness markers are NaNs and are never
 * stored either) and the series Timestream cannot store (`unstorableReason`). Series left with no
 * sample disappear.
 */
export const storableSamples = (
  reference: SeriesSamples,
): { expected: SeriesSamples; excluded: Exclusions } => {
  const expected: SeriesSamples = new Map();
  const excluded: Exclusions = { nonFinite: 0, unstorableSeries: {}, unstorableSamples: 0 };
  for (const [key, samples] of reference) {
    const reason = unstorableReason(Object.fromEntries(JSON.parse(key) as [string, string][]));
    if (reason !== undefined) {
      excluded.unstorableSeries[reason] = (excluded.unstorableSeries[reason] ?? 0) + 1;
      excluded.unstorableSamples += samples.length;
      continue;
    }
    const finite = samples.filter((sample) => Number.isFinite(sample.v));
    excluded.nonFinite += samples.length - finite.length;
    if (finite.length > 0) expected.set(key, finite);
  }
  return { expected, excluded };
};

/** Keeps the samples with `from <= t <= to`. */
export const inWindow = (map: SeriesSamples, from: number, to: number): SeriesSamples => {
  const result: SeriesSamples = new Map();
  for (const [key, samples] of map) {
    const kept = samples.filter((sample) => sample.t >= from && sample.t <= to);
    if (kept.length > 0) result.set(key, kept);
  }
  return result;
};

export interface Comparison {
  readonly expectedSeries: number;
  readonly expectedSamples: number;
  readonly actualSeries: number;
  readonly actualSamples: number;
  /** Series whose samples differ, in any way. */
  readonly mismatchingSeries: number;
  /** Expected samples not in `actual` (whole series missing included). */
  readonly missingSamples: number;
  /** Samples of `actual` at a timestamp `expected` lacks, or repeating one (whole extra series included). */
  readonly extraSamples: number;
  /** Samples at an expected timestamp with another value (`sameValue` rejected it). */
  readonly wrongSamples: number;
  /** The first ten, described. */
  readonly examples: readonly string[];
  /** Samples whose values were accepted by `sameValue` without being identical doubles. */
  readonly inexactValues: number;
}

const showSamples = (samples: readonly Sample[], limit = 5): string =>
  `${samples
    .slice(0, limit)
    .map((s) => `${s.t}=${s.v}`)
    .join(', ')}${samples.length > limit ? `, … (${samples.length})` : ''}`;

/**
 * Compares two series → samples maps: the same series, and in each the same timestamps (ms) with
 * the same values. Values are compared as identical doubles (`Object.is`) unless `sameValue`
 * says otherwise.
 */
export const compareSeries = (
  expected: SeriesSamples,
  actual: SeriesSamples,
  sameValue: (expected: number, actual: number) => boolean = Object.is,
): Comparison => {
  const problems: string[] = [];
  let mismatching = 0;
  let inexact = 0;
  let missingSamples = 0;
  let extraSamples = 0;
  let wrongSamples = 0;
  const note = (text: string): void => {
    mismatching++;
    if (problems.length < 10) problems.push(text);
  };
  const keys = [...new Set([...expected.keys(), ...actual.keys()])].sort();
  for (const key of keys) {
    const want = expected.get(key) ?? [];
    const got = actual.get(key) ?? [];
    if (got.length === 0) {
      missingSamples += want.length;
      note(`${describeKey(key)}: missing from Timestream; expected ${showSamples(want)}`);
      continue;
    }
    if (want.length === 0) {
      extraSamples += got.length;
      note(`${describeKey(key)}: in Timestream but not expected; got ${showSamples(got)}`);
      continue;
    }
    const wanted = new Map<number, number>();
    for (const s of want) wanted.set(s.t, s.v);
    if (wanted.size < want.length) {
      note(`${describeKey(key)}: the reference itself holds duplicated timestamps: ${showSamples(want, 10)}`);
      continue;
    }
    const duplicates: number[] = [];
    const seen = new Set<number>();
    const extra: Sample[] = [];
    const differing: string[] = [];
    for (const s of got) {
      if (seen.has(s.t)) {
        duplicates.push(s.t);
        continue;
      }
      seen.add(s.t);
      const value = wanted.get(s.t);
      if (value === undefined) extra.push(s);
      else if (!Object.is(value, s.v)) {
        if (sameValue(value, s.v)) inexact++;
        else differing.push(`at ${s.t} expected ${value} got ${s.v}`);
      }
    }
    const missing = want.filter((s) => !seen.has(s.t));
    missingSamples += missing.length;
    extraSamples += extra.length + duplicates.length;
    wrongSamples += differing.length;
    if (missing.length + extra.length + differing.length + duplicates.length > 0) {
      const parts = [
        missing.length > 0 ? `${missing.length} samples missing (${showSamples(missing)})` : '',
        extra.length > 0 ? `${extra.length} unexpected samples (${showSamples(extra)})` : '',
        duplicates.length > 0 ? `${duplicates.length} duplicated timestamps (${duplicates.slice(0, 5)})` : '',
        differing.length > 0 ? `${differing.length} values differ (${differing.slice(0, 3).join('; ')})` : '',
      ].filter((part) => part !== '');
      note(`${describeKey(key)}: ${parts.join('; ')}; expected ${want.length}, got ${got.length}`);
    }
  }
  return {
    expectedSeries: expected.size,
    expectedSamples: countSamples(expected),
    actualSeries: actual.size,
    actualSamples: countSamples(actual),
    mismatchingSeries: mismatching,
    missingSamples,
    extraSamples,
    wrongSamples,
    examples: problems,
    inexactValues: inexact,
  };
};

/** One line of the Prometheus text exposition format. */
export interface ExposedSample {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
}

const parseLabelText = (text: string): Record<string, string> => {
  const labels: Record<string, string> = {};
  const pattern = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/g;
  for (const match of text.matchAll(pattern)) {
    labels[match[1] as string] = (match[2] as string).replace(/\\(.)/g, (_, c: string) =>
      c === 'n' ? '\n' : c,
    );
  }
  return labels;
};

/** Parses Go/Prometheus float text: `NaN`, `+Inf`, `-Inf` and numbers. */
export const parseGoFloat = (text: string): number => {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
};

/** Parses a `/metrics` page (text format); comments skipped. */
export const parseExposition = (text: string): ExposedSample[] => {
  const samples: ExposedSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    samples.push({
      name: match[1] as string,
      labels: parseLabelText(match[2] ?? ''),
      value: parseGoFloat(match[3] as string),
    });
  }
  return samples;
};

/** Values of metric `name` whose labels include `match`. */
export const metricValues = (
  exposition: readonly ExposedSample[],
  name: string,
  match: Labels = {},
): ExposedSample[] =>
  exposition.filter(
    (sample) =>
      sample.name === name && Object.entries(match).every(([label, value]) => sample.labels[label] === value),
  );

/** The sum of metric `name` over the series matching `match`; 0 when there is none. */
export const metricSum = (exposition: readonly ExposedSample[], name: string, match: Labels = {}): number =>
  metricValues(exposition, name, match).reduce((sum, sample) => sum + sample.value, 0);

/** `metricSum` for a report, or undefined (left out of it) where `name` is not exposed at all. */
export const reportedSum = (exposition: readonly ExposedSample[], name: string): number | undefined =>
  exposition.some((sample) => sample.name === name) ? metricSum(exposition, name) : undefined;
