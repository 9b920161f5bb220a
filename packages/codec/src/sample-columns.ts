/**
 * The sample columns of a write request as its decoder fills them: sized by a first count of the
 * request's Sample fields, so they are allocated once, at their size, in the common case.
 */
import type { SampleColumns } from './model.js';
import { type ProtoReader, WireType } from './wire.js';

/** Sample columns being filled: they grow if the count fell short, start times come on the first one set. */
export interface SampleRows {
  timestampsMs: Float64Array;
  values: Float64Array;
  stale: Uint8Array;
  startTimestampsMs: Float64Array | undefined;
}

export const allocateSamples = (count: number): SampleRows => ({
  timestampsMs: new Float64Array(count),
  values: new Float64Array(count),
  stale: new Uint8Array(count),
  startTimestampsMs: undefined,
});

const grown = <T extends Float64Array | Uint8Array>(column: T, length: number): T => {
  const next = new (column.constructor as new (length: number) => T)(length);
  next.set(column);
  return next;
};

/** Makes room for row `index` (only when the count missed a sample: never for a well-formed body). */
export const ensureRow = (rows: SampleRows, index: number): void => {
  if (index < rows.values.length) return;
  const length = Math.max(16, rows.values.length * 2);
  rows.timestampsMs = grown(rows.timestampsMs, length);
  rows.values = grown(rows.values, length);
  rows.stale = grown(rows.stale, length);
  if (rows.startTimestampsMs !== undefined) rows.startTimestampsMs = grown(rows.startTimestampsMs, length);
};

/** The columns of exactly `count` rows. */
export const finishSamples = (rows: SampleRows, count: number): SampleColumns =>
  count === rows.values.length
    ? rows
    : {
        timestampsMs: rows.timestampsMs.slice(0, count),
        values: rows.values.slice(0, count),
        stale: rows.stale.slice(0, count),
        startTimestampsMs: rows.startTimestampsMs?.slice(0, count),
      };

/**
 * The number of `sampleField` fields in the messages at [ranges[i], ranges[i + 1]). Best effort: a
 * malformed message ends the count where it is, and the decoder, which reads every field, reports
 * the error in its own words.
 */
export const countSamples = (reader: ProtoReader, ranges: readonly number[], sampleField: number): number => {
  let count = 0;
  const pos = reader.pos;
  try {
    for (let i = 0; i < ranges.length; i += 2) {
      reader.pos = ranges[i] as number;
      const end = ranges[i + 1] as number;
      while (reader.pos < end) {
        const tag = reader.tag();
        if (tag >>> 3 === sampleField && (tag & 7) === WireType.LengthDelimited) count++;
        reader.skip(tag);
      }
    }
  } catch {
    // The decoder reports it.
  }
  reader.pos = pos;
  return count;
};
