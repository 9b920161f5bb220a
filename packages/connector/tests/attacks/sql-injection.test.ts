/**
 * Attack: inject SQL through remote-read matchers (values of every matcher type, and label names)
 * to read series the matchers exclude or to change the table. Checked twice: the generated SQL,
 * parsed by the emulator's own Timestream SQL parser, is one SELECT whose literals and identifiers
 * are exactly the hostile strings; and end to end, a hostile read answers only series that
 * literally match (never a "secret" series its metric-name matcher excludes), 200 or a readable
 * 400, never 5xx, and leaves the table as it was.
 */
import { decodeReadResponse, type LabelMatcher, type ReadQuery } from '@prometheus-timestream/codec';
import type { SelectQuery } from '../../../timestream-local/src/sql/ast.js';
import { parse } from '../../../timestream-local/src/sql/parser.js';
import { tokenize } from '../../../timestream-local/src/sql/tokens.js';
import { anchoredPattern, buildReadSql } from '../../src/read-query.js';
import {
  DATABASE,
  type Harness,
  postRead,
  startHarness,
  TABLE,
  text,
  writeBody,
} from '../../support/harness.js';
import { sortedLabels } from '../helpers/oracle.js';

const HOSTILE_VALUES: readonly string[] = [
  "'",
  "''",
  "' OR '1'='1",
  `'; DROP TABLE "${DATABASE}"."${TABLE}"; --`,
  '"',
  '\\',
  "\\'",
  '’',
  '‘',
  '“',
  '”',
  '＇',
  'ʼ',
  '\u0000',
  "a\u0000' OR '1'='1",
  '\u0001\u0007\u001b[31m\u007f',
  '*/',
  "/* ' */",
  'a\nb',
  "x'\n--",
  ".*' OR 1=1 --",
];

/**
 * Hostile label names. Names with NUL are matched but never stored: a dimension named with a NUL
 * makes the emulator's table fail every later write (an emulator limitation, not the connector's).
 */
const HOSTILE_NAMES: readonly string[] = [
  'job" = job OR "1',
  '"',
  "'",
  `x"; DROP TABLE "${DATABASE}"."${TABLE}"; --`,
  '\\',
  '“name”',
  '*/',
  'a\nb',
  'measure_name',
  'time',
  'measure_value::double',
  'n\u0000ul',
];

const TYPES: readonly LabelMatcher['type'][] = ['EQ', 'NEQ', 'RE', 'NRE'];
const DESTINATION = { database: DATABASE, table: TABLE };
const T = Date.now() - 10 * 60_000;

type Labels = Readonly<Record<string, string>>;

/** Names the connector skips on write (Timestream's own columns): they stay unknown labels. */
const isReserved = (name: string): boolean =>
  name === 'time' || name === 'measure_name' || name.startsWith('measure_value');

const PUBLIC = 'public_metric';
const SECRET = 'secret_metric';
/** What the table holds: a series per hostile value and per storable hostile name, and the secret. */
const STORED: readonly Labels[] = [
  { __name__: SECRET, job: 'plain', owner: 'victim' },
  { __name__: PUBLIC, job: 'plain' },
  ...HOSTILE_VALUES.map((value) => ({ __name__: PUBLIC, job: value })),
  ...HOSTILE_NAMES.filter((name) => !name.includes('\u0000') && !isReserved(name)).map((name) => ({
    __name__: PUBLIC,
    [name]: 'named',
  })),
];

/**
 * Prometheus's semantics, with the regex in JavaScript's dialect (no `u` flag, so `\'` is the
 * quote as in RE2); undefined when JavaScript cannot compile it.
 */
