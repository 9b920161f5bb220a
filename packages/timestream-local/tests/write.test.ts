import { QueryCommand } from '@aws-sdk/client-timestream-query';
import {
  type _Record,
  ConflictException,
  CreateDatabaseCommand,
  CreateTableCommand,
  DeleteDatabaseCommand,
  DeleteTableCommand,
  DescribeDatabaseCommand,
  DescribeTableCommand,
  InternalServerException,
  ListDatabasesCommand,
  ListTablesCommand,
  RejectedRecordsException,
  ResourceNotFoundException,
  ThrottlingException,
  TimestreamWriteClient,
  UpdateTableCommand,
  ValidationException,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { credentials, type Harness, startHarness, stopHarness, thrown } from './helpers/emulator.js';

/** The service's clock in these tests: fixed, so retention windows are exact. */
const NOW = Date.parse('2026-01-01T00:00:00.000Z');
const HOUR = 3_600_000;

const record = (overrides: Partial<_Record> = {}): _Record => ({
  Dimensions: [{ Name: 'job', Value: 'node' }],
  MeasureName: 'up',
  MeasureValue: '1',
  MeasureValueType: 'DOUBLE',
  Time: String(NOW - 60_000),
  ...overrides,
});

describe('timestream-local write service, through @aws-sdk/client-timestream-write', () => {
  let h: Harness;
  /** The service clock; a test may move it and must put it back. */
  let clock = NOW;
  let table = 0;
  /** A fresh table per test keeps identities and schemas independent. */
  let name: string;

  beforeAll(async () => {
    h = await startHarness({ now: () => clock });
    await h.write.send(new CreateDatabaseCommand({ DatabaseName: 'prom' }));
  });
  afterAll(() => stopHarness(h));
  beforeEach(async () => {
    name = `samples_${++table}`;
    await h.write.send(new CreateTableCommand({ DatabaseName: 'prom', TableName: name }));
  });

  const write = (records: _Record[], common?: _Record) =>
    h.write.send(
      new WriteRecordsCommand({
        DatabaseName: 'prom',
        TableName: name,
        Records: records,
        ...(common ? { CommonAttributes: common } : {}),
      }),
    );
  const count = async (where = 'true'): Promise<number> => {
    const result = await h.query.send(
      new QueryCommand({ QueryString: `SELECT count(*) FROM "prom"."${name}" WHERE ${where}` }),
    );
    return Number(result.Rows?.[0]?.Data?.[0]?.ScalarValue);
  };
  const rejection = async (records: _Record[]) => {
    const error = await thrown(write(records));
    expect(error).toBeInstanceOf(RejectedRecordsException);
    return (error as unknown as RejectedRecordsException).RejectedRecords ?? [];
  };

  describe('control plane', () => {
    it('creates, describes, lists, updates and deletes databases and tables', async () => {
      // Act
      const created = await h.write.send(
        new CreateTableCommand({
          DatabaseName: 'prom',
          TableName: 'lifecycle',
          RetentionProperties: {
            MemoryStoreRetentionPeriodInHours: 12,
            MagneticStoreRetentionPeriodInDays: 30,
          },
          MagneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
        }),
      );
      const described = await h.write.send(
        new DescribeTableCommand({ DatabaseName: 'prom', TableName: 'lifecycle' }),
      );
      const updated = await h.write.send(
        new UpdateTableCommand({
          DatabaseName: 'prom',
          TableName: 'lifecycle',
          RetentionProperties: {
            MemoryStoreRetentionPeriodInHours: 24,
            MagneticStoreRetentionPeriodInDays: 30,
          },
        }),
      );
      const tables = await h.write.send(new ListTablesCommand({ DatabaseName: 'prom' }));
      const database = await h.write.send(new DescribeDatabaseCommand({ DatabaseName: 'prom' }));
      const databases = await h.write.send(new ListDatabasesCommand({}));
      await h.write.send(new DeleteTableCommand({ DatabaseName: 'prom', TableName: 'lifecycle' }));

      // Assess
      expect(created.Table).toMatchObject({
        TableName: 'lifecycle',
        DatabaseName: 'prom',
        TableStatus: 'ACTIVE',
      });
      expect(described.Table?.RetentionProperties).toEqual({
        MemoryStoreRetentionPeriodInHours: 12,
        MagneticStoreRetentionPeriodInDays: 30,
      });
      expect(described.Table?.MagneticStoreWriteProperties?.EnableMagneticStoreWrites).toBe(true);
      expect(described.Table?.CreationTime).toEqual(new Date(NOW));
      expect(updated.Table?.RetentionProperties?.MemoryStoreRetentionPeriodInHours).toBe(24);
      expect(tables.Tables?.map((t) => t.TableName)).toContain('lifecycle');
      expect(database.Database).toMatchObject({
        DatabaseName: 'prom',
        Arn: expect.stringContaining(':database/prom'),
      });
      expect(databases.Databases?.map((d) => d.DatabaseName)).toEqual(['prom']);
      expect(
        await thrown(
          h.write.send(new DescribeTableCommand({ DatabaseName: 'prom', TableName: 'lifecycle' })),
        ),
      ).toBeInstanceOf(ResourceNotFoundException);
    });

    it.each([
      [
        'an existing database',
        () => new CreateDatabaseCommand({ DatabaseName: 'prom' }),
        ConflictException,
        'The database prom already exists.',
      ],
      [
        'a missing database',
        () => new DescribeDatabaseCommand({ DatabaseName: 'nope' }),
        ResourceNotFoundException,
        'The database nope does not exist.',
      ],
      [
        'a table in a missing database',
        () => new CreateTableCommand({ DatabaseName: 'nope', TableName: 'abc' }),
        ResourceNotFoundException,
        'The database nope does not exist.',
      ],
      [
        'a database name that is too short',
        () => new CreateDatabaseCommand({ DatabaseName: 'ab' }),
        ValidationException,
        expect.stringContaining("Value 'ab' at 'databaseName'"),
      ],
      [
        'a table name with a forbidden character',
        () => new CreateTableCommand({ DatabaseName: 'prom', TableName: 'a/b/c' }),
        ValidationException,
        expect.stringContaining("Value 'a/b/c' at 'tableName'"),
      ],
      [
        'a memory retention of 0 hours',
        () =>
          new CreateTableCommand({
            DatabaseName: 'prom',
            TableName: 'bad_retention',
            RetentionProperties: {
              MemoryStoreRetentionPeriodInHours: 0,
              MagneticStoreRetentionPeriodInDays: 1,
            },
          }),
        ValidationException,
        expect.stringContaining('Member must be between 1 and 8766'),
      ],
      [
        'deleting a database that still has tables',
        () => new DeleteDatabaseCommand({ DatabaseName: 'prom' }),
        ValidationException,
        'The database prom has tables; delete them before deleting the database.',
      ],
    ] as const)('refuses %s', async (_, command, type, message) => {
      const error = await thrown(h.write.send(command() as never));
      expect(error).toBeInstanceOf(type);
      expect(error.message).toEqual(message);
    });
  });

  describe('WriteRecords', () => {
    it('ingests a batch and answers RecordsIngested', async () => {
      // Act
      const result = await write([record(), record({ Time: String(NOW - 30_000), MeasureValue: '0' })]);

      // Assess
      expect(result.RecordsIngested).toEqual({ Total: 2, MemoryStore: 2, MagneticStore: 0 });
      expect(await count()).toBe(2);
    });

    it('merges CommonAttributes into every record', async () => {
      // Act
      await write(
        [
          { MeasureValue: '1', Time: String(NOW - 1000) },
          { MeasureValue: '2', Time: String(NOW - 2000) },
        ],
        {
          Dimensions: [{ Name: 'job', Value: 'node' }],
          MeasureName: 'up',
          MeasureValueType: 'DOUBLE',
        },
      );

      // Assess
      expect(await count(`"job" = 'node' AND measure_name = 'up'`)).toBe(2);
    });

    it.each([
      [
        'no records',
        [],
        "1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1",
      ],
      [
        '101 records',
        Array.from({ length: 101 }, (_, i) => record({ Time: String(NOW - i) })),
        "1 validation error detected: Value '[...]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 100",
      ],
      [
        'an unknown MeasureValueType',
        [record({ MeasureValueType: 'FLOAT' as never })],
        expect.stringContaining("Value 'FLOAT' at 'records.1.member.measureValueType'"),
      ],
      ['a version of 0', [record({ Version: 0 })], 'Record version must be a positive integer, got 0.'],
    ])('refuses %s with a ValidationException and stores nothing', async (_, records, message) => {
      const error = await thrown(write(records as _Record[]));
      expect(error).toBeInstanceOf(ValidationException);
      expect(error.message).toEqual(message);
      expect(await count()).toBe(0);
    });

    it('refuses a dimension given both in CommonAttributes and in a record', async () => {
      const error = await thrown(write([record()], { Dimensions: [{ Name: 'job', Value: 'x' }] }));
      expect(error).toBeInstanceOf(ValidationException);
      expect(error.message).toBe(
        'Dimension job is present in both the record and CommonAttributes; a dimension may be set in only one of them.',
      );
    });

    it.each([
      ['a time', [record(), record({ Time: undefined })], 'records.2.member.time'],
      ['a measure name', [record({ MeasureName: undefined })], 'records.1.member.measureName'],
      [
        'a measure value',
        [record(), record(), record({ MeasureValue: undefined })],
        'records.3.member.measureValue',
      ],
      [
        "a dimension's value",
        [record({ Dimensions: [{ Name: 'job', Value: 'node' }, { Name: 'instance' } as never] })],
        'records.1.member.dimensions.2.member.value',
      ],
      [
        "a multi-measure value's type",
        [
          record({
            MeasureValueType: 'MULTI',
            MeasureValue: undefined,
            MeasureValues: [{ Name: 'user', Value: '1' } as never],
          }),
        ],
        'records.1.member.measureValues.1.member.type',
      ],
    ])('refuses a record without %s, naming the field', async (_, records, field) => {
      const error = await thrown(write(records));
      expect(error).toBeInstanceOf(ValidationException);
      expect(error.message).toBe(
        `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`,
      );
      expect(await count()).toBe(0);
    });

    const long = (bytes: number) => 'x'.repeat(bytes);
    it.each([
      [
        'a dimension name of 61 bytes',
        record({ Dimensions: [{ Name: long(61), Value: 'v' }] }),
        `Dimension name '${long(61)}' must be 1 to 60 bytes long.`,
      ],
      [
        'a measure name of 257 bytes',
        record({ MeasureName: long(257) }),
        'Measure name must be 1 to 256 bytes long.',
      ],
      [
        'a record over 2 KB',
        record({ MeasureValueType: 'VARCHAR', MeasureValue: long(2040) }),
        // 8 (time) + 3 + 4 (job=node) + 2 (up) + 2040 (value) = 2057 bytes
        'The record size 2057 bytes exceeds the limit of 2048 bytes.',
      ],
      [
        'a dimension named time',
        record({ Dimensions: [{ Name: 'time', Value: 'v' }] }),
        "Dimension name 'time' is reserved.",
      ],
      [
        'a dimension named measure_name',
        record({ Dimensions: [{ Name: 'measure_name', Value: 'v' }] }),
        "Dimension name 'measure_name' is reserved.",
      ],
      [
        'a dimension starting with ts_',
        record({ Dimensions: [{ Name: 'ts_x', Value: 'v' }] }),
        "Dimension name 'ts_x' starts with a reserved prefix (ts_ or measure_value).",
      ],
      [
        'a dimension with a colon',
        record({ Dimensions: [{ Name: 'a:b', Value: 'v' }] }),
        "Dimension name 'a:b' contains the reserved character ':'.",
      ],
      [
        // Found by the attack suite: accepting it left every later write to the table failing.
        'a dimension named with NUL (an emulator limit)',
        record({ Dimensions: [{ Name: 'a\0b', Value: 'v' }] }),
        "Dimension name 'a\\0b' contains NUL, which timestream-local cannot store.",
      ],
      [
        'a DOUBLE that does not parse',
        record({ MeasureValue: 'abc' }),
        'Measure value abc is not a valid DOUBLE.',
      ],
      [
        'NaN as a DOUBLE',
        record({ MeasureValue: 'NaN' }),
        'Measure value NaN is not a finite DOUBLE; Timestream does not accept NaN or Infinity.',
      ],
      [
        '-Infinity as a DOUBLE',
        record({ MeasureValue: '-Infinity' }),
        'Measure value -Infinity is not a finite DOUBLE; Timestream does not accept NaN or Infinity.',
      ],
      [
        'a BIGINT with a fraction',
        record({ MeasureValueType: 'BIGINT', MeasureValue: '1.5' }),
        'Measure value 1.5 is not a valid BIGINT.',
      ],
      [
        'a BIGINT beyond 64 bits',
        record({ MeasureValueType: 'BIGINT', MeasureValue: '9223372036854775808' }),
        'Measure value 9223372036854775808 is out of range for BIGINT.',
      ],
      [
        'a BOOLEAN that is not true/false',
        record({ MeasureValueType: 'BOOLEAN', MeasureValue: 'yes' }),
        'Measure value yes is not a valid BOOLEAN.',
      ],
      [
        'a Time that is not an integer',
        record({ Time: '1.5' }),
        'Time 1.5 is not a non-negative integer in MILLISECONDS.',
      ],
    ])('rejects %s on its own, with the reason', async (_, bad, reason) => {
      // Act: the bad record sits between two good ones.
      const rejected = await rejection([
        record({ Time: String(NOW - 1) }),
        bad,
        record({ Time: String(NOW - 2) }),
      ]);

      // Assess: partial ingestion — the good records are stored.
      expect(rejected).toEqual([{ RecordIndex: 1, Reason: reason }]);
      expect(await count()).toBe(2);
    });

    const multi = (values: { Name: string; Value: string; Type: 'DOUBLE' | 'BIGINT' | 'VARCHAR' }[]) =>
      record({
        MeasureName: 'metrics',
        MeasureValueType: 'MULTI',
        MeasureValue: undefined,
        MeasureValues: values,
      });
    it.each([
      [
        'a VARCHAR value of 2049 characters',
        record({ MeasureValueType: 'VARCHAR', MeasureValue: long(2049) }),
        'Measure value must be 1 to 2048 characters long.',
      ],
      [
        'a multi-measure record with 257 measures',
        multi(
          Array.from({ length: 257 }, (_, i) => ({ Name: `m${i}`, Value: '1', Type: 'DOUBLE' as const })),
        ),
        'A multi-measure record holds 1 to 256 measures.',
      ],
      [
        'multi-measure values over 2048 bytes',
        multi([
          { Name: 'a', Value: long(1100), Type: 'VARCHAR' },
          { Name: 'b', Value: long(1000), Type: 'VARCHAR' },
        ]),
        'The measure values of a multi-measure record exceed 2048 bytes.',
      ],
    ])('rejects %s', async (_, bad, reason) => {
      expect(await rejection([bad])).toEqual([{ RecordIndex: 0, Reason: reason }]);
    });

    it('rejects a dimension named like an existing measure, and a measure named like a dimension', async () => {
      // Prepare
      await write([record()]);

      // Act
      const rejected = await rejection([
        record({ Dimensions: [{ Name: 'up', Value: 'x' }], MeasureName: 'other' }),
        record({ MeasureName: 'job', Dimensions: [{ Name: 'instance', Value: 'a' }] }),
      ]);

      // Assess
      expect(rejected).toEqual([
        { RecordIndex: 0, Reason: "Dimension name 'up' is already used as a measure name in this table." },
        { RecordIndex: 1, Reason: "Measure name 'job' is already used as a dimension name in this table." },
      ]);
    });

    it('refuses a multi-measure column written with another type', async () => {
      await write([multi([{ Name: 'cpu', Value: '0.5', Type: 'DOUBLE' }])]);
      expect(await rejection([multi([{ Name: 'cpu', Value: '7', Type: 'BIGINT' }])])).toEqual([
        {
          RecordIndex: 0,
          Reason: "Measure 'cpu' was created with data type DOUBLE; it cannot be written as BIGINT.",
        },
      ]);
    });

    it('accepts exponent notation and every scalar type', async () => {
      await write([
        record({ MeasureName: 'a', MeasureValue: '1e+06' }),
        record({ MeasureName: 'b', MeasureValueType: 'BIGINT', MeasureValue: '-9223372036854775808' }),
        record({ MeasureName: 'c', MeasureValueType: 'VARCHAR', MeasureValue: 'text' }),
        record({ MeasureName: 'd', MeasureValueType: 'BOOLEAN', MeasureValue: 'TRUE' }),
        record({ MeasureName: 'e', MeasureValueType: 'TIMESTAMP', MeasureValue: String(NOW) }),
      ]);
      expect(await count()).toBe(5);
    });

    it("takes a record without MeasureValueType as DOUBLE, with Time in SECONDS (the Go connector README's write)", async () => {
      // Act
      await write([
        {
          Dimensions: [
            { DimensionValueType: 'VARCHAR', Name: 'job', Value: 'prometheus' },
            { DimensionValueType: 'VARCHAR', Name: 'instance', Value: 'localhost:9090' },
          ],
          MeasureName: 'prometheus_temperature',
          MeasureValue: '98.76',
          TimeUnit: 'SECONDS',
          Time: String((NOW - 60_000) / 1000),
        },
      ]);

      // Assess
      const result = await h.query.send(
        new QueryCommand({ QueryString: `SELECT measure_value::double, time FROM "prom"."${name}"` }),
      );
      expect(result.Rows?.map((row) => row.Data?.map((d) => d.ScalarValue))).toEqual([
        ['98.76', '2025-12-31 23:59:00.000000000'],
      ]);
    });

    it('stores doubles beyond the int64 range and negative zero exactly', async () => {
      // Prepare: 1e300 is an integral JS number, which DuckDB once bound as BIGINT (overflow, 500).
      const values = ['1e300', '-1.7976931348623157e308', '-0', '5e-324', '123456789012345680000'];

      // Act
      await write(values.map((MeasureValue, i) => record({ MeasureName: `v${i}`, MeasureValue })));

      // Assess
      const result = await h.query.send(
        new QueryCommand({
          QueryString: `SELECT measure_name, measure_value::double FROM "prom"."${name}" ORDER BY measure_name`,
        }),
      );
      const stored = (result.Rows ?? []).map((row) => Number(row.Data?.[1]?.ScalarValue));
      expect(stored).toEqual(values.map(Number));
      expect(Object.is(stored[2], -0)).toBe(true);
    });

    it("refuses a table's 129th dimension", async () => {
      // Prepare: 128 distinct dimensions across records.
      await write(
        Array.from({ length: 64 }, (_, i) =>
          record({
            Time: String(NOW - i),
            Dimensions: [
              { Name: `d${2 * i}`, Value: 'v' },
              { Name: `d${2 * i + 1}`, Value: 'v' },
            ],
          }),
        ),
      );

      // Act
      const rejected = await rejection([record({ Dimensions: [{ Name: 'one_too_many', Value: 'v' }] })]);

      // Assess
      expect(rejected).toEqual([
        { RecordIndex: 0, Reason: 'The table would exceed the limit of 128 dimensions.' },
      ]);
    });

    it('stores concurrent calls that add the same new dimensions, without a 500', async () => {
      // Prepare: calls in flight together, each introducing the same two dimensions (a connector
      // writing one request's batches in parallel). Without queuing, both ran ALTER TABLE.
      const noRetry = new TimestreamWriteClient({
        endpoint: h.emulator.endpoint,
        region: 'us-east-1',
        credentials: credentials(),
        maxAttempts: 1,
      });
      const calls = Array.from({ length: 8 }, (_, call) =>
        noRetry.send(
          new WriteRecordsCommand({
            DatabaseName: 'prom',
            TableName: name,
            Records: [
              record({
                Dimensions: [
                  { Name: 'instance', Value: `i${call}` },
                  { Name: 'zone', Value: 'a' },
                ],
              }),
            ],
          }),
        ),
      );

      // Act
      const results = await Promise.allSettled(calls);
      noRetry.destroy();

      // Assess
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(await count("zone = 'a'")).toBe(8);
    });

    it("refuses a table's 8193rd measure name", async () => {
      // Prepare: 8192 distinct measure names, 100 per call.
      for (let start = 0; start < 8192; start += 100) {
        await write(
          Array.from({ length: Math.min(100, 8192 - start) }, (_, i) =>
            record({ MeasureName: `m${start + i}` }),
          ),
        );
      }

      // Act
      const rejected = await rejection([record({ MeasureName: 'one_too_many' })]);

      // Assess
      expect(rejected).toEqual([
        { RecordIndex: 0, Reason: 'The table would exceed the limit of 8192 measures.' },
      ]);
      expect(await count()).toBe(8192);
    });

    it('stores multi-measure records in their own typed columns', async () => {
      await write([
        record({
          MeasureName: 'metrics',
          MeasureValueType: 'MULTI',
          MeasureValue: undefined,
          MeasureValues: [
            { Name: 'cpu', Value: '0.5', Type: 'DOUBLE' },
            { Name: 'requests', Value: '12', Type: 'BIGINT' },
          ],
        }),
      ]);
      const result = await h.query.send(
        new QueryCommand({ QueryString: `SELECT cpu, requests FROM "prom"."${name}"` }),
      );
      expect(result.Rows?.[0]?.Data).toEqual([{ ScalarValue: '0.5' }, { ScalarValue: '12' }]);
      expect(result.ColumnInfo?.map((c) => c.Type?.ScalarType)).toEqual(['DOUBLE', 'BIGINT']);
    });
  });

  describe('the time window', () => {
    it.each<[string, boolean, number]>([
      ['just inside the 6 h memory store', true, NOW - 6 * HOUR],
      ['just outside the 6 h memory store', false, NOW - 6 * HOUR - 1],
      ['14 minutes ahead', true, NOW + 14 * 60_000],
      ['exactly 15 minutes ahead', false, NOW + 15 * 60_000],
    ])('a record %s: accepted %s', async (_, accepted, time) => {
      const attempt = write([record({ Time: String(time) })]);
      if (accepted) {
        await attempt;
        expect(await count()).toBe(1);
      } else {
        const error = await thrown(attempt);
        expect((error as unknown as RejectedRecordsException).RejectedRecords).toEqual([
          {
            RecordIndex: 0,
            Reason:
              'The record timestamp is outside the time range [2025-12-31T18:00:00.000Z, 2026-01-01T00:15:00.000Z) of the memory store.',
          },
        ]);
      }
    });

    it('accepts old records when magnetic store writes are on, down to magnetic retention', async () => {
      // Prepare
      await h.write.send(
        new UpdateTableCommand({
          DatabaseName: 'prom',
          TableName: name,
          RetentionProperties: {
            MemoryStoreRetentionPeriodInHours: 6,
            MagneticStoreRetentionPeriodInDays: 2,
          },
          MagneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
        }),
      );

      // Act
      await write([record({ Time: String(NOW - 47 * HOUR) })]);
      const rejected = await rejection([record({ Time: String(NOW - 49 * HOUR) })]);

      // Assess
      expect(await count()).toBe(1);
      expect(rejected[0]?.Reason).toBe(
        'The record timestamp is outside the time range [2025-12-30T00:00:00.000Z, 2026-01-01T00:15:00.000Z) of the magnetic store.',
      );
    });
  });

  describe('identity and versions', () => {
    it('accepts an identical resend (idempotent retry) without storing it twice', async () => {
      await write([record()]);
      await write([record()]);
      expect(await count()).toBe(1);
    });

    it('rejects a different value at the same version, naming the existing version', async () => {
      // Prepare
      await write([record()]);

      // Act
      const rejected = await rejection([record({ MeasureValue: '0' })]);

      // Assess
      expect(rejected).toEqual([
        {
          RecordIndex: 0,
          ExistingVersion: 1,
          Reason:
            'A record already exists with the same time, dimensions, measure name, and record version. A higher record version must be specified in order to update the measure value. Specifying record version is supported by the latest SDKs.',
        },
      ]);
      expect(await count(`measure_value::double = 1`)).toBe(1);
    });

    it('overwrites with a higher version and refuses a lower one', async () => {
      // Prepare
      await write([record({ Version: 2 })]);

      // Act
      await write([record({ MeasureValue: '5', Version: 3 })]);
      const rejected = await rejection([record({ MeasureValue: '7', Version: 2 })]);

      // Assess
      expect(await count()).toBe(1);
      expect(await count(`measure_value::double = 5`)).toBe(1);
      expect(rejected).toEqual([
        {
          RecordIndex: 0,
          ExistingVersion: 3,
          Reason:
            'The record version 2 is lower than the existing version 3. A higher version is required to update the measure value.',
        },
      ]);
    });

    it('treats records differing only in dimension values as different records', async () => {
      await write([record(), record({ Dimensions: [{ Name: 'job', Value: 'other' }] })]);
      expect(await count()).toBe(2);
    });

    it('identifies a record by its dimensions in any order', async () => {
      // Prepare
      const dimensions = [
        { Name: 'job', Value: 'node' },
        { Name: 'instance', Value: 'a:9100' },
      ];
      await write([record({ Dimensions: dimensions })]);

      // Act
      await write([record({ Dimensions: [...dimensions].reverse() })]);
      const rejected = await rejection([
        record({ Dimensions: [...dimensions].reverse(), MeasureValue: '2' }),
      ]);

      // Assess
      expect(await count()).toBe(1);
      expect(rejected).toEqual([expect.objectContaining({ RecordIndex: 0, ExistingVersion: 1 })]);
    });

    it('takes a resend of the same number in other notation as identical, and another type as a change', async () => {
      // Prepare: a BIGINT and a TIMESTAMP of one number (5 ms is 5,000,000 ns) hold the same integer.
      await write([
        record({ MeasureValue: '1' }),
        record({ MeasureName: 'big', MeasureValue: '5000000', MeasureValueType: 'BIGINT' }),
      ]);

      // Act
      await write([record({ MeasureValue: '1.0' })]);
      const rejected = await rejection([
        record({ MeasureName: 'big', MeasureValue: '5', MeasureValueType: 'TIMESTAMP' }),
        record({ MeasureValue: '1', MeasureValueType: 'VARCHAR' }),
      ]);

      // Assess
      expect(await count()).toBe(2);
      expect(rejected.map((r) => [r.RecordIndex, r.ExistingVersion])).toEqual([
        [0, 1],
        [1, 1],
      ]);
    });

    it("stores the last of a call's records with one identity, once", async () => {
      // Act
      await write([
        record(),
        record({ MeasureValue: '5', Version: 2 }),
        record({ MeasureValue: '5', Version: 3 }),
      ]);
      const rejected = await rejection([record({ MeasureValue: '6', Version: 3 })]);

      // Assess
      expect(await count()).toBe(1);
      expect(await count(`measure_value::double = 5`)).toBe(1);
      expect(rejected).toEqual([expect.objectContaining({ RecordIndex: 0, ExistingVersion: 3 })]);
    });

    it('accepts an identical multi-measure resend and refuses a changed one', async () => {
      // Prepare
      const multi = (value: string): _Record =>
        record({
          MeasureName: 'usage',
          MeasureValueType: 'MULTI',
          MeasureValue: undefined,
          MeasureValues: [
            { Name: 'user', Value: '1.5', Type: 'DOUBLE' },
            { Name: 'system', Value: value, Type: 'DOUBLE' },
          ],
        });
      await write([multi('2')]);

      // Act
      await write([multi('2')]);
      const rejected = await rejection([multi('3')]);

      // Assess
      expect(await count()).toBe(1);
      expect(rejected).toEqual([expect.objectContaining({ RecordIndex: 0, ExistingVersion: 1 })]);
    });
  });

  describe('requests, signatures and faults', () => {
    afterEach(() => h.emulator.clearFaults());

    it('records the access key id each request was signed with', async () => {
      // Prepare
      const { TimestreamWriteClient } = await import('@aws-sdk/client-timestream-write');
      const other = new TimestreamWriteClient({
        endpoint: h.emulator.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDSECONDCALLER', secretAccessKey: 'x' },
      });

      // Act
      await other.send(
        new WriteRecordsCommand({ DatabaseName: 'prom', TableName: name, Records: [record()] }),
      );
      other.destroy();

      // Assess
      expect(h.emulator.requests().at(-1)).toEqual({
        operation: 'WriteRecords',
        accessKeyId: 'AKIDSECONDCALLER',
        status: 200,
      });
    });

    it('throttles WriteRecords while a fault is set; the SDK retries, then gives up', async () => {
      // Prepare
      h.emulator.resetMetering();
      h.emulator.setFault({ operation: 'WriteRecords', throttleRate: 1 });

      // Act
      const error = await thrown(write([record()]));
      h.emulator.clearFaults();
      await write([record()]);

      // Assess: the SDK's standard retry made 3 attempts, all throttled; then one success.
      expect(error).toBeInstanceOf(ThrottlingException);
      expect(h.emulator.metering().requests.WriteRecords).toBe(4);
      expect(h.emulator.metering().faults.throttled).toBe(3);
      expect(h.emulator.metering().writes.recordsIngested).toBe(1);
    });

    it('lets a fault expire after its duration, on the service clock', async () => {
      // Prepare
      h.emulator.setFault({ operation: 'WriteRecords', errorRate: 1, durationMs: 10_000 });

      // Act
      const during = await thrown(write([record()]));
      clock = NOW + 10_001;
      const after = await write([record({ Time: String(clock - 1000) })]).finally(() => {
        clock = NOW;
      });

      // Assess
      expect(during).toBeInstanceOf(InternalServerException);
      expect(after.RecordsIngested?.Total).toBe(1);
    });

    it('meters write units with the 1 KiB formula', async () => {
      // Prepare: each record is 8 (time) + 3 + 4 (job=node) + 2 (up) + 8 (double) = 25 bytes.
      h.emulator.resetMetering();

      // Act
      await write(Array.from({ length: 41 }, (_, i) => record({ Time: String(NOW - i) })));

      // Assess: 41 × 25 = 1025 bytes → 2 units.
      expect(h.emulator.metering().writes).toMatchObject({
        calls: 1,
        recordsIngested: 41,
        bytesIngested: 1025,
        writeUnits: 2,
      });
    });
  });
});
