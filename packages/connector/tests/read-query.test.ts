import type { LabelMatcher, ReadQuery } from '@prometheus-timestream/codec';
import { BadRequestError } from '../src/errors.js';
import {
  anchoredPattern,
  buildReadSql,
  quoteIdentifier,
  quoteLiteral,
  regexDialectOf,
  toJavaRegex,
} from '../src/read-query.js';

const destination = { database: 'prom', table: 'metrics' };
const DIMENSIONS = new Set(['job', 'instance', 'mode']);
const HEAD = `SELECT "instance", "job", "mode", measure_name, time, "measure_value::double" FROM "prom"."metrics" WHERE time BETWEEN from_milliseconds(1000) AND from_milliseconds(61000)`;

const query = (...matchers: LabelMatcher[]): ReadQuery => ({
  startTimestampMs: 1000,
  endTimestampMs: 61_000,
  matchers,
  hints: null,
});
const m = (type: LabelMatcher['type'], name: string, value: string): LabelMatcher => ({ type, name, value });

describe('buildReadSql: one predicate per matcher, Prometheus semantics', () => {
  it.each([
    { description: '__name__="up"', matchers: [m('EQ', '__name__', 'up')], where: "AND measure_name = 'up'" },
    {
      description: '__name__!="up"',
      matchers: [m('NEQ', '__name__', 'up')],
      where: "AND measure_name <> 'up'",
    },
    {
      description: '__name__=~"node_.*"',
      matchers: [m('RE', '__name__', 'node_.*')],
      where: "AND regexp_like(measure_name, '^(?s:node_.*)\\z')",
    },
    {
      description: '__name__!~"go_.*"',
      matchers: [m('NRE', '__name__', 'go_.*')],
      where: "AND NOT regexp_like(measure_name, '^(?s:go_.*)\\z')",
    },
    { description: '__name__!="" (always true)', matchers: [m('NEQ', '__name__', '')], where: '' },
    { description: 'job="node"', matchers: [m('EQ', 'job', 'node')], where: `AND "job" = 'node'` },
    {
      description: 'job!="node" keeps series without job',
      matchers: [m('NEQ', 'job', 'node')],
      where: `AND ("job" IS NULL OR "job" <> 'node')`,
    },
    {
      description: 'job="" is absent or empty',
      matchers: [m('EQ', 'job', '')],
      where: `AND ("job" IS NULL OR "job" = '')`,
    },
    {
      description: 'job!="" is present',
      matchers: [m('NEQ', 'job', '')],
      where: `AND ("job" IS NOT NULL AND "job" <> '')`,
    },
    {
      description: 'job=~"api" is anchored; absent counts as ""',
      matchers: [m('RE', 'job', 'api')],
      where: `AND regexp_like(coalesce("job", ''), '^(?s:api)\\z')`,
    },
    {
      description: 'job!~"api|web"',
      matchers: [m('NRE', 'job', 'api|web')],
      where: `AND NOT regexp_like(coalesce("job", ''), '^(?s:api|web)\\z')`,
    },
    {
      description: 'several matchers',
      matchers: [m('EQ', '__name__', 'up'), m('NEQ', 'mode', 'idle')],
      where: `AND measure_name = 'up' AND ("mode" IS NULL OR "mode" <> 'idle')`,
    },
  ])('$description', ({ matchers, where }) => {
    expect(buildReadSql(query(...matchers), destination, DIMENSIONS)).toBe(
      where === '' ? HEAD : `${HEAD} ${where}`,
    );
  });

  describe('labels never written to the table are "" for every series, decided without a column reference', () => {
    it.each([
      { matcher: m('EQ', 'nonexistent', 'x'), sql: undefined },
      { matcher: m('EQ', 'nonexistent', ''), sql: HEAD },
      { matcher: m('NEQ', 'nonexistent', 'x'), sql: HEAD },
      { matcher: m('NEQ', 'nonexistent', ''), sql: undefined },
      { matcher: m('RE', 'nonexistent', '.*'), sql: `${HEAD} AND regexp_like('', '^(?s:.*)\\z')` },
      { matcher: m('NRE', 'nonexistent', 'a+'), sql: `${HEAD} AND NOT regexp_like('', '^(?s:a+)\\z')` },
      { matcher: m('EQ', '__name__', ''), sql: undefined },
    ])('$matcher.name $matcher.type "$matcher.value"', ({ matcher, sql }) => {
      expect(buildReadSql(query(m('EQ', 'job', 'node'), matcher), destination, DIMENSIONS)).toBe(
        sql === undefined
          ? undefined
          : sql === HEAD
            ? `${HEAD} AND "job" = 'node'`
            : sql.replace(HEAD, `${HEAD} AND "job" = 'node'`),
      );
    });
  });

  describe('hostile values stay literals', () => {
    it.each([
      { value: "a'b", literal: "'a''b'" },
      { value: "'; DROP TABLE metrics; --", literal: "'''; DROP TABLE metrics; --'" },
      { value: 'a"b', literal: `'a"b'` },
      { value: 'back\\slash', literal: "'back\\slash'" },
      { value: 'line\nbreak', literal: "'line\nbreak'" },
      { value: 'ünï©ødé 🚀', literal: "'ünï©ødé 🚀'" },
      { value: "''", literal: "''''''" },
    ])('job=$value', ({ value, literal }) => {
      const sql = buildReadSql(query(m('EQ', 'job', value)), destination, DIMENSIONS);
      expect(sql).toBe(`${HEAD} AND "job" = ${literal}`);
      // Outside the literal nothing changed: removing it leaves the statement's fixed text.
      expect(sql?.replace(literal, 'L')).toBe(`${HEAD} AND "job" = L`);
    });

    it('quotes identifiers, doubling a double quote', () => {
      const sql = buildReadSql(query(m('EQ', 'we"ird', 'v')), destination, new Set(['we"ird']));
      expect(sql).toContain(`SELECT "we""ird", measure_name`);
      expect(sql).toContain(`AND "we""ird" = 'v'`);
      expect(quoteIdentifier('a"b')).toBe('"a""b"');
      expect(quoteLiteral("it's")).toBe("'it''s'");
    });

    it('escapes a quote inside a regex literal', () => {
      expect(buildReadSql(query(m('RE', 'job', "a'|b")), destination, DIMENSIONS)).toBe(
        `${HEAD} AND regexp_like(coalesce("job", ''), '^(?s:a''|b)\\z')`,
      );
    });
  });

  it('selects the staleness-marker column when the table has one, and never matches on it', () => {
    expect(
      buildReadSql(query(m('EQ', '__stale__', 'true')), destination, DIMENSIONS, '__stale__'),
    ).toBeUndefined();
    expect(buildReadSql(query(m('NEQ', 'job', 'a')), destination, DIMENSIONS, '__stale__')).toBe(
      `SELECT "instance", "job", "mode", "__stale__", measure_name, time, "measure_value::double" FROM "prom"."metrics" WHERE time BETWEEN from_milliseconds(1000) AND from_milliseconds(61000) AND ("job" IS NULL OR "job" <> 'a')`,
    );
  });

  describe('time bounds: the query’s own, inclusive, millisecond exact', () => {
    it.each([
      {
        start: 1_700_000_000_123,
        end: 1_700_000_060_999,
        between: 'BETWEEN from_milliseconds(1700000000123) AND from_milliseconds(1700000060999)',
      },
      {
        start: -9_007_199_254_740_991,
        end: 5,
        between: 'BETWEEN from_milliseconds(0) AND from_milliseconds(5)',
      },
      {
        start: 0,
        end: 9_007_199_254_740_991,
        between: 'BETWEEN from_milliseconds(0) AND from_milliseconds(9223372036854)',
      },
    ])('$start..$end', ({ start, end, between }) => {
      expect(
        buildReadSql(
          { startTimestampMs: start, endTimestampMs: end, matchers: [], hints: null },
          destination,
          new Set(),
        ),
      ).toBe(
        `SELECT measure_name, time, "measure_value::double" FROM "prom"."metrics" WHERE time ${between}`,
      );
    });

    it('an empty range needs no query', () => {
      expect(
        buildReadSql(
          { startTimestampMs: 10, endTimestampMs: 9, matchers: [], hints: null },
          destination,
          DIMENSIONS,
        ),
      ).toBeUndefined();
    });
  });
});

