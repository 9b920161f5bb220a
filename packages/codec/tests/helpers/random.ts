import type { Exemplar, FloatSample, Label, MetricMetadata, NativeHistogram } from '../../src/index.js';
import { METRIC_TYPES } from '../../src/model.js';

/** mulberry32: a tiny seeded PRNG, so every property-test failure reproduces from its seed. */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

export interface Generator {
  readonly int: (min: number, max: number) => number;
  readonly pick: <T>(items: readonly T[]) => T;
  readonly string: (maxLength: number, alphabet?: string) => string;
}

export const generator = (seed: number): Generator => {
  const random = seededRandom(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;
  const string = (maxLength: number, alphabet = 'abcdefghijklmnopqrstuvwxyz_0123456789:') =>
    Array.from({ length: int(1, maxLength) }, () => pick([...alphabet])).join('');
  return { int, pick, string };
};

const SPECIAL_VALUES = [
  0,
  -0,
  1,
  -1,
  0.1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1e308,
  5e-324,
];
/** Label values mixing ASCII, multi-byte UTF-8, astral characters and long strings (slow decode path). */
const VALUE_ALPHABET = 'abcXYZ019_-./: äöüßé日本語🙂';

export interface RandomSeries {
  readonly labels: Label[];
  readonly samples: FloatSample[];
  readonly histograms: NativeHistogram[];
  readonly exemplars: Exemplar[];
}

export const randomLabels = (g: Generator): Label[] => {
  const names = new Set<string>(['__name__']);
  const count = g.int(0, 8);
  while (names.size < count + 1) names.add(g.pick(['job', 'instance', 'le', 'mode', 'cpu']) + g.string(4));
  return [...names]
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((name) => ({
      name,
      value: g.int(0, 9) === 0 ? g.string(60, VALUE_ALPHABET) : g.string(12, VALUE_ALPHABET),
    }));
};

export const randomSamples = (g: Generator, withStart: boolean): FloatSample[] => {
  let timestampMs = g.int(0, 2 ** 41);
  return Array.from({ length: g.int(0, 5) }, () => {
    timestampMs += g.int(1, 60_000);
    const stale = g.int(0, 9) === 0;
    const value = stale
      ? Number.NaN
      : g.int(0, 3) === 0
        ? g.pick(SPECIAL_VALUES)
        : (g.int(-1e6, 1e6) * 1.37) / g.int(1, 1000);
    return {
      timestampMs,
      value,
      stale,
      startTimestampMs: withStart && g.int(0, 1) === 1 ? g.int(1, timestampMs) : 0,
    };
  });
};

export const randomHistogram = (g: Generator, withStart: boolean): NativeHistogram => {
  const kind = g.pick(['integer', 'float'] as const);
  const counts = () => Array.from({ length: g.int(0, 4) }, () => g.int(0, 1000) / 4);
  const deltas = () => Array.from({ length: g.int(0, 4) }, () => g.int(-(2 ** 40), 2 ** 40));
  const spans = () =>
    Array.from({ length: g.int(0, 3) }, () => ({ offset: g.int(-100, 100), length: g.int(0, 10) }));
  const timestampMs = g.int(0, 2 ** 41);
  return {
    kind,
    count: kind === 'integer' ? g.int(0, 2 ** 50) : g.int(0, 1e6) / 8,
    ...(g.int(0, 9) === 0 ? { sum: Number.NaN, stale: true } : { sum: g.int(-1e6, 1e6) / 3, stale: false }),
    schema: g.int(-4, 8),
    zeroThreshold: g.pick([0, 1e-128, 0.001]),
    zeroCount: kind === 'integer' ? g.int(0, 1000) : g.int(0, 1000) / 2,
    negativeSpans: spans(),
    negativeDeltas: kind === 'integer' ? deltas() : [],
    negativeCounts: kind === 'float' ? counts() : [],
    positiveSpans: spans(),
    positiveDeltas: kind === 'integer' ? deltas() : [],
    positiveCounts: kind === 'float' ? counts() : [],
    resetHint: g.pick(['unknown', 'yes', 'no', 'gauge'] as const),
    timestampMs,
    startTimestampMs: withStart && g.int(0, 1) === 1 ? g.int(1, timestampMs + 1) : 0,
    customValues: g.int(0, 3) === 0 ? [0.5, 1, 2.5] : [],
  };
};

export const randomSeries = (g: Generator, withStart: boolean): RandomSeries => ({
  labels: randomLabels(g),
  samples: randomSamples(g, withStart),
  histograms:
    g.int(0, 4) === 0 ? Array.from({ length: g.int(1, 2) }, () => randomHistogram(g, withStart)) : [],
  exemplars:
    g.int(0, 4) === 0
      ? [
          {
            labels: [{ name: 'trace_id', value: g.string(16) }],
            value: g.int(0, 100) / 7,
            timestampMs: g.int(0, 2 ** 41),
          },
        ]
      : [],
});

export const randomMetadata = (g: Generator): MetricMetadata => ({
  metricFamilyName: g.string(20),
  type: g.pick(METRIC_TYPES),
  help: g.int(0, 1) === 0 ? '' : g.string(40, VALUE_ALPHABET),
  unit: g.pick(['', 'seconds', 'bytes']),
});
