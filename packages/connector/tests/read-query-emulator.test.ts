/**
 * The generated SQL run by the emulator through the real query client: the series each matcher
 * set selects equal an independent in-memory evaluation of Prometheus's semantics.
 */
import type { LabelMatcher } from '@prometheus-timestream/codec';
import { buildReadSql } from '../src/read-query.js';
import { DATABASE, type Harness, startHarness, TABLE, writeBody } from '../support/harness.js';
import { matchesAll } from './helpers/oracle.js';

const T = Date.now() - 60_000;
const SERIES: Record<string, string>[] = [
  { __name__: 'up', job: 'node', instance: 'a' },
  { __name__: 'up', job: 'api', instance: 'b' },
  { __name__: 'up', job: 'api-canary', instance: 'c' },
  { __name__: 'up', instance: 'd' },
  { __name__: 'node_load1', job: 'node', instance: 'a' },
  { __name__: 'node_cpu', job: 'node', instance: 'a', mode: 'idle' },
  { __name__: 'node_cpu', job: 'node', instance: 'a', mode: "it's" },
  // Label values with line breaks: Prometheus 3's `.` matches every one of them.
  { __name__: 'lines', job: 'a\nb' },
  { __name__: 'lines', job: 'a\rb' },
  { __name__: 'lines', job: 'a\u2028b' },
  { __name__: 'lines', job: 'ab\n' },
];
const DIMENSIONS = new Set(['instance', 'job', 'mode']);

const m = (type: LabelMatcher['type'], name: string, value: string): LabelMatcher => ({ type, name, value });

const keyOf = (labels: Record<string, string | null | undefined>): string =>
  JSON.stringify(
    Object.entries(labels)
      .filter(([, v]) => v !== null && v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );

describe('generated read SQL against the emulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    const status = (
      await h.post(
        writeBody(
          SERIES.map((labels) => ({
            labels: Object.entries(labels)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([name, value]) => ({ name, value })),
            samples: [{ timestampMs: T, value: 1 }],
          })),
        ),
      )
    ).status;
    expect(status).toBe(204);
  });
  afterAll(() => h.stop());

  it.each(
    [
      [m('EQ', '__name__', 'up')],
      [m('EQ', '__name__', 'up'), m('RE', 'job', 'api')],
      [m('EQ', '__name__', 'up'), m('NEQ', 'job', 'node')],
      [m('EQ', '__name__', 'up'), m('EQ', 'job', '')],
      [m('EQ', '__name__', 'up'), m('NEQ', 'job', '')],
      [m('RE', '__name__', 'node_.*'), m('NRE', 'mode', 'idle')],
      [m('RE', 'job', 'api.*|')],
      [m('NRE', '__name__', 'up|node_cpu')],
      [m('EQ', 'mode', "it's")],
      [m('RE', 'nonexistent', '.*'), m('EQ', '__name__', 'up')],
      [m('RE', 'nonexistent', '.+')],
      [m('NEQ', 'nonexistent', 'x'), m('EQ', 'instance', 'a')],
      [m('RE', '__name__', '(?P<n>up)')],
      [m('EQ', '__name__', 'lines'), m('RE', 'job', 'a.b')],
      [m('EQ', '__name__', 'lines'), m('NRE', 'job', 'a.*')],
      [m('EQ', '__name__', 'lines'), m('RE', 'job', '.*')],
      [m('EQ', '__name__', 'lines'), m('RE', 'job', 'ab.')],
      [m('EQ', '__name__', 'lines'), m('RE', 'job', 'ab')],
    ].map((matchers) => ({
      matchers,
      title: matchers
        .map(
          (x) => `${x.name}${{ EQ: '=', NEQ: '!=', RE: '=~', NRE: '!~' }[x.type]}${JSON.stringify(x.value)}`,
        )
        .join(', '),
    })),
  )('{$title}', async ({ matchers }) => {
    // Prepare
    const expected = SERIES.filter((labels) => matchesAll(labels, matchers))
      .map(keyOf)
      .sort();

    // Act
    const sql = buildReadSql(
      { startTimestampMs: T - 1, endTimestampMs: T + 1, matchers, hints: null },
      { database: DATABASE, table: TABLE },
      DIMENSIONS,
    );
    const rows = sql === undefined ? [] : await h.query(sql);

    // Assess
    const actual = rows
      .map(({ measure_name, time: _time, 'measure_value::double': _value, ...dimensions }) =>
        keyOf({ __name__: measure_name, ...dimensions }),
      )
      .sort();
    expect(actual).toEqual(expected);
  });

  it.each([
    { regex: 'a.b', lines: ['a\rb', 'a\u2028b'] },
    { regex: '.*', lines: ['a\rb', 'a\u2028b'] },
    { regex: 'ab.', lines: [] },
  ])('for 2.x readers `.` does not match a newline: job=~$regex', async ({ regex, lines }) => {
    // Act
    const sql = buildReadSql(
      {
        startTimestampMs: T - 1,
        endTimestampMs: T + 1,
        matchers: [m('EQ', '__name__', 'lines'), m('RE', 'job', regex)],
        hints: null,
      },
      { database: DATABASE, table: TABLE },
      DIMENSIONS,
      undefined,
      'prometheus2',
    );
    const rows = sql === undefined ? [] : await h.query(sql);

    // Assess: RE2's `.` (the emulator's) refuses only \n; Java's also \r and U+2028.
    expect(rows.map((row) => row.job).sort()).toEqual(lines.sort());
  });
});
