/**
 * Prometheus's remote-read semantics evaluated in memory, without SQL: the independent answer
 * the connector's results are compared with.
 */
import type { Label, LabelMatcher } from '@prometheus-timestream/codec';

export type LabelMap = Readonly<Record<string, string>>;

export interface StoredSeries {
  readonly labels: LabelMap;
  readonly samples: readonly { readonly timestampMs: number; readonly value: number }[];
}

/**
 * An absent label is "", regexes are fully anchored and `.` matches a newline (Prometheus 3
 * compiles `^(?s:re)$`; JavaScript's `s` flag); JavaScript spells RE2's (?P<n>…) as (?<n>…).
 */
export const matchesAll = (labels: LabelMap, matchers: readonly LabelMatcher[]): boolean =>
  matchers.every(({ type, name, value }) => {
    const actual = labels[name] ?? '';
    if (type === 'EQ') return actual === value;
    if (type === 'NEQ') return actual !== value;
    const regex = new RegExp(
      `^(?:${value.replaceAll('(?P<', '(?<').replaceAll('[[:alpha:]]', '[A-Za-z]')})$`,
      'su',
    );
    return type === 'RE' ? regex.test(actual) : !regex.test(actual);
  });

export const sortedLabels = (labels: LabelMap): Label[] =>
  Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value }));

/** What a remote read must return for these matchers and inclusive range, in a comparable form. */
export const expectedSeries = (
  stored: readonly StoredSeries[],
  matchers: readonly LabelMatcher[],
  startMs: number,
  endMs: number,
): { labels: Label[]; samples: [number, number][] }[] =>
  stored
    .filter((series) => matchesAll(series.labels, matchers))
    .map((series) => ({
      labels: sortedLabels(series.labels),
      samples: series.samples
        .filter((sample) => sample.timestampMs >= startMs && sample.timestampMs <= endMs)
        .map((sample): [number, number] => [sample.timestampMs, sample.value])
        .sort((a, b) => a[0] - b[0]),
    }))
    .filter((series) => series.samples.length > 0)
    .sort((a, b) => (JSON.stringify(a.labels) < JSON.stringify(b.labels) ? -1 : 1));
