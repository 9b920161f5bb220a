/**
 * The identity index of a table: for every record stored, its identity (series and time), version
 * and value, to tell a new record from an identical resend, an overwrite or a conflict. It holds
 * one entry per record ever written (200k after one latency benchmark), so it is kept compact: per
 * series (measure name and dimensions) its times in order in a BigInt64Array, and the versions,
 * types and values at the same positions in plain arrays. A Map entry, a bigint key and an entry
 * object per record made each WriteRecords call leave ~300 young objects per 100 records for the
 * garbage collector to copy and promote, which cost more than the lookups; and Prometheus writes
 * each series in time order, so a point is nearly always appended after the last one.
 */
import type { MeasureValueType } from './records.js';

/** What the index holds of one record. */
export interface IdentityEntry {
  readonly version: number;
  /** The measure value type: a BIGINT and a TIMESTAMP of the same number are different values. */
  readonly type: MeasureValueType;
  /** A single measure's parsed value; for MULTI, the measures' names, types and values as one string. */
  readonly value: string | number | bigint | boolean;
}

/** One series' points in ascending time order, the entry of `times[i]` at position i of the arrays. */
export interface SeriesPoints {
  times: BigInt64Array;
  readonly versions: number[];
  readonly types: MeasureValueType[];
  readonly values: IdentityEntry['value'][];
  count: number;
}

/** Series key (see `seriesKeyOf` in ingest.ts) → its points. */
export type IdentityIndex = Map<string, SeriesPoints>;

const INITIAL_CAPACITY = 16;

/** The points of a series, created empty if it has none yet. */
export const seriesPoints = (index: IdentityIndex, series: string): SeriesPoints => {
  let points = index.get(series);
  if (points === undefined) {
    points = { times: new BigInt64Array(INITIAL_CAPACITY), versions: [], types: [], values: [], count: 0 };
    index.set(series, points);
  }
  return points;
};

/**
 * The position of `time` among the points: its index if there is a point at that time, else
 * `~i` (negative) for the index it would be inserted at.
 */
export const positionOf = (points: SeriesPoints, time: bigint): number => {
  const { times, count } = points;
  // The common case first: a point after the last one.
  if (count === 0 || (times[count - 1] as bigint) < time) return ~count;
  let low = 0;
  let high = count - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = times[middle] as bigint;
    if (at < time) low = middle + 1;
    else if (at > time) high = middle - 1;
    else return middle;
  }
  return ~low;
};

export const entryAt = (points: SeriesPoints, at: number): IdentityEntry => ({
  version: points.versions[at] as number,
  type: points.types[at] as MeasureValueType,
  value: points.values[at] as IdentityEntry['value'],
});

export const setEntry = (points: SeriesPoints, at: number, entry: IdentityEntry): void => {
  points.versions[at] = entry.version;
  points.types[at] = entry.type;
  points.values[at] = entry.value;
};

/** Adds a point at position `at` (from `positionOf`), moving the later ones up. */
export const insertPoint = (points: SeriesPoints, at: number, time: bigint, entry: IdentityEntry): void => {
  if (points.count === points.times.length) {
    const grown = new BigInt64Array(points.times.length * 2);
    grown.set(points.times);
    points.times = grown;
  }
  if (at < points.count) {
    points.times.copyWithin(at + 1, at, points.count);
    points.versions.splice(at, 0, entry.version);
    points.types.splice(at, 0, entry.type);
    points.values.splice(at, 0, entry.value);
  } else {
    points.versions.push(entry.version);
    points.types.push(entry.type);
    points.values.push(entry.value);
  }
  points.times[at] = time;
  points.count++;
};

export const removePoint = (points: SeriesPoints, at: number): void => {
  points.times.copyWithin(at, at + 1, points.count);
  points.versions.splice(at, 1);
  points.types.splice(at, 1);
  points.values.splice(at, 1);
  points.count--;
};

/** Sets the entry of a series' point at `time`, adding the point if there is none. */
export const putPoint = (points: SeriesPoints, time: bigint, entry: IdentityEntry): void => {
  const at = positionOf(points, time);
  if (at >= 0) setEntry(points, at, entry);
  else insertPoint(points, ~at, time, entry);
};
