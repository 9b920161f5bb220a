import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Datum, QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-timestream-query';
import {
  type _Record,
  CreateDatabaseCommand,
  CreateTableCommand,
  RejectedRecordsException,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { type Harness, startHarness, stopHarness, thrown } from './helpers/emulator.js';

/**
 * Timestream names are case-sensitive, compared as bytes: vmagent's `go_info_ext{GOOS}` and
 * node_exporter's `node_exporter_build_info{goos}` land in one table as two dimensions. DuckDB's
 * identifiers are case-insensitive, so the emulator keeps a column per name under the hood; these
 * tests check that nothing of that shows through WriteRecords, DESCRIBE, SELECT or SHOW MEASURES.
 */

const NOW = Date.parse('2026-01-01T00:00:00.000Z');

const record = (measureName: string, dimensions: Record<string, string>, value = '1'): _Record => ({
  Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
  MeasureName: measureName,
  MeasureValue: value,
  MeasureValueType: 'DOUBLE',
  Time: String(NOW - 60_000),
});

const multi = (measureName: string, measures: Record<string, string>): _Record => ({
  Dimensions: [{ Name: 'job', Value: 'node' }],
  MeasureName: measureName,
  MeasureValueType: 'MULTI',
  MeasureValues: Object.entries(measures).map(([Name, Value]) => ({ Name, Value, Type: 'DOUBLE' })),
  Time: String(NOW - 60_000),
});

const GO_INFO = record('go_info_ext', { GOARCH: 'amd64', GOOS: 'linux', job: 'vmagent' });
const BUILD_INFO = record('node_exporter_build_info', { goarch: 'arm64', goos: 'darwin', job: 'node' });

/** Every cell of a page as text, NULL as null. */
const cells = (output: QueryCommandOutput): (string | null)[][] =>
  (output.Rows ?? []).map((row) =>
    (row.Data ?? []).map((d: Datum) => (d.NullValue === true ? null : (d.ScalarValue ?? '?'))),
  );

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

interface Case {
  readonly calls: readonly (readonly _Record[])[];
  /** DESCRIBE's rows: the names exactly as written, in first-written order. */
  readonly describe: readonly [string, string, string][];
  /** For each dimension or measure column: `measure_name, "<column>"` of the rows holding it. */
  readonly reads: Readonly<Record<string, readonly [string, string][]>>;
}

const DOUBLE_VALUE: [string, string, string] = ['measure_value::double', 'double', 'MEASURE_VALUE'];
const FIXED: [string, string, string][] = [
  ['measure_name', 'varchar', 'MEASURE_NAME'],
  ['time', 'timestamp', 'TIMESTAMP'],
];
const dimension = (name: string): [string, string, string] => [name, 'varchar', 'DIMENSION'];

const CASES: readonly (readonly [string, Case])[] = [
  [
    'vmagent and node_exporter series in one call',
    {
      calls: [[GO_INFO, BUILD_INFO]],
      describe: [
        dimension('GOARCH'),
        dimension('GOOS'),
        dimension('job'),
        dimension('goarch'),
        dimension('goos'),
        ...FIXED,
        DOUBLE_VALUE,
      ],
      reads: {
        GOOS: [['go_info_ext', 'linux']],
        goos: [['node_exporter_build_info', 'darwin']],
        GOARCH: [['go_info_ext', 'amd64']],
        goarch: [['node_exporter_build_info', 'arm64']],
      },
    },
  ],
  [
    'the same series in two calls, lower case first',
    {
      calls: [[BUILD_INFO], [GO_INFO]],
      describe: [
        dimension('goarch'),
        dimension('goos'),
        dimension('job'),
        dimension('GOARCH'),
        dimension('GOOS'),
        ...FIXED,
        DOUBLE_VALUE,
      ],
      reads: {
        GOOS: [['go_info_ext', 'linux']],
        goos: [['node_exporter_build_info', 'darwin']],
      },
    },
  ],
  [
    'one record carrying goos, GOOS and Goos',
    {
      calls: [[record('build', { goos: 'a', GOOS: 'b', Goos: 'c' })]],
      describe: [dimension('goos'), dimension('GOOS'), dimension('Goos'), ...FIXED, DOUBLE_VALUE],
      reads: { goos: [['build', 'a']], GOOS: [['build', 'b']], Goos: [['build', 'c']] },
    },
  ],
  [
    // `GOOS#2` is where the emulator would put the second spelling: a name taken already is skipped.
    'a dimension spelled like an internal column name',
    {
      calls: [[record('m1', { 'GOOS#2': 'x', goos: 'a' })], [record('m2', { GOOS: 'b' })]],
      describe: [dimension('GOOS#2'), dimension('goos'), dimension('GOOS'), ...FIXED, DOUBLE_VALUE],
      reads: { 'GOOS#2': [['m1', 'x']], goos: [['m1', 'a']], GOOS: [['m2', 'b']] },
    },
  ],
  [
    'dimensions spelled like the fixed columns but for case',
    {
      calls: [[record('up', { Time: 'noon', MEASURE_NAME: 'm', __VERSION: 'v' })]],
      describe: [
        dimension('Time'),
        dimension('MEASURE_NAME'),
        dimension('__VERSION'),
        ...FIXED,
        DOUBLE_VALUE,
      ],
      reads: { Time: [['up', 'noon']], MEASURE_NAME: [['up', 'm']], __VERSION: [['up', 'v']] },
    },
  ],
  [
    'multi-measure names differing only in case',
    {
      calls: [[multi('cpu', { usage: '1.5', USAGE: '2.5' })], [multi('mem', { Usage: '3.5' })]],
      describe: [
        dimension('job'),
        ...FIXED,
        ['usage', 'double', 'MULTI'],
        ['USAGE', 'double', 'MULTI'],
        ['Usage', 'double', 'MULTI'],
      ],
      reads: { usage: [['cpu', '1.5']], USAGE: [['cpu', '2.5']], Usage: [['mem', '3.5']] },
    },
  ],
];

describe('timestream-local: names that differ only in letter case', () => {
  let h: Harness;
  let table = 0;
  let name: string;

  beforeAll(async () => {
    h = await startHarness({ now: () => NOW });
    await h.write.send(new CreateDatabaseCommand({ DatabaseName: 'prom' }));
  });
  afterAll(() => stopHarness(h));
  beforeEach(async () => {
    name = `case_${++table}`;
    await h.write.send(new CreateTableCommand({ DatabaseName: 'prom', TableName: name }));
  });

  const write = (records: readonly _Record[]) =>
    h.write.send(new WriteRecordsCommand({ DatabaseName: 'prom', TableName: name, Records: [...records] }));
  const query = (sql: string) => h.query.send(new QueryCommand({ QueryString: sql }));

  it.each(CASES)('%s: stores every name and reads each back exactly', async (_, c) => {
    // Act
    const ingested = [];
    for (const call of c.calls) ingested.push((await write(call)).RecordsIngested?.Total);
    const described = await query(`DESCRIBE "prom"."${name}"`);
    const reads = Object.fromEntries(
      await Promise.all(
        Object.keys(c.reads).map(async (column) => [
          column,
          cells(
            await query(
              `SELECT measure_name, ${quote(column)} FROM "prom"."${name}" WHERE ${quote(column)} IS NOT NULL ORDER BY measure_name`,
            ),
          ),
        ]),
      ),
    );

    // Assess
    expect(ingested).toEqual(c.calls.map((call) => call.length));
    expect(cells(described)).toEqual(c.describe);
    expect(reads).toEqual(c.reads);
  });

  it('SELECT * names its columns as written and puts each value under its own name', async () => {
    // Prepare
    await write([GO_INFO, BUILD_INFO]);

    // Act
    const result = await query(`SELECT * FROM "prom"."${name}" ORDER BY measure_name`);

    // Assess
    expect(result.ColumnInfo?.map((c) => c.Name)).toEqual([
      'GOARCH',
      'GOOS',
      'job',
      'goarch',
      'goos',
      'measure_name',
      'time',
      'measure_value::double',
    ]);
    expect(cells(result)).toEqual([
      ['amd64', 'linux', 'vmagent', null, null, 'go_info_ext', '2025-12-31 23:59:00.000000000', '1.0'],
      [
        null,
        null,
        'node',
        'arm64',
        'darwin',
        'node_exporter_build_info',
        '2025-12-31 23:59:00.000000000',
        '1.0',
      ],
    ]);
  });

  it.each([
    [
      'a quoted name in WHERE',
      `SELECT measure_name FROM "prom"."T" WHERE "GOOS" = 'linux'`,
      [['go_info_ext']],
    ],
    ['the other spelling', `SELECT measure_name FROM "prom"."T" WHERE "goos" = 'linux'`, []],
    [
      'an unquoted name, kept as written',
      `SELECT measure_name FROM "prom"."T" WHERE goos = 'darwin'`,
      [['node_exporter_build_info']],
    ],
    ['a qualified name', `SELECT t.GOARCH FROM "prom"."T" t WHERE t.GOARCH IS NOT NULL`, [['amd64']]],
    [
      'GROUP BY both spellings',
      `SELECT "goos", "GOOS", count(*) FROM "prom"."T" GROUP BY "goos", "GOOS" ORDER BY 1 NULLS FIRST`,
      [
        [null, 'linux', '1'],
        ['darwin', null, '1'],
      ],
    ],
  ])('resolves %s to its own column', async (_, sql, expected) => {
    // Prepare
    await write([GO_INFO, BUILD_INFO]);

    // Act
    const result = await query(sql.replace('"T"', `"${name}"`));

    // Assess
    expect(cells(result)).toEqual(expected);
  });

  it.each([
    ['quoted', '"Goos"'],
    ['unquoted', 'Goos'],
  ])('a spelling nobody wrote does not exist (%s)', async (_, column) => {
    // Prepare
    await write([GO_INFO, BUILD_INFO]);

    // Act
    const error = await thrown(query(`SELECT ${column} FROM "prom"."${name}"`));

    // Assess
    expect(error.message).toBe("line 1:8: Column 'Goos' does not exist");
  });

  it('SHOW MEASURES lists each measure with its dimensions as written', async () => {
    // Prepare
    await write([GO_INFO, BUILD_INFO]);

    // Act
    const result = await query(`SHOW MEASURES FROM "prom"."${name}"`);

    // Assess
    const dimensions = (result.Rows ?? []).map((row) => [
      row.Data?.[0]?.ScalarValue,
      row.Data?.[2]?.ArrayValue?.map((d) => d.RowValue?.Data?.[0]?.ScalarValue),
    ]);
    expect(dimensions).toEqual([
      ['go_info_ext', ['GOARCH', 'GOOS', 'job']],
      ['node_exporter_build_info', ['job', 'goarch', 'goos']],
    ]);
  });

  it('versions and duplicates tell the two spellings apart', async () => {
    // Prepare: the same measure and time, one series per spelling.
    await write([record('info', { goos: 'linux' }, '1'), record('info', { GOOS: 'linux' }, '1')]);

    // Act: the GOOS series is overwritten with a higher version; the goos one conflicts.
    await h.write.send(
      new WriteRecordsCommand({
        DatabaseName: 'prom',
        TableName: name,
        Records: [{ ...record('info', { GOOS: 'linux' }, '2'), Version: 2 }],
      }),
    );
    const conflict = await thrown(write([record('info', { goos: 'linux' }, '3')]));
    const rows = await query(`SELECT "goos", "GOOS", measure_value::double FROM "prom"."${name}" ORDER BY 3`);

    // Assess
    expect(conflict).toBeInstanceOf(RejectedRecordsException);
    expect(cells(rows)).toEqual([
      ['linux', null, '1.0'],
      [null, 'linux', '2.0'],
    ]);
  });
});

describe('timestream-local: letter case across restarts with --data-dir', () => {
  let dataDir: string;
  let h: Harness | undefined;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'timestream-local-case-'));
  });
  afterEach(async () => {
    await stopHarness(h);
    h = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const restart = async (): Promise<Harness> => {
    await stopHarness(h);
    h = await startHarness({ now: () => NOW, dataDir });
    return h;
  };
  const write = (records: readonly _Record[]) =>
    (h as Harness).write.send(
      new WriteRecordsCommand({ DatabaseName: 'prom', TableName: 'samples', Records: [...records] }),
    );
  const read = async (columns: readonly string[]) =>
    cells(
      await (h as Harness).query.send(
        new QueryCommand({
          QueryString: `SELECT measure_name, ${columns.map(quote).join(', ')}, measure_value::double FROM "prom"."samples" ORDER BY measure_name`,
        }),
      ),
    );
  const create = async (): Promise<void> => {
    await restart();
    await h?.write.send(new CreateDatabaseCommand({ DatabaseName: 'prom' }));
    await h?.write.send(new CreateTableCommand({ DatabaseName: 'prom', TableName: 'samples' }));
  };

  it('keeps both spellings, their rows and their identities', async () => {
    // Prepare: goos in one call, GOOS in the next, then a restart on the same directory.
    await create();
    const a = record('a', { goos: 'x' });
    const b = record('b', { GOOS: 'y' });
    await write([a]);
    await write([b]);
    await restart();

    // Act: read back, resend both (identical: accepted), change one (a conflict: rejected), add a
    // third spelling, and restart once more.
    const before = await read(['goos', 'GOOS']);
    const resend = await write([a, b]);
    const conflict = await thrown(write([{ ...b, MeasureValue: '9' }]));
    await write([record('c', { Goos: 'z' })]);
    await restart();
    const after = await read(['goos', 'GOOS', 'Goos']);

    // Assess
    expect(before).toEqual([
      ['a', 'x', null, '1.0'],
      ['b', null, 'y', '1.0'],
    ]);
    expect(resend.RecordsIngested?.Total).toBe(2);
    expect(conflict).toBeInstanceOf(RejectedRecordsException);
    expect(after).toEqual([
      ['a', 'x', null, null, '1.0'],
      ['b', null, 'y', null, '1.0'],
      ['c', null, null, 'z', '1.0'],
    ]);
  });

  it('loads a catalog written before the column map, which kept every name under itself', async () => {
    // Prepare: a table with `goos`, its catalog stripped of the map as older versions wrote it.
    await create();
    await write([record('a', { goos: 'x' })]);
    await stopHarness(h);
    h = undefined;
    const catalogFile = path.join(dataDir, 'catalog.json');
    const catalog = JSON.parse(readFileSync(catalogFile, 'utf8'));
    for (const table of catalog.tables) delete table.columnOf;
    writeFileSync(catalogFile, JSON.stringify(catalog));

    // Act
    await restart();
    const resend = await write([record('a', { goos: 'x' })]);
    await write([record('b', { GOOS: 'y' })]);
    await restart();
    const rows = await read(['goos', 'GOOS']);

    // Assess
    expect(resend.RecordsIngested?.Total).toBe(1);
    expect(rows).toEqual([
      ['a', 'x', null, '1.0'],
      ['b', null, 'y', '1.0'],
    ]);
  });
});
