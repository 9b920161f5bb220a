import { TimestreamError } from '../src/errors.js';
import type { Catalog, TableSchema } from '../src/schema.js';
import { MAX_QUERY_STRING_LENGTH, type Statement, translateQuery } from '../src/sql/index.js';

// What a Prometheus remote-write table looks like: two labels, float samples only.
const SAMPLES: TableSchema = {
  database: 'prom',
  table: 'samples',
  physicalName: 't_prom_samples',
  dimensions: ['job', 'instance'],
  measureValueColumns: ['measure_value::double'],
  multiMeasureColumns: [],
};

// A table with every kind of visible column, and names that need quoting.
const DEVICES: TableSchema = {
  database: 'iot',
  table: 'devices',
  physicalName: 'p"devices',
  dimensions: ['region', 'we"ird'],
  measureValueColumns: ['measure_value::double', 'measure_value::bigint', 'measure_value::varchar'],
  multiMeasureColumns: [
    { name: 'temp', type: 'DOUBLE' },
    { name: 'seen', type: 'TIMESTAMP' },
  ],
};

const catalog: Catalog = {
  lookup: (database, table) => {
    const found = [SAMPLES, DEVICES].find((t) => t.database === database && t.table === table);
    if (found !== undefined) return found;
    return database === 'prom' || database === 'iot' ? 'no-table' : 'no-database';
  },
};

// 2023-11-14 22:18:20.000000123 UTC: a now() with nanoseconds shows none are lost.
const NOW_NS = 1_700_000_300_000_000_123n;

const translate = (query: string): Statement => translateQuery(query, catalog, NOW_NS);

const selectSql = (query: string): string => {
  const statement = translate(query);
  if (statement.kind !== 'select') throw new Error(`expected a select, got ${statement.kind}`);
  return statement.sql;
};