describe('toJavaRegex: RE2 as Timestream’s Java regexp_like reads it', () => {
  it.each([
    { re2: 'api|web', java: 'api|web' },
    { re2: '(?P<host>[a-z]+):\\d+', java: '([a-z]+):\\d+' },
    { re2: '(?<host>x)', java: '(x)' },
    { re2: '(?i)Node', java: '(?i)Node' },
    { re2: '(?U)a+', java: 'a+' },
    { re2: '(?iU:a+)', java: '(?i:a+)' },
    { re2: '(?s-U:.)', java: '(?s:.)' },
    { re2: '[[:alpha:]_]+', java: '[\\p{Alpha}_]+' },
    { re2: '[[:^digit:]]', java: '[\\P{Digit}]' },
    { re2: '[[:word:]]', java: '[\\w]' },
    { re2: '[a[b]', java: '[a\\[b]' },
    { re2: '[a&&b]', java: '[a&\\&b]' },
    { re2: '[]a]', java: '[\\]a]' },
    { re2: '[^]a]', java: '[^\\]a]' },
    { re2: '\\Q(a|b)\\E+', java: '\\Q(a|b)\\E+' },
    { re2: 'a\\.b\\\\', java: 'a\\.b\\\\' },
  ])('$re2 → $java', ({ re2, java }) => {
    expect(toJavaRegex(re2)).toBe(java);
  });

  it.each([
    { re2: 'a\\C', message: /\\C \(any byte\)/ },
    { re2: '[[:nonsense:]]', message: /unknown character class \[:nonsense:\]/ },
    { re2: 'trailing\\', message: /ends with a backslash/ },
  ])('refuses $re2 with a 400 naming the problem', ({ re2, message }) => {
    let error: unknown;
    try {
      toJavaRegex(re2);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).message).toMatch(message);
    expect((error as BadRequestError).message).toContain(JSON.stringify(re2));
  });

  it('anchors with \\z, since Java’s $ also matches before a final newline', () => {
    expect(anchoredPattern('a|b')).toBe('^(?s:a|b)\\z');
  });

  it.each([
    { userAgent: 'Prometheus/2.42.0', dialect: 'prometheus2' },
    { userAgent: 'Prometheus/1.8.2', dialect: 'prometheus2' },
    { userAgent: 'Prometheus/3.16.0', dialect: 'prometheus3' },
    { userAgent: 'Prometheus/20.0.0', dialect: 'prometheus3' },
    { userAgent: 'vmctl/1.0', dialect: 'prometheus3' },
    { userAgent: undefined, dialect: 'prometheus3' },
  ])('a reader with User-Agent $userAgent gets $dialect regex semantics', ({ userAgent, dialect }) => {
    expect(regexDialectOf(userAgent)).toBe(dialect);
  });

  it('2.x readers keep their own `.`: no DOTALL', () => {
    expect(anchoredPattern('a.b', 'prometheus2')).toBe('^(?:a.b)\\z');
  });

  it('turns on DOTALL around the whole regex, as Prometheus 3 compiles ^(?s:re)$', () => {
    expect(anchoredPattern('a.b')).toBe('^(?s:a.b)\\z');
    // A flag group of the user's still wins inside it, as in RE2.
    expect(anchoredPattern('(?-s:a.b)')).toBe('^(?s:(?-s:a.b))\\z');
  });
});
