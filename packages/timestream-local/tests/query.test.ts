import {
  CancelQueryCommand,
  type ColumnInfo,
  DescribeEndpointsCommand,
  paginateQuery,
  QueryCommand,
  type QueryCommandOutput,
  ValidationException,
} from '@aws-sdk/client-timestream-query';
import {
  type _Record,
  CreateDatabaseCommand,
  CreateTableCommand,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { type Harness, startHarness, stopHarness, thrown } from './helpers/emulator.js';

const NOW = Date.parse('2026-01-01T00:00:00.000Z');
const MINUTE = 60_000;

/**
 * The data set: `up` for two jobs (one series without `instance`), `cpu` as BIGINT, one VARCHAR
 * measure, at one-minute steps in the hour before NOW.
 */
const RECORDS: _Record[] = [
  ...Array.from({ length: 5 }, (_, i) => ({
    Dimensions: [
      { Name: 'job', Value: 'node' },
      { Name: 'instance', Value: 'host-1:9100' },
    ],
    MeasureName: 'up',
    MeasureValue: String(i % 2),
    Time: String(NOW - (5 - i) * MINUTE),
  })),
  ...Array.from({ length: 3 }, (_, i) => ({
    Dimensions: [{ Name: 'job', Value: 'prometheus' }],
    MeasureName: 'up',
    MeasureValue: '1',
    Time: String(NOW - (3 - i) * MINUTE),
  })),
  ...Array.from({ length: 4 }, (_, i) => ({
    Dimensions: [{ Name: 'job', Value: 'node' }],
    MeasureName: 'cpu',
    MeasureValueType: 'BIGINT' as const,
    MeasureValue: String(10 * (i + 1)),
    Time: String(NOW - 30 * MINUTE + i * 15_000),
  })),
  {
    Dimensions: [{ Name: 'job', Value: 'node' }],
    MeasureName: 'version',
    MeasureValueType: 'VARCHAR',
    MeasureValue: "it's 1.0",
    Time: String(NOW - MINUTE),
  },
];

const scalars = (result: QueryCommandOutput) =>
  (result.Rows ?? []).map((row) => (row.Data ?? []).map((d) => (d.NullValue ? null : d.ScalarValue)));
const names = (columns: ColumnInfo[] | undefined) => (columns ?? []).map((c) => c.Name);

describe('timestream-local query service, through @aws-sdk/client-timestream-query', () => {
  let h: Harness;
  const run = (QueryString: string, extra: { MaxRows?: number; NextToken?: string } = {}) =>
    h.query.send(new QueryCommand({ QueryString, ...extra }));

  beforeAll(async () => {
    h = await startHarness({ now: () => NOW });
    await h.write.send(new CreateDatabaseCommand({ DatabaseName: 'prom' }));
    await h.write.send(new CreateTableCommand({ DatabaseName: 'prom', TableName: 'samples' }));
    await h.write.send(
      new WriteRecordsCommand({ DatabaseName: 'prom', TableName: 'samples', Records: RECORDS }),
    );
  });
  afterAll(() => stopHarness(h));

  it("answers SELECT * in the service's column order and shapes", async () => {
    // Act
    const result = await run(
      `SELECT * FROM "prom"."samples" WHERE measure_name = 'up' AND "job" = 'prometheus' ORDER BY time LIMIT 1`,
    );

    // Assess
    expect(result.ColumnInfo).toEqual([
      { Name: 'job', Type: { ScalarType: 'VARCHAR' } },
      { Name: 'instance', Type: { ScalarType: 'VARCHAR' } },
      { Name: 'measure_name', Type: { ScalarType: 'VARCHAR' } },
      { Name: 'time', Type: { ScalarType: 'TIMESTAMP' } },
      { Name: 'measure_value::double', Type: { ScalarType: 'DOUBLE' } },
      { Name: 'measure_value::bigint', Type: { ScalarType: 'BIGINT' } },
      { Name: 'measure_value::varchar', Type: { ScalarType: 'VARCHAR' } },
    ]);
    expect(result.Rows?.[0]?.Data).toEqual([
      { ScalarValue: 'prometheus' },
      { NullValue: true },
      { ScalarValue: 'up' },
      { ScalarValue: '2025-12-31 23:57:00.000000000' },
      { ScalarValue: '1.0' },
      { NullValue: true },
      { NullValue: true },
    ]);
    expect(result.QueryId).toMatch(/^[a-zA-Z0-9]{1,64}$/);
    expect(result.QueryStatus?.ProgressPercentage).toBe(100);
    expect(result.NextToken).toBeUndefined();
  });

  it.each([
    ['=', `"job" = 'node'`, 5],
    ['!=', `"job" != 'node'`, 3],
    ['<>', `"job" <> 'node'`, 3],
    ['IN', `"job" IN ('prometheus', 'other')`, 3],
    ['NOT IN', `"job" NOT IN ('prometheus')`, 5],
    ['IS NULL (an absent dimension)', `"instance" IS NULL`, 3],
    ['IS NOT NULL', `"instance" IS NOT NULL`, 5],
    ['AND / OR / NOT', `("job" = 'node' AND NOT measure_value::double = 0) OR "job" = 'prometheus'`, 5],
    [
      'BETWEEN from_milliseconds() (inclusive)',
      `time BETWEEN from_milliseconds(${NOW - 3 * MINUTE}) AND from_milliseconds(${NOW - MINUTE})`,
      6,
    ],
    ['ago()', `time >= ago(2m)`, 4],
    ['now()', `time < now() - 4m`, 1],
    ['from_unixtime()', `time >= from_unixtime(${(NOW - 2 * MINUTE) / 1000})`, 4],
    ['to_milliseconds()', `to_milliseconds(time) = ${NOW - MINUTE}`, 2],
    ['regexp_like: contains, as Java', `regexp_like("instance", 'host')`, 5],
    ['regexp_like: anchored as Prometheus sends it', `regexp_like("instance", '^(?:host-1:.*)$')`, 5],
    ['regexp_like: anchored, no match', `regexp_like("job", '^(?:no)$')`, 0],
    ['an escaped quote in a literal', `"job" = 'it''s'`, 0],
  ])('filters %s', async (_, where, expected) => {
    const result = await run(
      `SELECT count(*) FROM "prom"."samples" WHERE measure_name = 'up' AND (${where})`,
    );
    expect(scalars(result)).toEqual([[String(expected)]]);
  });

  it('aggregates with bin(), GROUP BY and ORDER BY, typed as the service types them', async () => {
    // Act
    const result = await run(
      `SELECT bin(time, 1m) AS t, sum(measure_value::bigint) AS total, avg(measure_value::bigint), count(*) AS n
       FROM "prom"."samples" WHERE measure_name = 'cpu' GROUP BY bin(time, 1m) ORDER BY t DESC`,
    );

    // Assess: 4 samples 15 s apart from 30 min before NOW fall into one minute bucket.
    expect(names(result.ColumnInfo)).toEqual(['t', 'total', '_col2', 'n']);
    expect(result.ColumnInfo?.map((c) => c.Type?.ScalarType)).toEqual([
      'TIMESTAMP',
      'BIGINT',
      'DOUBLE',
      'BIGINT',
    ]);
    expect(scalars(result)).toEqual([['2025-12-31 23:30:00.000000000', '100', '25.0', '4']]);
  });

  it('orders and limits', async () => {
    const result = await run(
      `SELECT "job", time FROM "prom"."samples" WHERE measure_name = 'up' ORDER BY time DESC, "job" LIMIT 3`,
    );
    expect(scalars(result)).toEqual([
      ['node', '2025-12-31 23:59:00.000000000'],
      ['prometheus', '2025-12-31 23:59:00.000000000'],
      ['node', '2025-12-31 23:58:00.000000000'],
    ]);
  });

  it('returns VARCHAR measures and quotes exactly as written', async () => {
    const result = await run(
      `SELECT measure_value::varchar FROM "prom"."samples" WHERE measure_name = 'version'`,
    );
    expect(scalars(result)).toEqual([["it's 1.0"]]);
  });

  it('answers DESCRIBE', async () => {
    const result = await run(`DESCRIBE "prom"."samples"`);
    expect(names(result.ColumnInfo)).toEqual(['Column', 'Type', 'Timestream attribute type']);
    expect(scalars(result)).toEqual([
      ['job', 'varchar', 'DIMENSION'],
      ['instance', 'varchar', 'DIMENSION'],
      ['measure_name', 'varchar', 'MEASURE_NAME'],
      ['time', 'timestamp', 'TIMESTAMP'],
      ['measure_value::double', 'double', 'MEASURE_VALUE'],
      ['measure_value::bigint', 'bigint', 'MEASURE_VALUE'],
      ['measure_value::varchar', 'varchar', 'MEASURE_VALUE'],
    ]);
  });

  it('answers SHOW MEASURES with the dimensions of each measure', async () => {
    // Act
    const all = await run(`SHOW MEASURES FROM "prom"."samples"`);
    const like = await run(`SHOW MEASURES FROM "prom"."samples" LIKE 'u%'`);

    // Assess
    expect(names(all.ColumnInfo)).toEqual(['measure_name', 'data_type', 'dimensions']);
    expect(all.Rows?.map((r) => r.Data?.[0]?.ScalarValue)).toEqual(['cpu', 'up', 'version']);
    expect(like.Rows).toEqual([
      {
        Data: [
          { ScalarValue: 'up' },
          { ScalarValue: 'double' },
          {
            ArrayValue: [
              { RowValue: { Data: [{ ScalarValue: 'job' }, { ScalarValue: 'varchar' }] } },
              { RowValue: { Data: [{ ScalarValue: 'instance' }, { ScalarValue: 'varchar' }] } },
            ],
          },
        ],
      },
    ]);
  });

  it.each([
    [
      'a column never written',
      `SELECT "region" FROM "prom"."samples"`,
      "line 1:8: Column 'region' does not exist",
    ],
    [
      'a column never written, on line 2',
      `SELECT time\nFROM "prom"."samples" WHERE "zone" = 'a'`,
      "line 2:29: Column 'zone' does not exist",
    ],
    ['a statement outside the dialect', `DELETE FROM "prom"."samples"`, expect.stringMatching(/^line 1:1: /)],
    [
      'a join',
      `SELECT * FROM "prom"."samples" a JOIN "prom"."samples" b ON a.time = b.time`,
      expect.stringMatching(/^line 1:\d+: /),
    ],
    ['a second statement', `SELECT 1; DROP TABLE x`, expect.stringMatching(/^line 1:\d+: /)],
    ['an unknown function', `SELECT pg_sleep(1)`, "line 1:8: Function 'pg_sleep' not registered"],
  ])('refuses %s with a ValidationException', async (_, query, message) => {
    const error = await thrown(run(query));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toEqual(message);
  });

  it('turns a regular expression DuckDB cannot run into a ValidationException, not a 500', async () => {
    const error = await thrown(run(`SELECT count(*) FROM "prom"."samples" WHERE regexp_like("job", '(')`));
    expect(error).toBeInstanceOf(ValidationException);
  });

  describe('pagination', () => {
    const query = `SELECT time, measure_value::double FROM "prom"."samples" WHERE measure_name = 'up' ORDER BY time, "job"`;

    it('pages with MaxRows and NextToken until the token is absent', async () => {
      // Act
      const pages: QueryCommandOutput[] = [];
      for await (const page of paginateQuery({ client: h.query, pageSize: 3 }, { QueryString: query }))
        pages.push(page);

      // Assess
      expect(pages.map((p) => p.Rows?.length)).toEqual([3, 3, 2]);
      expect(pages.map((p) => p.NextToken === undefined)).toEqual([false, false, true]);
      expect(new Set(pages.map((p) => p.QueryId)).size).toBe(1);
      const all = await run(query);
      expect(pages.flatMap((p) => p.Rows)).toEqual(all.Rows);
    });

    it('fills pages up to 1 MB without MaxRows, however many rows that is, as the service does', async () => {
      // Prepare: 3,000 rows of ~420 bytes each as JSON, ~1.25 MB in all
      const other = await startHarness({ now: () => NOW });
      try {
        await other.write.send(new CreateDatabaseCommand({ DatabaseName: 'prom' }));
        await other.write.send(new CreateTableCommand({ DatabaseName: 'prom', TableName: 'wide' }));
        const padding = 'x'.repeat(300);
        for (let call = 0; call < 30; call++) {
          await other.write.send(
            new WriteRecordsCommand({
              DatabaseName: 'prom',
              TableName: 'wide',
              CommonAttributes: { MeasureName: 'm', Dimensions: [{ Name: 'pad', Value: padding }] },
              Records: Array.from({ length: 100 }, (_, i) => ({
                MeasureValue: '1',
                Time: String(NOW - (call * 100 + i + 1) * 1000),
              })),
            }),
          );
        }
        const wide = `SELECT "pad", time, measure_value::double FROM "prom"."wide" ORDER BY time`;

        // Act
        const pages: QueryCommandOutput[] = [];
        for await (const page of paginateQuery({ client: other.query }, { QueryString: wide }))
          pages.push(page);

        // Assess: more than 1,000 rows on the first page, none over 1 MB, every row once
        const sizes = pages.map((p) => (p.Rows ?? []).reduce((n, row) => n + JSON.stringify(row).length, 0));
        expect(pages).toHaveLength(2);
        expect(pages[0]?.Rows?.length).toBeGreaterThan(1000);
        expect(Math.max(...sizes)).toBeLessThanOrEqual(1024 * 1024);
        expect(sizes[0]).toBeGreaterThan(1024 * 1024 - 1000);
        expect(pages.reduce((n, p) => n + (p.Rows?.length ?? 0), 0)).toBe(3000);
      } finally {
        await stopHarness(other);
      }
    });

    it('binds a NextToken to its query string', async () => {
      const first = await run(query, { MaxRows: 1 });
      const error = await thrown(run(`${query} `, { NextToken: first.NextToken as string }));
      expect(error).toBeInstanceOf(ValidationException);
      expect(error.message).toBe('Invalid pagination token');
    });

    it.each([0, 1001])('refuses MaxRows %i', async (maxRows) => {
      expect(await thrown(run(query, { MaxRows: maxRows }))).toBeInstanceOf(ValidationException);
    });

    it('can answer an empty first page with a token, as the service sometimes does', async () => {
      // Prepare
      const other = await startHarness({ now: () => NOW, emptyFirstPage: true });
      try {
        await other.write.send(new CreateDatabaseCommand({ DatabaseName: 'prom' }));
        await other.write.send(new CreateTableCommand({ DatabaseName: 'prom', TableName: 'samples' }));
        await other.write.send(
          new WriteRecordsCommand({ DatabaseName: 'prom', TableName: 'samples', Records: RECORDS }),
        );

        // Act
        const first = await other.query.send(new QueryCommand({ QueryString: query }));
        const second = await other.query.send(
          new QueryCommand({ QueryString: query, NextToken: first.NextToken as string }),
        );

        // Assess
        expect(first.Rows).toEqual([]);
        expect(first.QueryStatus?.ProgressPercentage).toBe(0);
        expect(first.NextToken).toEqual(expect.any(String));
        expect(first.ColumnInfo?.map((c) => c.Name)).toEqual(['time', 'measure_value::double']);
        expect(second.Rows).toHaveLength(8);
        expect(second.NextToken).toBeUndefined();
      } finally {
        await stopHarness(other);
      }
    });
  });

  it('caps a page at 1 MB when MaxRows is not given', async () => {
    // Prepare: 600 rows of ~2 KB (1.2 MB) in a table of their own.
    await h.write.send(new CreateTableCommand({ DatabaseName: 'prom', TableName: 'wide' }));
    const text = 'x'.repeat(2000);
    for (let batch = 0; batch < 6; batch++) {
      await h.write.send(
        new WriteRecordsCommand({
          DatabaseName: 'prom',
          TableName: 'wide',
          Records: Array.from({ length: 100 }, (_, i) => ({
            MeasureName: 'blob',
            MeasureValueType: 'VARCHAR' as const,
            MeasureValue: text,
            Time: String(NOW - (batch * 100 + i) * 1000),
          })),
        }),
      );
    }

    // Act
    const pages: QueryCommandOutput[] = [];
    for await (const page of paginateQuery(
      { client: h.query },
      { QueryString: `SELECT measure_value::varchar FROM "prom"."wide"` },
    )) {
      pages.push(page);
    }

    // Assess
    expect(pages.length).toBe(2);
    expect(pages.reduce((n, p) => n + (p.Rows?.length ?? 0), 0)).toBe(600);
    for (const page of pages)
      expect(Buffer.byteLength(JSON.stringify(page.Rows))).toBeLessThanOrEqual(1024 * 1024);
  });

  it('cancels a paged query: its token stops working', async () => {
    // Prepare
    const query = `SELECT time FROM "prom"."samples"`;
    const first = await run(query, { MaxRows: 1 });

    // Act
    const cancelled = await h.query.send(new CancelQueryCommand({ QueryId: first.QueryId as string }));
    const error = await thrown(run(query, { NextToken: first.NextToken as string }));

    // Assess
    expect(cancelled.CancellationMessage).toBe(`Query ${first.QueryId} was cancelled.`);
    expect(error.message).toBe('Invalid pagination token');
  });

  it('answers DescribeEndpoints with the bare host and a 1440-minute cache period', async () => {
    const result = await h.query.send(new DescribeEndpointsCommand({}));
    expect(result.Endpoints).toEqual([{ Address: '127.0.0.1', CachePeriodInMinutes: 1440 }]);
  });

  it('meters queries and bytes scanned', async () => {
    h.emulator.resetMetering();
    await run(`SELECT count(*) FROM "prom"."samples"`);
    expect(h.emulator.metering().queries).toMatchObject({ queries: 1, bytesMetered: 10_000_000 });
    expect(h.emulator.metering().queries.bytesScanned).toBeGreaterThan(0);
  });
});

describe("the Go connector README's check: SELECT count() FROM PrometheusDatabase.PrometheusMetricsTable", () => {
  let h: Harness;
  const count = async () =>
    scalars(
      await h.query.send(
        new QueryCommand({ QueryString: 'SELECT count() FROM PrometheusDatabase.PrometheusMetricsTable' }),
      ),
    );

  beforeAll(async () => {
    h = await startHarness({ now: () => NOW, create: ['PrometheusDatabase.PrometheusMetricsTable'] });
  });
  afterAll(() => stopHarness(h));

  it('answers 0 on the empty table, then the number of rows', async () => {
    // Assess: empty
    expect(await count()).toEqual([['0']]);

    // Act
    await h.write.send(
      new WriteRecordsCommand({
        DatabaseName: 'PrometheusDatabase',
        TableName: 'PrometheusMetricsTable',
        Records: RECORDS.slice(0, 3),
      }),
    );

    // Assess
    expect(await count()).toEqual([['3']]);
  });
});