/** The error `translate` throws, so tests can assert its class, code and message together. */
const errorOf = (query: string): TimestreamError => {
  try {
    translate(query);
  } catch (error) {
    if (error instanceof TimestreamError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(query)} to fail`);
};

const S = '"samples"';
const COLUMNS_SAMPLES = `${S}."job" AS "job", ${S}."instance" AS "instance", ${S}."measure_name" AS "measure_name", ${S}."time" AS "time", ${S}."measure_value::double" AS "measure_value::double"`;
const FROM_SAMPLES = 'FROM "t_prom_samples" AS "samples"';

describe('translateQuery: SELECT translation', () => {
  it.each([
    [
      'the Prometheus read path query',
      `SELECT "job", "instance", measure_name, time, measure_value::double FROM "prom"."samples" WHERE measure_name = 'up' AND time BETWEEN from_milliseconds(1700000000000) AND from_milliseconds(1700000300000) AND ("job" IS NULL OR "job" = '') AND regexp_like("instance", '^(?:host.*)$') ORDER BY time`,
      `SELECT ${COLUMNS_SAMPLES} ${FROM_SAMPLES} WHERE ((${S}."measure_name" = 'up') AND (${S}."time" BETWEEN make_timestamp_ns(CAST(1700000000000 AS BIGINT) * 1000000) AND make_timestamp_ns(CAST(1700000300000 AS BIGINT) * 1000000)) AND ((${S}."job" IS NULL) OR (${S}."job" = '')) AND regexp_matches(${S}."instance", '^(?:host.*)$')) ORDER BY 4 ASC NULLS LAST`,
    ],
    [
      'SELECT * in Timestream column order',
      'SELECT * FROM "prom"."samples"',
      `SELECT ${COLUMNS_SAMPLES} ${FROM_SAMPLES}`,
    ],
    [
      'SELECT * over every kind of column, with names that need quoting',
      'SELECT * FROM iot.devices',
      'SELECT "devices"."region" AS "region", "devices"."we""ird" AS "we""ird", "devices"."measure_name" AS "measure_name", "devices"."time" AS "time", "devices"."measure_value::double" AS "measure_value::double", "devices"."measure_value::bigint" AS "measure_value::bigint", "devices"."measure_value::varchar" AS "measure_value::varchar", "devices"."temp" AS "temp", "devices"."seen" AS "seen" FROM "p""devices" AS "devices"',
    ],
    [
      'bare database and table names, an alias without AS, columns qualified by it, and a trailing ;',
      "select s.job from prom.samples s where s.job = 'a';",
      `SELECT "s"."job" AS "job" FROM "t_prom_samples" AS "s" WHERE ("s"."job" = 'a')`,
    ],
    [
      'columns qualified by the table name and by database and table',
      'SELECT samples.job, prom.samples.instance FROM prom.samples',
      `SELECT ${S}."job" AS "job", ${S}."instance" AS "instance" ${FROM_SAMPLES}`,
    ],
    [
      'qualified star',
      'SELECT s.* FROM prom.samples AS s LIMIT 1',
      `SELECT ${COLUMNS_SAMPLES.replaceAll(S, '"s"')} FROM "t_prom_samples" AS "s" LIMIT 1`,
    ],
    ['a FROM-less select names its column _col0', 'SELECT 1', 'SELECT 1 AS "_col0"'],
    [
      'unaliased expressions are named by their position after * expansion',
      'SELECT *, 1 + 1, job AS j FROM prom.samples',
      `SELECT ${COLUMNS_SAMPLES}, (1 + 1) AS "_col5", ${S}."job" AS "j" ${FROM_SAMPLES}`,
    ],
    [
      'quoted measure_value columns and bare ones are the same column',
      'SELECT "measure_value::double" AS a, measure_value::double AS b FROM prom.samples',
      'SELECT "samples"."measure_value::double" AS "a", "samples"."measure_value::double" AS "b" FROM "t_prom_samples" AS "samples"',
    ],
    [
      'now() and ago() become nanosecond-exact literals',
      "SELECT now(), ago(1h), ago(INTERVAL '15' MINUTE), ago(1000ns)",
      'SELECT TIMESTAMP_NS \'2023-11-14 22:18:20.000000123\' AS "_col0", TIMESTAMP_NS \'2023-11-14 21:18:20.000000123\' AS "_col1", TIMESTAMP_NS \'2023-11-14 22:03:20.000000123\' AS "_col2", TIMESTAMP_NS \'2023-11-14 22:18:19.999999123\' AS "_col3"',
    ],
    [
      'interval literals of every unit',
      'SELECT 2d, 1h, 15m, 30s, 100ms, 10us, 5000ns',
      'SELECT INTERVAL (2) DAY AS "_col0", INTERVAL (1) HOUR AS "_col1", INTERVAL (15) MINUTE AS "_col2", INTERVAL (30) SECOND AS "_col3", INTERVAL (100) MILLISECOND AS "_col4", INTERVAL (10) MICROSECOND AS "_col5", INTERVAL (5) MICROSECOND AS "_col6"',
    ],
    [
      'timestamp ± interval in integer nanoseconds',
      'SELECT time - 1h, 5m + time FROM prom.samples',
      `SELECT make_timestamp_ns(epoch_ns(${S}."time") - 3600000000000) AS "_col0", make_timestamp_ns(epoch_ns(${S}."time") + 300000000000) AS "_col1" ${FROM_SAMPLES}`,
    ],
    [
      'bin, GROUP BY, aggregates, HAVING and ORDER BY an alias',
      'SELECT bin(time, 5m) AS t, count(*) AS n, avg(measure_value::double), max(measure_value::double) FROM prom.samples GROUP BY bin(time, 5m) HAVING count(*) > 1 ORDER BY t DESC',
      `SELECT CAST(time_bucket(INTERVAL (5) MINUTE, ${S}."time", TIMESTAMP_NS '1970-01-01 00:00:00.000000000') AS TIMESTAMP_NS) AS "t", count(*) AS "n", avg(${S}."measure_value::double") AS "_col2", max(${S}."measure_value::double") AS "_col3" ${FROM_SAMPLES} GROUP BY CAST(time_bucket(INTERVAL (5) MINUTE, ${S}."time", TIMESTAMP_NS '1970-01-01 00:00:00.000000000') AS TIMESTAMP_NS) HAVING (count(*) > 1) ORDER BY 1 DESC NULLS LAST`,
    ],
    [
      'GROUP BY and ORDER BY ordinals',
      'SELECT job, count(DISTINCT instance) FROM prom.samples GROUP BY 1 ORDER BY 2 DESC NULLS FIRST, 1',
      `SELECT ${S}."job" AS "job", count(DISTINCT ${S}."instance") AS "_col1" ${FROM_SAMPLES} GROUP BY 1 ORDER BY 2 DESC NULLS FIRST, 1 ASC NULLS LAST`,
    ],
    [
      'ORDER BY an expression over an alias inlines the aliased expression',
      'SELECT measure_value::double * 2 AS v FROM prom.samples ORDER BY v + 1, instance',
      `SELECT (${S}."measure_value::double" * 2) AS "v" ${FROM_SAMPLES} ORDER BY ((${S}."measure_value::double" * 2) + 1) ASC NULLS LAST, ${S}."instance" ASC NULLS LAST`,
    ],
    [
      "count() is Trino's count(*), as the Go connector's README uses it",
      'SELECT count() FROM prom.samples',
      `SELECT count(*) AS "_col0" ${FROM_SAMPLES}`,
    ],
    [
      'ORDER BY a constant is dropped (it sorts nothing); GROUP BY a constant number stays a value',
      "SELECT count(*) FROM prom.samples GROUP BY 1 + 1 ORDER BY 'x'",
      `SELECT count(*) AS "_col0" ${FROM_SAMPLES} GROUP BY CAST((1 + 1) AS INTEGER)`,
    ],
    [
      'SELECT DISTINCT, LIMIT ALL',
      'SELECT DISTINCT job FROM prom.samples ORDER BY job LIMIT ALL',
      `SELECT DISTINCT ${S}."job" AS "job" ${FROM_SAMPLES} ORDER BY 1 ASC NULLS LAST`,
    ],
    [
      'predicates: IN, NOT IN, NOT BETWEEN, LIKE, NOT LIKE, IS NOT NULL, IS DISTINCT FROM, NOT',
      "SELECT job FROM prom.samples WHERE job IN ('a', 'b') AND job NOT IN ('c') AND time NOT BETWEEN TIMESTAMP '2023-01-01' AND TIMESTAMP '2023-01-02 03:04:05.123456789' AND instance LIKE 'h%' AND instance NOT LIKE '%x' AND job IS NOT NULL AND job IS DISTINCT FROM 'd' AND NOT job <> 'e' AND job != 'f'",
      `SELECT ${S}."job" AS "job" ${FROM_SAMPLES} WHERE ((${S}."job" IN ('a', 'b')) AND (${S}."job" NOT IN ('c')) AND (${S}."time" NOT BETWEEN TIMESTAMP_NS '2023-01-01' AND TIMESTAMP_NS '2023-01-02 03:04:05.123456789') AND (${S}."instance" LIKE 'h%') AND (${S}."instance" NOT LIKE '%x') AND (${S}."job" IS NOT NULL) AND (${S}."job" IS DISTINCT FROM 'd') AND (NOT (${S}."job" <> 'e')) AND (${S}."job" <> 'f'))`,
    ],
    [
      'precedence: AND binds tighter than OR, * tighter than +, || loosest of the value operators',
      "SELECT 1 + 2 * 3 - -4, 'a' || 'b' || lower('C') WHERE true OR false AND NOT false",
      "SELECT ((1 + (2 * 3)) - (-4)) AS \"_col0\", (('a' || 'b') || lower('C')) AS \"_col1\" WHERE (TRUE OR (FALSE AND (NOT FALSE)))",
    ],
    [
      'integer division truncates and fails on zero; double division stays IEEE',
      'SELECT 7 / 2, 7 % 2, 7 / measure_value::double, 7 / (1 - 1) FROM prom.samples',
      `SELECT (7 // 2) AS "_col0", (7 % 2) AS "_col1", (7 / ${S}."measure_value::double") AS "_col2", CASE WHEN (1 - 1) = 0 THEN error('Division by zero') ELSE 7 // (1 - 1) END AS "_col3" ${FROM_SAMPLES}`,
    ],
    [
      'literals: doubles in exponent form, big integers, escaped strings, booleans, NULL',
      "SELECT 1.5, .25, 1e3, 9223372036854775807, 'it''s', TRUE, false, NULL",
      'SELECT 1.5e+0 AS "_col0", 2.5e-1 AS "_col1", 1e+3 AS "_col2", 9223372036854775807 AS "_col3", \'it\'\'s\' AS "_col4", TRUE AS "_col5", FALSE AS "_col6", NULL AS "_col7"',
    ],
    [
      'CAST and TRY_CAST with Trino rounding and Trino timestamp text',
      "SELECT CAST(measure_value::double AS bigint), TRY_CAST(job AS double), CAST(time AS varchar), CAST('2023-01-01 00:00:00' AS timestamp), CAST(1 AS boolean), CAST(NULL AS integer) FROM prom.samples",
      `SELECT CAST(round(${S}."measure_value::double") AS BIGINT) AS "_col0", TRY_CAST(${S}."job" AS DOUBLE) AS "_col1", strftime(${S}."time", '%Y-%m-%d %H:%M:%S.%n') AS "_col2", CAST('2023-01-01 00:00:00' AS TIMESTAMP_NS) AS "_col3", CAST(1 AS BOOLEAN) AS "_col4", CAST(NULL AS INTEGER) AS "_col5" ${FROM_SAMPLES}`,
    ],
    [
      'CASE, searched and simple',
      "SELECT CASE WHEN job = 'a' THEN 1 WHEN job IS NULL THEN NULL ELSE 2.5 END, CASE job WHEN 'a' THEN 'x' END FROM prom.samples",
      `SELECT CASE WHEN (${S}."job" = 'a') THEN 1 WHEN (${S}."job" IS NULL) THEN CAST(NULL AS DOUBLE) ELSE 2.5e+0 END AS "_col0", CASE ${S}."job" WHEN 'a' THEN 'x' END AS "_col1" ${FROM_SAMPLES}`,
    ],
    [
      'time functions',
      "SELECT to_milliseconds(time), from_unixtime(1700000000), from_nanoseconds(5), to_nanoseconds(time), date_trunc('HOUR', time) FROM prom.samples",
      `SELECT epoch_ms(${S}."time") AS "_col0", make_timestamp_ns(CAST(round(CAST(1700000000 AS DOUBLE) * 1000000000) AS BIGINT)) AS "_col1", make_timestamp_ns(CAST(5 AS BIGINT)) AS "_col2", epoch_ns(${S}."time") AS "_col3", CAST(date_trunc('hour', ${S}."time") AS TIMESTAMP_NS) AS "_col4" ${FROM_SAMPLES}`,
    ],
    [
      'numeric and string functions, case-insensitive names',
      "SELECT ABS(-1), round(2.5), round(1.234, 2), floor(1.5), ceil(1.5), ceiling(1), sqrt(4), ln(1), log10(100), exp(0), power(2, 10), pow(2, 3), upper('a'), length('abc'), concat('a', NULL, 'c'), substr('abc', 2), substring('abc', 1, 2), coalesce(NULL, 1, 2)",
      'SELECT abs((-1)) AS "_col0", round(2.5e+0) AS "_col1", round(1.234e+0, 2) AS "_col2", floor(1.5e+0) AS "_col3", ceil(1.5e+0) AS "_col4", ceil(1) AS "_col5", sqrt(4) AS "_col6", ln(1) AS "_col7", log10(100) AS "_col8", exp(0) AS "_col9", power(2, 10) AS "_col10", power(2, 3) AS "_col11", upper(\'a\') AS "_col12", length(\'abc\') AS "_col13", (\'a\' || CAST(NULL AS VARCHAR) || \'c\') AS "_col14", substr(\'abc\', 2) AS "_col15", substr(\'abc\', 1, 2) AS "_col16", coalesce(CAST(NULL AS INTEGER), 1, 2) AS "_col17"',
    ],
    [
      'NaN and infinity functions',
      'SELECT nan(), infinity(), is_nan(nan()), is_finite(1.0), is_infinite(-infinity())',
      'SELECT CAST(\'NaN\' AS DOUBLE) AS "_col0", CAST(\'Infinity\' AS DOUBLE) AS "_col1", isnan(CAST(\'NaN\' AS DOUBLE)) AS "_col2", isfinite(1e+0) AS "_col3", isinf((-CAST(\'Infinity\' AS DOUBLE))) AS "_col4"',
    ],
    [
      'aggregates with Trino result types',
      'SELECT sum(measure_value::double), sum(length(job)), count(job), min(time), approx_percentile(measure_value::double, 0.9), approx_percentile(length(job), 0.5) FROM prom.samples',
      `SELECT sum(${S}."measure_value::double") AS "_col0", CAST(sum(length(${S}."job")) AS BIGINT) AS "_col1", count(${S}."job") AS "_col2", min(${S}."time") AS "_col3", quantile_cont(${S}."measure_value::double", 9e-1) AS "_col4", CAST(quantile_disc(length(${S}."job"), 5e-1) AS BIGINT) AS "_col5" ${FROM_SAMPLES}`,
    ],
    [
      'comments, line breaks and keywords in any case',
      "select /* all */ job -- the job\nFrOm prom.samples\r\nWHERE job = '--not a comment'",
      `SELECT ${S}."job" AS "job" ${FROM_SAMPLES} WHERE (${S}."job" = '--not a comment')`,
    ],
    [
      'non-reserved keywords are valid bare column names',
      'SELECT time, measure_name FROM prom.samples ORDER BY time',
      `SELECT ${S}."time" AS "time", ${S}."measure_name" AS "measure_name" ${FROM_SAMPLES} ORDER BY 1 ASC NULLS LAST`,
    ],
    [
      'double negation is parenthesised, never printed as a -- comment',
      'SELECT - -1, -(-1)',
      'SELECT (-(-1)) AS "_col0", (-(-1)) AS "_col1"',
    ],
  ])('%s', (_, query, expected) => {
    // Prepare (the catalog and now are fixed above)

    // Act
    const sql = selectSql(query);

    // Assess
    expect(sql).toBe(expected);
  });

  it('reports the table a SELECT reads, and none for a FROM-less one', () => {
    // Prepare
    const withTable = 'SELECT job FROM "prom"."samples"';

    // Act
    const read = translate(withTable);
    const fromless = translate('SELECT 1');

    // Assess
    expect(read).toEqual({ kind: 'select', sql: expect.any(String), table: SAMPLES });
    expect(fromless).toEqual({ kind: 'select', sql: 'SELECT 1 AS "_col0"', table: undefined });
  });

  it('re-quotes identifiers and literals itself, whatever the query wrote', () => {
    // Prepare
    const query = `SELECT "we""ird" AS "x""; DROP TABLE t; --" FROM "iot"."devices" WHERE "we""ird" = 'a''; DROP TABLE t; --'`;

    // Act
    const sql = selectSql(query);

    // Assess
    expect(sql).toBe(
      `SELECT "devices"."we""ird" AS "x""; DROP TABLE t; --" FROM "p""devices" AS "devices" WHERE ("devices"."we""ird" = 'a''; DROP TABLE t; --')`,
    );
  });
});