const matches = (labels: Labels, { type, name, value }: LabelMatcher): boolean | undefined => {
  const actual = labels[name] ?? '';
  if (type === 'EQ') return actual === value;
  if (type === 'NEQ') return actual !== value;
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${value})$`);
  } catch {
    return undefined;
  }
  return type === 'RE' ? regex.test(actual) : !regex.test(actual);
};

const describeMatcher = ({ type, name, value }: LabelMatcher): string =>
  `${JSON.stringify(name)} ${{ EQ: '=', NEQ: '!=', RE: '=~', NRE: '!~' }[type]} ${JSON.stringify(value)}`;

/** Every hostile value under `job`, and every hostile name with a plain value, for each type. */
const MATCHERS: readonly LabelMatcher[] = TYPES.flatMap((type) => [
  ...HOSTILE_VALUES.map((value) => ({ type, name: 'job', value })),
  ...HOSTILE_NAMES.map((name) => ({ type, name, value: 'named' })),
]);

/** `value` fields (string literals, identifiers) in tree order; the tree without them or positions. */
const shapeOf = (node: unknown, leaves: string[]): unknown => {
  if (Array.isArray(node)) return node.map((item) => shapeOf(item, leaves));
  if (typeof node === 'bigint') return `${node}n`;
  if (node === null || typeof node !== 'object') return node;
  const shape: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'pos' || key === 'opPos' || key === 'written') continue;
    if (key === 'value' && typeof value === 'string') {
      leaves.push(value);
      shape[key] = '?';
    } else shape[key] = shapeOf(value, leaves);
  }
  return shape;
};

/**
 * Parses SQL with the emulator's parser. It refuses NUL anywhere (DuckDB cannot hold it), so a NUL
 * is swapped for a private-use character first, which SQL treats no differently, and back after.
 */
const parseSql = (sql: string): { shape: unknown; leaves: string[]; statement: SelectQuery } => {
  const statement = parse(tokenize(sql.replaceAll('\u0000', '\ue000')));
  if (statement.kind !== 'select') throw new Error(`expected one SELECT, got ${statement.kind}`);
  const leaves: string[] = [];
  const shape = shapeOf(statement, leaves);
  return { shape, leaves: leaves.map((leaf) => leaf.replaceAll('\ue000', '\u0000')), statement };
};

const readQuery = (matchers: LabelMatcher[]): ReadQuery => ({
  startTimestampMs: T - 60_000,
  endTimestampMs: T + 60_000,
  matchers,
  hints: null,
});

describe('SQL injection through remote-read matchers', () => {
  describe('the generated SQL, parsed by the emulator’s Timestream SQL parser', () => {
    // A benign twin of each matcher: a hostile string must change nothing but its own literal.
    const BENIGN_VALUE = 'benign';
    const BENIGN_NAME = 'benign_name';
    const sqlFor = (matcher: LabelMatcher) =>
      buildReadSql(readQuery([matcher]), DESTINATION, new Set([matcher.name]));
    const literalOf = ({ type, value }: LabelMatcher) =>
      type === 'RE' || type === 'NRE' ? anchoredPattern(value) : value;

    it.each(
      // A regex ending in a backslash is refused before any SQL exists (read-query.test.ts).
      MATCHERS.filter(
        ({ type, name, value }) => !isReserved(name) && !(type.endsWith('RE') && value === '\\'),
      ).map((matcher) => ({ matcher, title: describeMatcher(matcher) })),
    )('$title is one SELECT on the table, the hostile string only as its own literal', ({ matcher }) => {
      // Prepare
      const hostileName = matcher.name !== 'job';
      const benign = hostileName ? { ...matcher, name: BENIGN_NAME } : { ...matcher, value: BENIGN_VALUE };

      // Act
      const hostile = parseSql(sqlFor(matcher) as string);
      const twin = parseSql(sqlFor(benign) as string);

      // Assess: same statement, same table, same structure; every leaf the same but the swapped one.
      expect(hostile.statement.from?.name.database.value).toBe(DATABASE);
      expect(hostile.statement.from?.name.table.value).toBe(TABLE);
      expect(hostile.shape).toEqual(twin.shape);
      const swap = hostileName
        ? (leaf: string) => (leaf === BENIGN_NAME ? matcher.name : leaf)
        : (leaf: string) => (leaf === literalOf(benign) ? literalOf(matcher) : leaf);
      expect(hostile.leaves).toEqual(twin.leaves.map(swap));
      expect(hostile.leaves).toContain(hostileName ? matcher.name : literalOf(matcher));
    });

    it('labels the table cannot hold (Timestream’s own column names) are never column references', () => {
      /** Column names referenced anywhere under an expression. */
      const columnsIn = (node: unknown): string[] => {
        if (Array.isArray(node)) return node.flatMap(columnsIn);
        if (node === null || typeof node !== 'object') return [];
        const { kind, parts } = node as { kind?: string; parts?: { value: string }[] };
        if (kind === 'column') return [(parts ?? []).map((part) => part.value).join('.')];
        return Object.values(node).flatMap(columnsIn);
      };
      for (const name of HOSTILE_NAMES.filter(isReserved)) {
        for (const type of TYPES) {
          const sql = buildReadSql(readQuery([{ type, name, value: 'named' }]), DESTINATION, new Set());
          // Undefined: decided without a query (no series has the label, so = "named" is false).
          if (sql === undefined) continue;
          expect([name, type, columnsIn(parseSql(sql).statement.where)]).toEqual([name, type, ['time']]);
        }
      }
    });
  });

  describe('end to end through /read against the emulator', () => {
    let h: Harness;
    let columnsBefore: string[];
    beforeAll(async () => {
      h = await startHarness();
      // One series per request: a rejected one would not hide the others.
      for (const labels of STORED) {
        const response = await h.post(
          writeBody([{ labels: sortedLabels(labels), samples: [{ timestampMs: T, value: 1 }] }]),
        );
        expect([JSON.stringify(labels), response.status]).toEqual([JSON.stringify(labels), 204]);
      }
      columnsBefore = (await h.query(`DESCRIBE "${DATABASE}"."${TABLE}"`)).map((row) => String(row.Column));
    }, 30_000);
    afterAll(() => h.stop());

    const read = (matchers: LabelMatcher[]) =>
      postRead(h, { queries: [{ startTimestampMs: T - 60_000, endTimestampMs: T + 60_000, matchers }] });

    it.each(MATCHERS.map((matcher) => ({ matcher, title: describeMatcher(matcher) })))(
      '__name__="public_metric", $title: only the literal matches, never the secret',
      async ({ matcher }) => {
        // Prepare: the hostile matcher comes last, where an injected OR would void the name matcher.
        const matchers: LabelMatcher[] = [{ type: 'EQ', name: '__name__', value: PUBLIC }, matcher];
        const literal = matcher.type === 'EQ' || matcher.type === 'NEQ';
        const outcomes = STORED.filter((labels) => labels.__name__ === PUBLIC).map((labels) =>
          matches(labels, matcher),
        );
        const knowable = !outcomes.includes(undefined);

        // Act
        const response = await read(matchers);

        // Assess
        const body = text(response);
        if (response.status === 400) {
          // A refusal is readable, one line, and only where the value cannot be a query at all:
          // a regex neither dialect reads, or a NUL the emulator cannot hold.
          expect(body).toMatch(/^(cannot translate the regular expression|Timestream refused the query: )/);
          expect(!literal || matcher.value.includes('\u0000') || matcher.name.includes('\u0000')).toBe(true);
          return;
        }
        expect(response.status).toBe(200);
        const series = (decodeReadResponse(response.body as Uint8Array)[0]?.series ?? []).map((s) =>
          Object.fromEntries(s.labels.map(({ name, value }) => [name, value])),
        );
        expect(series.filter((labels) => labels.__name__ !== PUBLIC)).toEqual([]);
        if (knowable) {
          const expected = STORED.filter(
            (labels) => labels.__name__ === PUBLIC && matches(labels, matcher) === true,
          );
          const key = (labels: Labels) => JSON.stringify(sortedLabels(labels));
          expect(series.map(key).sort()).toEqual(expected.map(key).sort());
        }
      },
    );

    it('leaves the table, its columns and every series as they were', async () => {
      // Act
      const columns = (await h.query(`DESCRIBE "${DATABASE}"."${TABLE}"`)).map((row) => String(row.Column));
      const rows = await h.query(
        `SELECT measure_name, "owner", "measure_value::double" AS v FROM "${DATABASE}"."${TABLE}"`,
      );

      // Assess
      expect(columns).toEqual(columnsBefore);
      expect(rows).toHaveLength(STORED.length);
      expect(rows.filter((row) => row.measure_name === SECRET)).toEqual([
        { measure_name: SECRET, owner: 'victim', v: '1.0' },
      ]);
    });
  });
});
