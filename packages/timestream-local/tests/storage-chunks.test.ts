import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TimestreamStore } from '../src/store.js';

/**
 * Rows reach DuckDB through a data chunk that is refilled after each append and writes a cell
 * only where a row holds a value now or held one before (storage.ts). These cases read every
 * stored cell back, NULLs included, after writes whose rows change columns from one to the next,
 * across chunk refills, appender flushes and columns added on the way.
 */
const NOW = Date.parse('2026-01-01T00:00:00.000Z');
const LABELS = ['cpu', 'mode', 'device', 'fstype', 'instance'] as const;

interface WireRecord {
  Dimensions?: { Name: string; Value: string }[];
  MeasureName: string;
  MeasureValue?: string;
  MeasureValueType: string;
  MeasureValues?: { Name: string; Value: string; Type: string }[];
  Time: string;
}

/** Record `i`: its own subset of the labels and one of the value types, so neighbours differ. */
const varied = (i: number): WireRecord => {
  const dimensions = LABELS.filter((_, l) => (i * 7 + l * 3) % 5 < 2 + (i % 3)).map(
    (name): { Name: string; Value: string } => ({
      Name: name,
      Value: `${name}-${i % 11}-a-value-longer-than-twelve-bytes`,
    }),
  );
  // A label first seen late: its column is added (ALTER TABLE) after many rows were stored.
  if (i >= 450 && i % 2 === 0) dimensions.push({ Name: 'late', Value: `late-${i % 5}` });
  const time = String(NOW - 3_600_000 + i);
  switch (i % 6) {
    case 0:
      return {
        Dimensions: dimensions,
        MeasureName: 'gauge',
        MeasureValue: `${i}.25`,
        MeasureValueType: 'DOUBLE',
        Time: time,
      };
    case 1:
      return {
        Dimensions: dimensions,
        MeasureName: 'count',
        MeasureValue: `${i * 1_000_000_007}`,
        MeasureValueType: 'BIGINT',
        Time: time,
      };
    case 2:
      return {
        Dimensions: dimensions,
        MeasureName: 'state',
        MeasureValue: `s${i}`,
        MeasureValueType: 'VARCHAR',
        Time: time,
      };
    case 3:
      return {
        Dimensions: dimensions,
        MeasureName: 'flag',
        MeasureValue: i % 4 === 3 ? 'true' : 'false',
        MeasureValueType: 'BOOLEAN',
        Time: time,
      };
    case 4:
      return {
        Dimensions: dimensions,
        MeasureName: 'seen',
        MeasureValue: `${NOW - i}`,
        MeasureValueType: 'TIMESTAMP',
        Time: time,
      };
    default:
      return {
        Dimensions: dimensions,
        MeasureName: 'multi',
        MeasureValueType: 'MULTI',
        MeasureValues: [
          { Name: 'load', Value: `${i}.5`, Type: 'DOUBLE' },
          ...(i % 4 === 1 ? [{ Name: 'note', Value: `n${i}`, Type: 'VARCHAR' }] : []),
        ],
        Time: time,
      };
  }
};

/** What DuckDB must hold for a record: every column of the table, NULL where it has no value. */
const expectedRow = (record: WireRecord, columns: readonly string[]): Record<string, string | null> => {
  const row: Record<string, string | null> = Object.fromEntries(columns.map((c) => [c, null]));
  row.measure_name = record.MeasureName;
  row.time = `${BigInt(record.Time) * 1_000_000n}`;
  row.__version = '1';
  for (const { Name, Value } of record.Dimensions ?? []) row[Name] = Value;
  const typed = (type: string, value: string): string =>
    type === 'TIMESTAMP'
      ? `${BigInt(value) * 1_000_000n}`
      : type === 'BOOLEAN'
        ? String(value === 'true')
        : value;
  if (record.MeasureValue !== undefined)
    row[`measure_value::${record.MeasureValueType.toLowerCase()}`] = typed(
      record.MeasureValueType,
      record.MeasureValue,
    );
  for (const { Name, Value, Type } of record.MeasureValues ?? []) row[Name] = typed(Type, Value);
  return row;
};

const cellText = (value: unknown): string | null => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && 'nanos' in value) return String((value as { nanos: bigint }).nanos);
  if (typeof value === 'number') return Number.isInteger(value) ? `${value}` : String(value);
  return String(value);
};

const CASES = [
  { description: 'one call of rows that alternate columns', calls: [100], durable: false },
  {
    description: 'more rows than a chunk holds, in calls of 100',
    calls: [100, 100, 100, 100, 100, 100, 37],
    durable: false,
  },
  { description: 'calls of uneven sizes across chunk refills', calls: [1, 99, 255, 2, 300], durable: false },
  {
    description: 'more rows than an appender holds before it flushes',
    calls: Array(230).fill(100),
    durable: false,
  },
  {
    description: 'with a data dir (every call flushed before it is answered)',
    calls: [100, 3, 100, 57],
    durable: true,
  },
] as const;

describe('rows stored through data chunks', () => {
  it.each(CASES)('$description: every cell reads back as written', async ({ calls, durable }) => {
    // Prepare
    const dataDir = durable ? mkdtempSync(join(tmpdir(), 'tsl-chunks-')) : undefined;
    const store = await TimestreamStore.open({ dataDir, now: () => NOW });
    try {
      store.createDatabase('prom', undefined);
      await store.createTable({ DatabaseName: 'prom', TableName: 'samples' });
      const written: WireRecord[] = [];

      // Act: each call's records are the next ones of the sequence (2 100-record requests max each).
      for (const size of calls) {
        for (let start = 0; start < size; start += 100) {
          const records = Array.from({ length: Math.min(100, size - start) }, (_, k) =>
            varied(written.length + k),
          );
          const outcome = await store.writeRecords({
            DatabaseName: 'prom',
            TableName: 'samples',
            Records: records,
          });
          expect(outcome.rejected).toEqual([]);
          written.push(...records);
        }
      }

      // Assess
      const connection = await store.forReading();
      const result = await connection.runAndReadAll('SELECT * FROM t_1 ORDER BY time');
      const columns = result.columnNames();
      const stored = result
        .getRowObjects()
        .map((row) => Object.fromEntries(columns.map((c) => [c, cellText(row[c])])));
      expect(stored).toHaveLength(written.length);
      // The first row that differs, not all of them: a diff of thousands of rows takes minutes.
      const expected = written.map((record) => expectedRow(record, columns));
      const first = stored.findIndex((row, i) => JSON.stringify(row) !== JSON.stringify(expected[i]));
      expect(first === -1 ? undefined : { row: first, stored: stored[first] }).toEqual(
        first === -1 ? undefined : { row: first, stored: expected[first] },
      );
    } finally {
      store.close();
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
