import {
  type DuckDBConnection,
  DuckDBInstance,
  DuckDBTimestampNanosecondsValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import {
  type Catalog,
  DUCKDB_TYPES,
  MEASURE_VALUE_COLUMNS,
  type ScalarType,
  type TableSchema,
} from '../src/schema.js';
import { translateQuery } from '../src/sql/index.js';

// Translated queries run against real DuckDB tables laid out as schema.ts documents: every
// measure_value column exists physically, but only the ones a TableSchema lists are visible.

const SAMPLES: TableSchema = {
  database: 'prom',
  table: 'samples',
  physicalName: 'prom.samples',
  dimensions: ['job', 'instance'],
  measureValueColumns: ['measure_value::double'],
  multiMeasureColumns: [],
};

const DEVICES: TableSchema = {
  database: 'iot',
  table: 'devices',
  physicalName: 'iot"devices',
  dimensions: ['region', 'we"ird'],
  measureValueColumns: ['measure_value::double', 'measure_value::bigint'],
  multiMeasureColumns: [
    { name: 'temp', type: 'DOUBLE' },
    { name: 'status', type: 'VARCHAR' },
  ],
};

const catalog: Catalog = {
  lookup: (database, table) =>
    [SAMPLES, DEVICES].find((t) => t.database === database && t.table === table) ?? 'no-table',
};

const MEASURE_VALUE_TYPES: Readonly<Record<(typeof MEASURE_VALUE_COLUMNS)[number], ScalarType>> = {
  'measure_value::double': 'DOUBLE',
  'measure_value::bigint': 'BIGINT',
  'measure_value::varchar': 'VARCHAR',
  'measure_value::boolean': 'BOOLEAN',
  'measure_value::timestamp': 'TIMESTAMP',
};

const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** The physical table, plus a dimension column that holds no data yet and so stays invisible. */
const createTableSql = (schema: TableSchema): string => {
  const columns = [
    ...[...schema.dimensions, 'not_yet_written'].map((d) => `${q(d)} VARCHAR`),
    '"measure_name" VARCHAR',
    '"time" TIMESTAMP_NS',
    ...MEASURE_VALUE_COLUMNS.map((c) => `${q(c)} ${DUCKDB_TYPES[MEASURE_VALUE_TYPES[c]]}`),
    ...schema.multiMeasureColumns.map((m) => `${q(m.name)} ${DUCKDB_TYPES[m.type]}`),
  ];
  return `CREATE TABLE ${q(schema.physicalName)} (${columns.join(', ')})`;
};

// 2023-11-14 22:13:20 UTC.
const T0_MS = 1_700_000_000_000;
const ns = (ms: number, extraNs = 0n): string => `make_timestamp_ns(${BigInt(ms) * 1_000_000n + extraNs})`;
// Five minutes after T0, plus 123 ns, so nanosecond handling shows.
const NOW_NS = BigInt(T0_MS + 300_000) * 1_000_000n + 123n;

const SAMPLE_ROWS = [
  `('node', 'host1:9100', 'up', ${ns(T0_MS)}, 1)`,
  `('node', 'host2:9100', 'up', ${ns(T0_MS + 60_000)}, 0)`,
  `(NULL, 'host3:9100', 'up', ${ns(T0_MS + 120_000)}, 1)`,
  `('api', 'host1:9100', 'up', ${ns(T0_MS + 240_000)}, 1)`,
  `('node', 'host1:9100', 'cpu', ${ns(T0_MS + 30_000)}, 0.25)`,
  `('node', 'host1:9100', 'cpu', ${ns(T0_MS + 90_000)}, 0.75)`,
  `('node', 'host1:9100', 'cpu', ${ns(T0_MS + 290_000, 123n)}, 1.5)`,
];

let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  await connection.run(createTableSql(SAMPLES));
  await connection.run(
    `INSERT INTO ${q(SAMPLES.physicalName)} ("job", "instance", "measure_name", "time", "measure_value::double") VALUES ${SAMPLE_ROWS.join(', ')}`,
  );
  await connection.run(createTableSql(DEVICES));
  await connection.run(
    `INSERT INTO ${q(DEVICES.physicalName)} ("region", "we""ird", "measure_name", "time", "measure_value::bigint", "temp", "status") VALUES ('eu', 'it''s', 'count', ${ns(T0_MS)}, 42, NULL, NULL), ('us', NULL, 'env', ${ns(T0_MS)}, NULL, 21.5, 'ok')`,
  );
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

/** Timestamps as their DuckDB text (nanosecond-exact), everything else as DuckDB returns it. */
const plain = (value: DuckDBValue): unknown =>
  value instanceof DuckDBTimestampNanosecondsValue ? value.toString() : value;

const run = async (query: string): Promise<{ columns: string[]; types: string[]; rows: unknown[][] }> => {
  const statement = translateQuery(query, catalog, NOW_NS);
  if (statement.kind !== 'select') throw new Error(`expected a select, got ${statement.kind}`);
  const result = await connection.runAndReadAll(statement.sql);
  return {
    columns: result.columnNames(),
    types: result.columnTypes().map(String),
    rows: result.getRows().map((row) => row.map(plain)),
  };
};

describe('translated queries on DuckDB', () => {
  it.each([
    [
      'a time range with from_milliseconds (BETWEEN is inclusive)',
      `SELECT count(*) AS n FROM "prom"."samples" WHERE time BETWEEN from_milliseconds(${T0_MS}) AND from_milliseconds(${T0_MS + 120_000})`,
      [[5n]],
    ],
    [
      'ago() against a fixed now',
      "SELECT instance FROM prom.samples WHERE measure_name = 'up' AND time > ago(5m) ORDER BY time",
      [['host2:9100'], ['host3:9100'], ['host1:9100']],
    ],
    [
      'now() and ago() keep nanoseconds',
      'SELECT now(), ago(1h), to_nanoseconds(now())',
      [['2023-11-14 22:18:20.000000123', '2023-11-14 21:18:20.000000123', NOW_NS]],
    ],
    [
      'timestamp arithmetic keeps nanoseconds',
      "SELECT time + 1s, time - 1000ns FROM prom.samples WHERE measure_name = 'cpu' AND time > ago(1m)",
      [['2023-11-14 22:18:11.000000123', '2023-11-14 22:18:09.999999123']],
    ],
    [
      'bin + GROUP BY + aggregates, ordered by an alias',
      "SELECT bin(time, 2m) AS b, count(*) AS n, sum(measure_value::double) AS s FROM prom.samples WHERE measure_name = 'cpu' GROUP BY bin(time, 2m) ORDER BY b",
      [
        ['2023-11-14 22:12:00', 1n, 0.25],
        ['2023-11-14 22:14:00', 1n, 0.75],
        ['2023-11-14 22:18:00', 1n, 1.5],
      ],
    ],
    [
      'bin aligns to the epoch, not to DuckDB’s Monday origin',
      `SELECT bin(from_milliseconds(${T0_MS}), 7d)`,
      [['2023-11-09 00:00:00']],
    ],
    [
      'date_trunc',
      `SELECT date_trunc('hour', from_milliseconds(${T0_MS})), date_trunc('week', from_milliseconds(${T0_MS}))`,
      [['2023-11-14 22:00:00', '2023-11-13 00:00:00']],
    ],
    [
      'regexp_like is a contains match',
      "SELECT DISTINCT instance FROM prom.samples WHERE regexp_like(instance, 'host[12]') ORDER BY instance",
      [['host1:9100'], ['host2:9100']],
    ],
    [
      'regexp_like anchored to the whole value',
      "SELECT count(*) FROM prom.samples WHERE regexp_like(instance, '^host1$')",
      [[0n]],
    ],
    [
      'the Prometheus anchoring idiom',
      "SELECT count(*) FROM prom.samples WHERE regexp_like(instance, '^(?:host1:9100)$')",
      [[5n]],
    ],
    [
      "Java's POSIX classes, outside and inside a class, plain and negated",
      "SELECT regexp_like('host1', '^\\p{Alpha}+\\p{Digit}$'), regexp_like('a-1', '^[\\p{Alpha}\\p{Punct}\\d]+$'), regexp_like('1', '^\\P{Digit}$'), regexp_like('x', '^[\\P{Digit}]$'), regexp_like('p{Alpha}', '\\Q\\p{Alpha}\\E')",
      [[true, true, false, true, false]],
    ],
    [
      'IS NULL finds the rows without a dimension',
      "SELECT instance FROM prom.samples WHERE (job IS NULL OR job = '')",
      [['host3:9100']],
    ],
    [
      'IN and NOT IN (NULL is in neither)',
      "SELECT job, count(*) FROM prom.samples WHERE job IN ('api', 'nope') OR job NOT IN ('node', 'api') GROUP BY job",
      [['api', 1n]],
    ],
    [
      'LIMIT after ORDER BY',
      'SELECT instance, measure_name FROM prom.samples ORDER BY time DESC LIMIT 2',
      [
        ['host1:9100', 'cpu'],
        ['host1:9100', 'up'],
      ],
    ],
    [
      'ORDER BY an alias, descending',
      "SELECT measure_value::double AS v FROM prom.samples WHERE measure_name = 'cpu' ORDER BY v DESC",
      [[1.5], [0.75], [0.25]],
    ],
    [
      'ORDER BY puts NULLs last both ways, as Trino does',
      'SELECT job FROM prom.samples GROUP BY job ORDER BY job DESC',
      [['node'], ['api'], [null]],
    ],
    [
      'HAVING and GROUP BY an ordinal',
      'SELECT job, count(*) AS n FROM prom.samples GROUP BY 1 HAVING count(*) > 1',
      [['node', 5n]],
    ],
    [
      'integer division truncates; double division does not',
      'SELECT 7 / 2, -7 / 2, -7 % 3, 7.0 / 2, 1.0 / 0',
      [[3, -3, -1, 3.5, Number.POSITIVE_INFINITY]],
    ],
    [
      'a double cast to bigint rounds half away from zero',
      'SELECT CAST(2.5 AS bigint), CAST(-2.5 AS bigint)',
      [[3n, -3n]],
    ],
    [
      'a timestamp cast to varchar keeps nine digits',
      `SELECT CAST(from_milliseconds(${T0_MS}) AS varchar)`,
      [['2023-11-14 22:13:20.000000000']],
    ],
    [
      'concat is NULL when an argument is, as in Trino',
      "SELECT concat('a', NULL), concat('a', 'b')",
      [[null, 'ab']],
    ],
    [
      'millisecond round trip',
      `SELECT to_milliseconds(from_milliseconds(${T0_MS + 1})), from_unixtime(1700000000.5)`,
      [[BigInt(T0_MS + 1), '2023-11-14 22:13:20.5']],
    ],
    [
      'approx_percentile',
      "SELECT approx_percentile(measure_value::double, 0.5) FROM prom.samples WHERE measure_name = 'cpu'",
      [[0.75]],
    ],
    [
      'quoted names and literals round-trip',
      `SELECT "we""ird", measure_value::bigint FROM iot.devices WHERE "we""ird" = 'it''s'`,
      [["it's", 42n]],
    ],
    ['a double minus is not a comment', 'SELECT - -1, 1 - -1', [[1, 2]]],
  ])('%s', async (_, query, expected) => {
    // Prepare (tables are loaded once, in beforeAll)

    // Act
    const { rows } = await run(query);

    // Assess
    expect(rows).toEqual(expected);
  });

  it('SELECT * returns the visible columns in Timestream order', async () => {
    // Prepare
    const query = 'SELECT * FROM "iot"."devices" ORDER BY region';

    // Act
    const { columns, types, rows } = await run(query);

    // Assess
    expect(columns).toEqual([
      'region',
      'we"ird',
      'measure_name',
      'time',
      'measure_value::double',
      'measure_value::bigint',
      'temp',
      'status',
    ]);
    expect(types).toEqual([
      'VARCHAR',
      'VARCHAR',
      'VARCHAR',
      'TIMESTAMP_NS',
      'DOUBLE',
      'BIGINT',
      'DOUBLE',
      'VARCHAR',
    ]);
    expect(rows).toEqual([
      ['eu', "it's", 'count', '2023-11-14 22:13:20', null, 42n, null, null],
      ['us', null, 'env', '2023-11-14 22:13:20', null, null, 21.5, 'ok'],
    ]);
  });

  it('output columns carry Trino names and Trino types', async () => {
    // Prepare
    const query =
      'SELECT job, count(*), sum(length(job)) AS total, bin(time, 1h), avg(measure_value::double) FROM prom.samples GROUP BY job, bin(time, 1h)';

    // Act
    const { columns, types } = await run(query);

    // Assess
    expect(columns).toEqual(['job', '_col1', 'total', '_col3', '_col4']);
    expect(types).toEqual(['VARCHAR', 'BIGINT', 'BIGINT', 'TIMESTAMP_NS', 'DOUBLE']);
  });

  it.each([
    ['an integer division by zero', 'SELECT 1 / (1 - 1)', 'Division by zero'],
    ['an integer modulo by zero', 'SELECT 1 % (1 - 1)', 'Division by zero'],
    [
      'Java-only regular expression syntax (lookahead)',
      "SELECT regexp_like('a', '(?=a)')",
      'invalid perl operator',
    ],
  ])('fails at execution on %s, for the executor to report', async (_, query, fragment) => {
    // Prepare
    const statement = translateQuery(query, catalog, NOW_NS);
    if (statement.kind !== 'select') throw new Error('expected a select');

    // Act
    const execution = connection.runAndReadAll(statement.sql);

    // Assess
    await expect(execution).rejects.toThrow(fragment);
  });
});
