import type { NativeHistogram } from '../../src/index.js';

/** The proto enum's numbering, stated here independently of the codec: index = enum value. */
const RESET_HINTS = ['unknown', 'yes', 'no', 'gauge'];

/** A JS number carrying Prometheus's StaleNaN payload, made from raw bytes (as a decoder would). */
export const STALE_NAN = new DataView(new Uint8Array([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]).buffer).getFloat64(
  0,
  true,
);

/** A `Histogram` as a protobufjs plain object; `withStart` adds remote write 2.0's field 17. */
export const histogramObject = (h: NativeHistogram, withStart: boolean) => ({
  ...(h.kind === 'integer'
    ? { countInt: h.count, zeroCountInt: h.zeroCount }
    : { countFloat: h.count, zeroCountFloat: h.zeroCount }),
  sum: h.stale ? STALE_NAN : h.sum,
  schema: h.schema,
  zeroThreshold: h.zeroThreshold,
  negativeSpans: h.negativeSpans,
  negativeDeltas: h.negativeDeltas,
  negativeCounts: h.negativeCounts,
  positiveSpans: h.positiveSpans,
  positiveDeltas: h.positiveDeltas,
  positiveCounts: h.positiveCounts,
  resetHint: RESET_HINTS.indexOf(h.resetHint),
  timestamp: h.timestampMs,
  customValues: h.customValues,
  ...(withStart ? { startTimestamp: h.startTimestampMs } : {}),
});

export const sampleValue = (s: { value: number; stale?: boolean }) =>
  s.stale === true ? STALE_NAN : s.value;