describe('translateQuery: DESCRIBE and SHOW MEASURES', () => {
  it.each([
    ['DESCRIBE', 'DESCRIBE "prom"."samples"', { kind: 'describe', table: SAMPLES }],
    ['DESCRIBE, bare names and ;', 'describe iot.devices;', { kind: 'describe', table: DEVICES }],
    [
      'SHOW MEASURES',
      'SHOW MEASURES FROM "prom"."samples"',
      { kind: 'show-measures', table: SAMPLES, like: undefined },
    ],
    [
      'SHOW MEASURES LIKE',
      "SHOW MEASURES FROM prom.samples LIKE 'node\\_%'",
      { kind: 'show-measures', table: SAMPLES, like: 'node\\_%' },
    ],
  ] as const)('%s', (_, query, expected) => {
    // Prepare (nothing: the catalog is fixed)

    // Act
    const statement = translate(query);

    // Assess
    expect(statement).toEqual(expected);
  });
});

describe('translateQuery: rejections', () => {
  it.each([
    // Names.
    ['unknown column', 'SELECT foo FROM prom.samples', "line 1:8: Column 'foo' does not exist"],
    [
      'unknown column, multi-line',
      "SELECT job\nFROM prom.samples\nWHERE\n    vehicleName = 'x'",
      "line 4:5: Column 'vehicleName' does not exist",
    ],
    [
      'column names are case-sensitive',
      'SELECT JOB FROM prom.samples',
      "line 1:8: Column 'JOB' does not exist",
    ],
    [
      'so are bare measure_value names',
      'SELECT MEASURE_VALUE::DOUBLE FROM prom.samples',
      "line 1:8: Column 'MEASURE_VALUE::DOUBLE' does not exist",
    ],
    [
      'a column without data is not visible',
      'SELECT "measure_value::bigint" FROM prom.samples',
      "line 1:8: Column 'measure_value::bigint' does not exist",
    ],
    ['a column in a FROM-less select', 'SELECT job', "line 1:8: Column 'job' does not exist"],
    ['unknown qualifier', 'SELECT x.job FROM prom.samples', "line 1:8: Column 'x.job' cannot be resolved"],
    [
      'the table name is hidden by an alias',
      'SELECT samples.job FROM prom.samples s',
      "line 1:8: Column 'samples.job' cannot be resolved",
    ],
    [
      'GROUP BY cannot use a select alias',
      'SELECT job AS j FROM prom.samples GROUP BY j',
      "line 1:44: Column 'j' does not exist",
    ],
    ['unknown star qualifier', 'SELECT x.* FROM prom.samples', 'line 1:8: Unable to resolve reference x.*'],
    [
      'missing database',
      'SELECT * FROM abc.sampleDB',
      "Requested database 'abc' not found for identifier 'abc.sampleDB' at line 1:15",
    ],
    ['missing table', 'SELECT *\n  FROM "prom"."nope"', "line 2:8: Table 'prom.nope' does not exist"],
    ['DESCRIBE a missing table', 'DESCRIBE prom.nope', "line 1:10: Table 'prom.nope' does not exist"],
    [
      'SHOW MEASURES in a missing database',
      'SHOW MEASURES FROM x.y',
      "Requested database 'x' not found for identifier 'x.y' at line 1:20",
    ],
    [
      'an unqualified table',
      'SELECT * FROM samples',
      'line 1:15: Table \'samples\' must be qualified with its database, as "database"."table"',
    ],
    ['a three-part table name', 'SELECT 1 FROM a.b.c', "line 1:15: Too many dots in table name 'a.b.c'"],
    ['unknown function', 'SELECT job, foo(1)\nFROM prom.samples', "line 1:13: Function 'foo' not registered"],
    ['a qualified function name', 'SELECT a.b(1)', "line 1:8: Function 'a.b' not registered"],
    [
      'ambiguous ORDER BY alias',
      'SELECT job AS a, instance AS a FROM prom.samples ORDER BY a',
      "line 1:59: 'a' in ORDER BY is ambiguous",
    ],
    // Statements and clauses outside the dialect.
    [
      'INSERT',
      "INSERT INTO prom.samples VALUES ('a')",
      'line 1:1: INSERT statements are not supported; only SELECT, DESCRIBE and SHOW MEASURES are',
    ],
    [
      'UPDATE',
      "UPDATE prom.samples SET job = 'a'",
      'line 1:1: UPDATE statements are not supported; only SELECT, DESCRIBE and SHOW MEASURES are',
    ],
    [
      'DELETE',
      'DELETE FROM prom.samples',
      'line 1:1: DELETE statements are not supported; only SELECT, DESCRIBE and SHOW MEASURES are',
    ],
    [
      'CREATE',
      'CREATE TABLE x (a int)',
      'line 1:1: CREATE statements are not supported; only SELECT, DESCRIBE and SHOW MEASURES are',
    ],
    [
      'WITH',
      'WITH x AS (SELECT 1) SELECT * FROM x',
      'line 1:1: WITH (common table expressions) is not supported',
    ],
    ['a parenthesised query', '(SELECT 1)', 'line 1:1: A parenthesized query is not supported'],
    ['SHOW TABLES', 'SHOW TABLES', 'line 1:6: SHOW TABLES is not supported; only SHOW MEASURES is'],
    [
      'JOIN',
      'SELECT 1 FROM prom.samples a\n  JOIN prom.samples b ON true',
      'line 2:3: JOIN is not supported',
    ],
    [
      'LEFT JOIN',
      'SELECT 1 FROM prom.samples LEFT JOIN prom.samples ON true',
      'line 1:28: JOIN is not supported',
    ],
    ['a comma join', 'SELECT 1 FROM prom.samples, prom.samples', 'line 1:27: JOIN is not supported'],
    ['UNION', 'SELECT 1 UNION SELECT 2', 'line 1:10: UNION is not supported'],
    ['EXCEPT', 'SELECT 1 EXCEPT SELECT 2', 'line 1:10: EXCEPT is not supported'],
    ['a subquery in FROM', 'SELECT 1 FROM (SELECT 1)', 'line 1:15: Subqueries are not supported'],
    ['a scalar subquery', 'SELECT (SELECT 1)', 'line 1:9: Subqueries are not supported'],
    ['IN (subquery)', 'SELECT 1 WHERE 1 IN (SELECT 1)', 'line 1:22: Subqueries are not supported'],
    ['EXISTS', 'SELECT 1 WHERE EXISTS (SELECT 1)', 'line 1:16: Subqueries are not supported'],
    [
      'a window function',
      'SELECT count(*) OVER (PARTITION BY job) FROM prom.samples',
      'line 1:17: Window functions are not supported',
    ],
    ['OFFSET', 'SELECT 1 ORDER BY 1 OFFSET 1', 'line 1:21: OFFSET is not supported'],
    ['OFFSET after LIMIT', 'SELECT 1 LIMIT 1 OFFSET 1', 'line 1:18: OFFSET is not supported'],
    [
      'GROUP BY ROLLUP',
      'SELECT 1 FROM prom.samples GROUP BY ROLLUP (job)',
      'line 1:37: ROLLUP is not supported',
    ],
    ['multiple statements', 'SELECT 1;\nSELECT 2', 'line 2:1: Multiple statements are not supported'],
    ['a second semicolon', 'SELECT 1;;', 'line 1:10: Multiple statements are not supported'],
    [
      'a :: cast',
      'SELECT job::varchar FROM prom.samples',
      "line 1:11: '::' casts are not supported; use CAST(value AS type)",
    ],
    ['a subscript', 'SELECT job[1] FROM prom.samples', 'line 1:11: Subscript operator ([]) is not supported'],
    [
      'CURRENT_TIMESTAMP',
      'SELECT current_timestamp',
      'line 1:8: CURRENT_TIMESTAMP is not supported; use now()',
    ],
    ['a DATE literal', "SELECT DATE '2023-01-01'", 'line 1:8: A DATE literal is not supported'],
    [
      'a year-month interval',
      "SELECT INTERVAL '1' MONTH",
      'line 1:21: A year-month interval is not supported',
    ],
    ['LIKE ESCAPE', "SELECT 'a' LIKE 'a' ESCAPE '\\'", 'line 1:21: LIKE ... ESCAPE is not supported'],
    [
      'an unsupported CAST type',
      'SELECT CAST(1 AS decimal(10, 2))',
      "line 1:18: Type 'decimal' is not supported; use varchar, bigint, integer, double, boolean or timestamp",
    ],
    ['a query parameter', 'SELECT ?', "line 1:8: A query parameter ('?') is not supported"],
    // Tokens.
    [
      'empty query',
      '',
      "1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ],
    ['blank query', '  \n ', "line 2:2: mismatched input '<EOF>'. Expecting: 'SELECT', 'DESCRIBE', 'SHOW'"],
    ['unterminated string', "SELECT 'abc", 'line 1:8: unterminated string literal'],
    ['unterminated identifier', 'SELECT "abc', 'line 1:8: unterminated quoted identifier'],
    ['unterminated comment', 'SELECT 1 /* never\nclosed', 'line 1:10: unterminated comment'],
    ['empty quoted identifier', 'SELECT ""', 'line 1:8: Zero-length delimited identifier not allowed'],
    [
      'backquotes',
      'SELECT `job`',
      'line 1:8: backquoted identifiers are not supported; use double quotes to quote identifiers',
    ],
    ['a character outside the language', 'SELECT 1 # 2', "line 1:10: token recognition error at: '#'"],
    [
      'a digit-leading identifier',
      'SELECT 10x',
      'line 1:8: identifiers must not start with a digit; surround the identifier with double quotes',
    ],
    [
      'a fractional interval',
      'SELECT ago(1.5h)',
      "line 1:12: interval literal '1.5h' must be a whole number followed by its unit",
    ],
    [
      'a sub-microsecond interval',
      'SELECT ago(5ns)',
      "line 1:12: interval literal '5ns' is not a whole number of microseconds",
    ],
    [
      'a fractional standard interval',
      "SELECT INTERVAL '1.5' SECOND",
      "line 1:17: interval value '1.5' must be a whole number of seconds",
    ],
    [
      'an integer beyond BIGINT',
      'SELECT 9223372036854775808',
      'line 1:8: Invalid numeric literal: 9223372036854775808',
    ],
    [
      'an invalid timestamp literal',
      "SELECT TIMESTAMP '2023-01-01T00:00:00Z'",
      "line 1:8: '2023-01-01T00:00:00Z' is not a valid timestamp literal",
    ],
    [
      'a timestamp string DuckDB would read differently',
      "SELECT CAST('2023-01-01 00:00:00+02' AS timestamp)",
      'line 1:13: Value cannot be cast to timestamp: 2023-01-01 00:00:00+02',
    ],
    // Syntax.
    ['nothing after SELECT', 'SELECT', "line 1:7: mismatched input '<EOF>'. Expecting: <expression>"],
    [
      'a reserved word as a column',
      'SELECT from FROM prom.samples',
      "line 1:8: mismatched input 'from'. Expecting: <expression>",
    ],
    ['chained comparisons', 'SELECT 1 = 1 = 1', "line 1:14: mismatched input '='. Expecting: <EOF>"],
    ['two aliases', 'SELECT 1 x y', "line 1:12: mismatched input 'y'. Expecting: <EOF>"],
    ['a missing parenthesis', 'SELECT abs(1', "line 1:13: mismatched input '<EOF>'. Expecting: ')'"],
    ['a CASE without WHEN', 'SELECT CASE 1 END', "line 1:15: mismatched input 'END'. Expecting: 'WHEN'"],
    [
      'a non-integer LIMIT',
      'SELECT 1 LIMIT 1.5',
      "line 1:16: mismatched input '1.5'. Expecting: <integer>, 'ALL'",
    ],
    // Types.
    [
      'varchar compared with a number',
      'SELECT job FROM prom.samples WHERE job = 1',
      "line 1:40: '=' cannot be applied to varchar, integer",
    ],
    [
      '!= is named as written',
      "SELECT 1 WHERE 'a' != 1",
      "line 1:20: '!=' cannot be applied to varchar, integer",
    ],
    [
      'time compared with a string',
      "SELECT 1 FROM prom.samples WHERE time > '2023-01-01'",
      "line 1:39: '>' cannot be applied to timestamp, varchar",
    ],
    [
      'arithmetic on varchar',
      'SELECT job + 1 FROM prom.samples',
      'line 1:12: Cannot apply operator: varchar + integer',
    ],
    [
      'timestamp minus timestamp',
      'SELECT time - time FROM prom.samples',
      'line 1:13: Cannot apply operator: timestamp - timestamp',
    ],
    ['|| on a number', "SELECT 'a' || 1", 'line 1:12: Cannot apply operator: varchar || integer'],
    ['negating a string', "SELECT -'a'", 'line 1:8: Cannot negate varchar'],
    [
      'a non-boolean WHERE',
      'SELECT 1 FROM prom.samples WHERE 1 + 1',
      'line 1:36: WHERE clause must evaluate to a boolean: actual type integer',
    ],
    [
      'a non-boolean HAVING',
      'SELECT count(*) FROM prom.samples HAVING count(*)',
      'line 1:42: HAVING clause must evaluate to a boolean: actual type bigint',
    ],
    [
      'a non-boolean AND operand',
      'SELECT 1 WHERE 1 AND true',
      'line 1:16: Left side of logical expression must evaluate to a boolean (actual: integer)',
    ],
    [
      'a non-boolean OR operand',
      "SELECT 1 WHERE true OR 'a'",
      'line 1:24: Right side of logical expression must evaluate to a boolean (actual: varchar)',
    ],
    [
      'a non-boolean NOT',
      'SELECT NOT 1',
      'line 1:8: Value of logical NOT expression must evaluate to a boolean (actual: integer)',
    ],
    [
      'LIKE on a number',
      "SELECT 1 LIKE 'a'",
      'line 1:8: Left side of LIKE expression must evaluate to a varchar (actual: integer)',
    ],
    [
      'a numeric LIKE pattern',
      "SELECT 'a' LIKE 1",
      'line 1:17: Pattern for LIKE expression must evaluate to a varchar (actual: integer)',
    ],
    [
      'mixed IN list',
      "SELECT 1 IN (1, 'a')",
      'line 1:8: IN value and list items must be the same type: integer, varchar',
    ],
    [
      'mixed BETWEEN',
      "SELECT 1 BETWEEN 'a' AND 2",
      'line 1:8: Cannot check if integer is BETWEEN varchar and integer',
    ],
    [
      'mixed CASE results',
      "SELECT CASE WHEN true THEN 1 ELSE 'a' END",
      'line 1:8: All CASE results must be the same type: integer, varchar',
    ],
    [
      'a non-boolean CASE condition',
      'SELECT CASE WHEN 1 THEN 1 END',
      'line 1:18: CASE WHEN clause must evaluate to a boolean (actual: integer)',
    ],
    [
      'mixed COALESCE',
      "SELECT coalesce(1, 'a')",
      'line 1:8: All COALESCE operands must be the same type: integer, varchar',
    ],
    [
      'an impossible cast',
      'SELECT CAST(time AS bigint) FROM prom.samples',
      'line 1:8: Cannot cast timestamp to bigint',
    ],
    [
      'wrong argument type',
      "SELECT abs('a')",
      'line 1:8: Unexpected parameters (varchar) for function abs. Expected: abs(integer), abs(bigint), abs(double)',
    ],
    [
      'wrong argument count',
      "SELECT lower('A', 'b')",
      'line 1:8: Unexpected parameters (varchar, varchar) for function lower. Expected: lower(varchar)',
    ],
    [
      'ago of a number',
      'SELECT ago(1)',
      'line 1:8: Unexpected parameters (integer) for function ago. Expected: ago(interval day to second)',
    ],
    [
      'star in a non-count aggregate',
      'SELECT sum(*) FROM prom.samples',
      'line 1:8: Unexpected parameters () for function sum. Expected: sum(bigint), sum(double)',
    ],
    [
      'concat of one argument',
      "SELECT concat('a')",
      'line 1:8: There must be two or more concatenation arguments',
    ],
    [
      'DISTINCT in a scalar function',
      'SELECT abs(DISTINCT 1)',
      'line 1:8: DISTINCT is not supported for non-aggregation functions',
    ],
    [
      'a date_trunc unit outside the list',
      "SELECT date_trunc('fortnight', time) FROM prom.samples",
      "line 1:19: date_trunc unit must be one of the string literals 'millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'",
    ],
    [
      'a percentile out of range',
      'SELECT approx_percentile(measure_value::double, 1.5) FROM prom.samples',
      'line 1:8: Percentile must be between 0 and 1',
    ],
    [
      'a percentile that is not a literal',
      'SELECT approx_percentile(measure_value::double, measure_value::double) FROM prom.samples',
      'line 1:8: approx_percentile percentage must be a numeric literal',
    ],
    [
      'an RE2-only regex group',
      "SELECT regexp_like(job, '(?P<x>a)') FROM prom.samples",
      'line 1:25: Unsupported regular expression syntax in regexp_like pattern: (?P...) groups',
    ],
    [
      'a Java class intersection',
      "SELECT regexp_like(job, '[a-z&&b]') FROM prom.samples",
      'line 1:25: Unsupported regular expression syntax in regexp_like pattern: character class intersection (&&)',
    ],
    [
      'a nested character class',
      "SELECT regexp_like(job, '[[:alpha:]]') FROM prom.samples",
      'line 1:25: Unsupported regular expression syntax in regexp_like pattern: nested character classes',
    ],
    [
      'a Java \\v',
      "SELECT regexp_like(job, 'a\\v') FROM prom.samples",
      'line 1:25: Unsupported regular expression syntax in regexp_like pattern: \\v',
    ],
    // Aggregation.
    [
      'a column neither grouped nor aggregated',
      'SELECT job, count(*)\nFROM prom.samples',
      "line 1:8: 'job' must be an aggregate expression or appear in GROUP BY clause",
    ],
    [
      'SELECT * with GROUP BY',
      'SELECT * FROM prom.samples GROUP BY job',
      "line 1:8: 'instance' must be an aggregate expression or appear in GROUP BY clause",
    ],
    [
      'ORDER BY a column outside GROUP BY',
      'SELECT job FROM prom.samples GROUP BY job ORDER BY time',
      "line 1:52: 'time' must be an aggregate expression or appear in GROUP BY clause",
    ],
    [
      'HAVING a column outside GROUP BY',
      "SELECT count(*) FROM prom.samples HAVING job = 'a'",
      "line 1:42: 'job' must be an aggregate expression or appear in GROUP BY clause",
    ],
    [
      'an aggregate in WHERE',
      'SELECT 1 FROM prom.samples WHERE count(*) > 1',
      'line 1:34: WHERE clause cannot contain aggregations, window functions or grouping operations: [count]',
    ],
    [
      'an aggregate in GROUP BY',
      'SELECT 1 FROM prom.samples GROUP BY max(job)',
      'line 1:37: GROUP BY clause cannot contain aggregations, window functions or grouping operations: [max]',
    ],
    [
      'a GROUP BY ordinal naming an aggregate',
      'SELECT count(*) FROM prom.samples GROUP BY 1',
      'line 1:44: GROUP BY position 1 cannot reference an aggregate',
    ],
    [
      'nested aggregates',
      'SELECT sum(max(measure_value::double)) FROM prom.samples',
      "line 1:12: Cannot nest aggregations inside aggregation 'sum': [max]",
    ],
    [
      'a GROUP BY ordinal out of range',
      'SELECT job FROM prom.samples GROUP BY 2',
      'line 1:39: GROUP BY position 2 is not in select list',
    ],
    [
      'an ORDER BY ordinal out of range',
      'SELECT job FROM prom.samples ORDER BY 0',
      'line 1:39: ORDER BY position 0 is not in select list',
    ],
    [
      'DISTINCT with ORDER BY outside the select list',
      'SELECT DISTINCT job FROM prom.samples ORDER BY instance',
      'line 1:48: For SELECT DISTINCT, ORDER BY expressions must appear in select list',
    ],
    ['SELECT * without FROM', 'SELECT *', 'line 1:8: SELECT * not allowed in queries without FROM clause'],
  ])('%s', (_, query, message) => {
    // Prepare (the catalog is fixed above)

    // Act
    const error = errorOf(query);

    // Assess
    expect(error.code).toBe('ValidationException');
    expect(error.status).toBe(400);
    expect(error.message).toBe(message);
  });

  it('rejects a query string longer than the Query API allows', () => {
    // Prepare
    const query = `SELECT 1${' '.repeat(MAX_QUERY_STRING_LENGTH)}`;

    // Act
    const error = errorOf(query);

    // Assess
    expect(error.message).toBe(
      "1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length less than or equal to 262144",
    );
  });

  it('accepts a query string of exactly the maximum length, counted in characters', () => {
    // Prepare: the emoji is one character but two UTF-16 units, so the string is one unit over.
    const padding = MAX_QUERY_STRING_LENGTH - "SELECT '😀'".length + 1;
    const query = `SELECT '😀'${' '.repeat(padding)}`;

    // Act
    const statement = translate(query);

    // Assess
    expect(query.length).toBe(MAX_QUERY_STRING_LENGTH + 1);
    expect(statement.kind).toBe('select');
  });
});
