/**
 * Write metering against AWS's worked examples (Timestream developer guide, "Metering and
 * pricing" → "Writes", metering-and-pricing.writes.html), through the real SDK client.
 *
 * The page's event: time, region=us-east-1 (15 B), az=1d (4 B), vpc=vpc-1a2b3c4d (15 B),
 * hostname=host-24Gju (18 B), measure cpu_utilization (15 B), a double (8 B): 83 bytes. 100 such
 * instances write every 5 s, and the page counts writes per 5 s (× 12 × 60 × 24 × 30 a month):
 * - one event per write: 100 writes (51,840,000 a month);
 * - batched: 12 events per write (the page says 998 bytes; 12 × 83 is 996), 9 writes (4,665,600);
 * - batched with region, az, vpc and the measure name as common attributes: the page states 52
 *   bytes of common attributes and 27 bytes per event, so 36 events per write (52 + 36 × 27 =
 *   1024), 3 writes (1,555,200). Those two sizes do not follow from the event above (its fields
 *   give 49 + 34 = 83), so both are reproduced: the page's sizes exactly, with records built to
 *   them, and the page's event itself, which fits 28 per write.
 */
import { QueryCommand } from '@aws-sdk/client-timestream-query';
import {
  type _Record,
  CreateDatabaseCommand,
  CreateTableCommand,
  type Dimension,
  RejectedRecordsException,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { type Harness, startHarness, stopHarness, thrown } from './helpers/emulator.js';

/** The page's timestamp, in nanoseconds; the service clock runs a few seconds later. */
const TIME_NS = '1602983435238563000';
const NOW_MS = 1_602_983_440_000;
/** 5-second periods in the page's 30-day month. */
const PERIODS_PER_MONTH = 12 * 60 * 24 * 30;

const REGION: Dimension = { Name: 'region', Value: 'us-east-1' };
const AZ: Dimension = { Name: 'az', Value: '1d' };
const VPC: Dimension = { Name: 'vpc', Value: 'vpc-1a2b3c4d' };
/** 10 bytes like the page's `host-24Gju`, distinct per instance. */
const hostname = (i: number): Dimension => ({
  Name: 'hostname',
  Value: `host-${String(i).padStart(5, '0')}`,
});

/** The page's event, every field on the record: 83 bytes. */
const fullEvent = (i: number): _Record => ({
  Dimensions: [REGION, AZ, VPC, hostname(i)],
  MeasureName: 'cpu_utilization',
  MeasureValue: '35.0',
  MeasureValueType: 'DOUBLE',
  Time: TIME_NS,
  TimeUnit: 'NANOSECONDS',
});

/** region, az, vpc and the measure name once per write: 15 + 4 + 15 + 15 = 49 bytes. */
const COMMON: _Record = {
  Dimensions: [REGION, AZ, VPC],
  MeasureName: 'cpu_utilization',
  MeasureValueType: 'DOUBLE',
  TimeUnit: 'NANOSECONDS',
};
/** What each event keeps: time 8 + hostname=host-NNNNN 18 + double 8 = 34 bytes. */
const ownEvent = (i: number): _Record => ({
  Dimensions: [hostname(i)],
  MeasureValue: '35.0',
  Time: TIME_NS,
});

/** Common attributes of the page's stated 52 bytes: 15 + 4 + 18 (vpc=vpc-1a2b3c4d5e6) + 15. */
const COMMON_52: _Record = { ...COMMON, Dimensions: [REGION, AZ, { Name: 'vpc', Value: 'vpc-1a2b3c4d5e6' }] };
/** Events of the page's stated 27 bytes: time 8 + hostname=NNN 11 + double 8. */
const event27 = (i: number): _Record => ({
  Dimensions: [{ Name: 'hostname', Value: String(i).padStart(3, '0') }],
  MeasureValue: '35.0',
  Time: TIME_NS,
});

/** `count` records made by `make`, in WriteRecords calls of at most `size`. */
const batches = (count: number, size: number, make: (i: number) => _Record): _Record[][] => {
  const all = Array.from({ length: count }, (_, i) => make(i));
  return Array.from({ length: Math.ceil(count / size) }, (_, b) => all.slice(b * size, (b + 1) * size));
};

interface Case {
  readonly name: string;
  readonly common?: _Record;
  readonly calls: readonly (readonly _Record[])[];
  readonly writeBytes: number;
  readonly writeUnits: number;
  /** The page's total monthly writes, where the case is one of its 5-second periods. */
  readonly monthly?: number;
  /** Storage keeps each record's full size, CommonAttributes merged in. */
  readonly bytesIngested: number;
}

const CASES: readonly Case[] = [
  {
    name: "the page's 83-byte event in one write",
    calls: [[fullEvent(0)]],
    writeBytes: 83,
    writeUnits: 1,
    bytesIngested: 83,
  },
  {
    name: 'one event per write: 100 events, 100 writes',
    calls: batches(100, 1, fullEvent),
    writeBytes: 8300,
    writeUnits: 100,
    monthly: 51_840_000,
    bytesIngested: 8300,
  },
  {
    name: 'batching: 12 events of 83 bytes (996) fit one write',
    calls: [batches(12, 12, fullEvent)[0] ?? []],
    writeBytes: 996,
    writeUnits: 1,
    bytesIngested: 996,
  },
  {
    name: 'batching: a 13th event (1079 bytes) needs a second unit',
    calls: [batches(13, 13, fullEvent)[0] ?? []],
    writeBytes: 1079,
    writeUnits: 2,
    bytesIngested: 1079,
  },
  {
    name: 'batching: 100 events, 12 per write, 9 writes',
    calls: batches(100, 12, fullEvent),
    writeBytes: 8300,
    writeUnits: 9,
    monthly: 4_665_600,
    bytesIngested: 8300,
  },
  {
    name: "common attributes, the page's sizes: 52 + 36 × 27 = 1024 bytes is one write",
    common: COMMON_52,
    calls: [batches(36, 36, event27)[0] ?? []],
    writeBytes: 1024,
    writeUnits: 1,
    bytesIngested: 36 * 79,
  },
  {
    name: "common attributes, the page's sizes: a 37th event (1051 bytes) needs a second unit",
    common: COMMON_52,
    calls: [batches(37, 37, event27)[0] ?? []],
    writeBytes: 1051,
    writeUnits: 2,
    bytesIngested: 37 * 79,
  },
  {
    name: "common attributes, the page's sizes: 100 events, 36 per write, 3 writes",
    common: COMMON_52,
    calls: batches(100, 36, event27),
    writeBytes: 3 * 52 + 100 * 27,
    writeUnits: 3,
    monthly: 1_555_200,
    bytesIngested: 100 * 79,
  },
  {
    name: "common attributes, the page's event: 49 + 28 × 34 = 1001 bytes is one write",
    common: COMMON,
    calls: [batches(28, 28, ownEvent)[0] ?? []],
    writeBytes: 1001,
    writeUnits: 1,
    bytesIngested: 28 * 83,
  },
  {
    name: "common attributes, the page's event: 100 events, 28 per write, 4 writes",
    common: COMMON,
    calls: batches(100, 28, ownEvent),
    writeBytes: 4 * 49 + 100 * 34,
    writeUnits: 4,
    bytesIngested: 100 * 83,
  },
  {
    name: 'the same 28 events without common attributes: 28 × 83 = 2324 bytes, 3 units',
    calls: [batches(28, 28, fullEvent)[0] ?? []],
    writeBytes: 2324,
    writeUnits: 3,
    bytesIngested: 28 * 83,
  },
  {
    name: 'a Time and a MeasureValue in CommonAttributes still count in every record',
    common: { ...COMMON, Time: TIME_NS, MeasureValue: '35.0' },
    calls: [batches(28, 28, (i) => ({ Dimensions: [hostname(i)] }))[0] ?? []],
    writeBytes: 1001,
    writeUnits: 1,
    bytesIngested: 28 * 83,
  },
  {
    name: 'a record naming its own measure pays for it; the common name still counts once',
    common: COMMON,
    calls: [[ownEvent(0), { ...ownEvent(1), MeasureName: 'memory_utilization' }]],
    // 49 common + 34 + (34 + 18)
    writeBytes: 135,
    writeUnits: 1,
    bytesIngested: 83 + 86,
  },
  {
    name: 'a MULTI record: the common measure name once, its measures per record',
    common: { ...COMMON, MeasureName: 'metrics', MeasureValueType: 'MULTI' },
    calls: [
      [0, 1].map((i) => ({
        Dimensions: [hostname(i)],
        Time: TIME_NS,
        MeasureValues: [
          { Name: 'cpu', Value: '35.0', Type: 'DOUBLE' },
          { Name: 'ok', Value: 'true', Type: 'BOOLEAN' },
        ],
      })),
    ],
    // common 34 + 7 (metrics); each record 8 + 18 + (3 + 8) + (2 + 1) = 40
    writeBytes: 41 + 2 * 40,
    writeUnits: 1,
    bytesIngested: 2 * 81,
  },
];

describe('timestream-local write metering, per AWS metering-and-pricing.writes', () => {
  let h: Harness;
  let table = 0;

  beforeAll(async () => {
    h = await startHarness({ now: () => NOW_MS });
    await h.write.send(new CreateDatabaseCommand({ DatabaseName: 'metering' }));
  });
  afterAll(() => stopHarness(h));

  const newTable = async (): Promise<string> => {
    const name = `cpu_${++table}`;
    await h.write.send(new CreateTableCommand({ DatabaseName: 'metering', TableName: name }));
    return name;
  };
  const write = (name: string, records: readonly _Record[], common?: _Record) =>
    h.write.send(
      new WriteRecordsCommand({
        DatabaseName: 'metering',
        TableName: name,
        Records: [...records],
        ...(common === undefined ? {} : { CommonAttributes: common }),
      }),
    );

  it.each(CASES)('$name', async ({ common, calls, writeBytes, writeUnits, monthly, bytesIngested }) => {
    // Prepare
    const name = await newTable();
    h.emulator.resetMetering();

    // Act
    for (const records of calls) await write(name, records, common);

    // Assess
    const ingested = calls.reduce((sum, records) => sum + records.length, 0);
    expect(h.emulator.metering().writes).toMatchObject({
      calls: calls.length,
      recordsIngested: ingested,
      recordsRejected: 0,
      writeBytes,
      writeUnits,
      bytesIngested,
    });
    if (monthly !== undefined) expect(writeUnits * PERIODS_PER_MONTH).toBe(monthly);
  });

  it('lowers write units with CommonAttributes for the same stored rows', async () => {
    // Prepare
    const full = await newTable();
    const shared = await newTable();

    // Act
    h.emulator.resetMetering();
    for (const records of batches(100, 28, fullEvent)) await write(full, records);
    const without = { ...h.emulator.metering().writes };
    h.emulator.resetMetering();
    for (const records of batches(100, 28, ownEvent)) await write(shared, records, COMMON);
    const withCommon = { ...h.emulator.metering().writes };
    const rows = async (name: string) =>
      (
        await h.query.send(
          new QueryCommand({
            QueryString: `SELECT region, az, vpc, hostname, measure_name, measure_value::double, time FROM "metering"."${name}" ORDER BY hostname`,
          }),
        )
      ).Rows;

    // Assess: 4 calls of 28, 28, 28 and 16 events either way: without, 2324 bytes (3 units)
    // three times and 1328 (2 units); with, 1001 bytes three times and 593, one unit each.
    expect(without).toMatchObject({ calls: 4, writeUnits: 3 + 3 + 3 + 2, writeBytes: 8300 });
    expect(withCommon).toMatchObject({ calls: 4, writeUnits: 4, writeBytes: 3596 });
    expect(withCommon.bytesIngested).toBe(without.bytesIngested);
    expect(await rows(shared)).toEqual(await rows(full));
  });

  it('does not bill rejected records, nor the common attributes of a call that stored nothing', async () => {
    // Prepare
    const name = await newTable();
    h.emulator.resetMetering();
    const nan = (i: number): _Record => ({ ...ownEvent(i), MeasureValue: 'NaN' });

    // Act: one call with 2 accepted and 1 rejected record, one with all 3 rejected.
    const partly = await thrown(write(name, [ownEvent(0), nan(1), ownEvent(2)], COMMON));
    const partlyMetered = { ...h.emulator.metering().writes };
    const none = await thrown(write(name, [nan(3), nan(4), nan(5)], COMMON));

    // Assess: 49 common + 2 × 34, counted once each; the second call adds nothing.
    expect(partly).toBeInstanceOf(RejectedRecordsException);
    expect(none).toBeInstanceOf(RejectedRecordsException);
    expect(partlyMetered).toMatchObject({
      recordsIngested: 2,
      recordsRejected: 1,
      writeBytes: 117,
      writeUnits: 1,
    });
    expect(h.emulator.metering().writes).toMatchObject({
      calls: 2,
      recordsIngested: 2,
      recordsRejected: 4,
      writeBytes: 117,
      writeUnits: 1,
      bytesIngested: 2 * 83,
    });
  });
});
