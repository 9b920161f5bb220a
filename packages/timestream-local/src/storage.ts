/**
 * A table's rows in DuckDB: adding columns, overwriting and appending rows (committed before the
 * call is answered when the store has a data dir), and reading the identity index back from the
 * rows at start. The decisions of what to store are ingest.ts's; this only stores them.
 */
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBTimestampNanosecondsValue,
} from '@duckdb/node-api';
import { identityOf, valueSignature } from './ingest.js';
import type { ParsedValue, ValidRecord } from './records.js';
import {
  DUCKDB_TYPES,
  MEASURE_VALUE_COLUMN,
  MEASURE_VALUE_COLUMNS,
  MEASURE_VALUE_TYPE,
  type ScalarType,
} from './schema.js';
import { quoteIdentifier } from './sql/format.js';
import { physicalColumn, type TableState } from './tables.js';

/**
 * Rows an open appender may hold before it flushes. Flushing commits to DuckDB, ~3 ms however
 * few the rows, which made the emulator's CPU, not the client's, the bound of every write
 * benchmark; in memory one appender per table stays open across calls and is flushed before
 * anything reads or changes the table, at this many rows, or shortly after the last write. With a
 * data dir every call flushes its own rows before it is answered (see `storeRows`).
 */
const APPENDER_FLUSH_ROWS = 20_000;
export const APPENDER_FLUSH_DELAY_MS = 250;

/** The columns of a new table: measure_name, time, one per value type, the hidden version. */
export const createTableSql = (physicalName: string): string => {
  const columns = [
    'measure_name VARCHAR',
    'time TIMESTAMP_NS',
    ...MEASURE_VALUE_COLUMNS.map((c) => `${quoteIdentifier(c)} ${DUCKDB_TYPES[MEASURE_VALUE_TYPE[c]]}`),
    // The record version is stored but never visible to queries.
    '"__version" BIGINT',
  ];
  return `CREATE TABLE ${quoteIdentifier(physicalName)} (${columns.join(', ')})`;
};

/** Appends one cell: a dimension's text, a measure value, or NULL. */
const appendCell = (appender: DuckDBAppender, cell: ParsedValue | string | null): void => {
  if (cell === null) appender.appendNull();
  else if (typeof cell === 'string') appender.appendVarchar(cell);
  else if (cell.type === 'BIGINT') appender.appendBigInt(BigInt(cell.value as bigint | number | string));
  else if (cell.type === 'TIMESTAMP')
    appender.appendTimestampNanoseconds(
      new DuckDBTimestampNanosecondsValue(BigInt(cell.value as bigint | number | string)),
    );
  else if (cell.type === 'DOUBLE') appender.appendDouble(Number(cell.value));
  else if (cell.type === 'BOOLEAN') appender.appendBoolean(Boolean(cell.value));
  else appender.appendVarchar(String(cell.value));
};

/** Flushes the table's appended rows into it and closes its appender. */
export const closeAppender = (state: TableState): void => {
  const open = state.appender;
  if (open === undefined) return;
  state.appender = undefined;
  open.appender.closeSync();
};

/** The table's columns in DuckDB's order, which an appender must follow. */
const columnOrder = async (writer: DuckDBConnection, state: TableState): Promise<readonly string[]> => {
  if (state.columnOrder === undefined) {
    const result = await writer.runAndReadAll(`SELECT * FROM ${quoteIdentifier(state.physicalName)} LIMIT 0`);
    state.columnOrder = result.columnNames();
  }
  return state.columnOrder;
};

/** Adds the DuckDB columns the table's schema has gained (each ALTER TABLE commits on its own). */
const addColumns = async (writer: DuckDBConnection, state: TableState): Promise<void> => {
  const table = quoteIdentifier(state.physicalName);
  const wanted: [string, string][] = [
    ...state.dimensions.map((name): [string, string] => [physicalColumn(state, name), 'VARCHAR']),
    ...[...state.multiMeasureColumns].map(([name, type]): [string, string] => [
      physicalColumn(state, name),
      DUCKDB_TYPES[type],
    ]),
  ];
  for (const [column, type] of wanted) {
    if (state.physicalColumns.has(column)) continue;
    // ALTER TABLE needs the rows an open appender holds flushed first.
    closeAppender(state);
    await writer.run(`ALTER TABLE ${table} ADD COLUMN ${quoteIdentifier(column)} ${type}`);
    state.physicalColumns.add(column);
    state.columnOrder = undefined;
  }
};

/** Removes the rows `deletes` overwrite and appends `inserts` (flushed by the caller). */
const deleteAndAppend = async (
  writer: DuckDBConnection,
  state: TableState,
  deletes: readonly ValidRecord[],
  inserts: readonly ValidRecord[],
): Promise<void> => {
  const table = quoteIdentifier(state.physicalName);
  for (const record of deletes) {
    const conditions = ['measure_name = CAST(? AS VARCHAR)', 'time = make_timestamp_ns(CAST(? AS BIGINT))'];
    const params: unknown[] = [record.measureName, record.timeNs];
    for (const name of state.dimensions) {
      conditions.push(
        `${quoteIdentifier(physicalColumn(state, name))} IS NOT DISTINCT FROM CAST(? AS VARCHAR)`,
      );
      params.push(record.dimensions.find((d) => d.name === name)?.value ?? null);
    }
    await writer.run(`DELETE FROM ${table} WHERE ${conditions.join(' AND ')}`, params as never[]);
  }
  if (inserts.length === 0) return;
  // An appender writes rows straight into the table's columns: a 100-row INSERT … VALUES with
  // a parameter per cell cost DuckDB ~50 ms to plan, the appender ~2 ms.
  const columns = await columnOrder(writer, state);
  state.appender ??= { appender: await writer.createAppender(state.physicalName), rows: 0 };
  const { appender } = state.appender;
  // Every value was validated against its column's type, so appending cannot fail on data.
  for (const record of inserts) {
    const cells = new Map<string, ParsedValue | string | null>();
    for (const dimension of record.dimensions)
      cells.set(physicalColumn(state, dimension.name), dimension.value);
    if (record.value !== undefined) cells.set(MEASURE_VALUE_COLUMN[record.value.type], record.value);
    for (const measure of record.measures) cells.set(physicalColumn(state, measure.name), measure.value);
    for (const column of columns) {
      if (column === 'measure_name') appender.appendVarchar(record.measureName);
      else if (column === 'time')
        appender.appendTimestampNanoseconds(new DuckDBTimestampNanosecondsValue(record.timeNs));
      else if (column === '__version') appender.appendBigInt(BigInt(record.version));
      else appendCell(appender, cells.get(column) ?? null);
    }
    appender.endRow();
  }
  state.appender.rows += inserts.length;
};

/**
 * Adds new columns, removes overwritten rows and inserts the accepted ones, on the writer
 * connection. Returns true when rows stay in an open appender for a flush soon after.
 */
export const storeRows = async (
  writer: DuckDBConnection,
  state: TableState,
  rows: { readonly deletes: readonly ValidRecord[]; readonly inserts: readonly ValidRecord[] },
  durable: boolean,
): Promise<boolean> => {
  const { deletes, inserts } = rows;
  await addColumns(writer, state);
  if (deletes.length === 0 && inserts.length === 0) return false;
  // With a data dir a call is answered only once its rows are committed (in DuckDB's WAL), so
  // an acknowledged write survives a kill, as it does on the service; and the DELETEs of the
  // rows it overwrites commit in one transaction with the new rows (the appender's flush joins
  // it), so a kill or a failure between the two cannot lose an overwritten record's
  // acknowledged value: it is replaced or kept, and a failed call is rolled back whole, so its
  // retry finds the table as it was. A call without overwrites needs no transaction: the flush
  // is one commit. In memory nothing survives a kill anyway, and the appender stays open across
  // calls, as each flush costs ~3 ms. The ALTER TABLEs above commit on their own either way (a
  // column no row uses yet is harmless).
  const transaction = durable && deletes.length > 0;
  // DELETE needs earlier calls' appended rows flushed (with a data dir there are none).
  if (deletes.length > 0) closeAppender(state);
  if (transaction) await writer.run('BEGIN TRANSACTION');
  try {
    await deleteAndAppend(writer, state, deletes, inserts);
    if (durable) closeAppender(state);
    if (transaction) await writer.run('COMMIT');
  } catch (error) {
    // Nothing of the call may stay: its appended rows (with a data dir the appender holds no
    // others) are dropped, not flushed with the next call's, and its DELETEs rolled back.
    if (durable) {
      const open = state.appender;
      state.appender = undefined;
      try {
        open?.appender.clear();
        open?.appender.closeSync();
      } catch {
        // The appender is being thrown away; the rollback is what matters.
      }
      if (transaction) await writer.run('ROLLBACK').catch(() => undefined);
    }
    throw error;
  }
  if (durable || state.appender === undefined) return false;
  if (state.appender.rows < APPENDER_FLUSH_ROWS) return true;
  closeAppender(state);
  return false;
};

/** Values read back from DuckDB, normalised to what the write path produced (for signatures). */
const storedValue = (value: unknown, type: ScalarType): string | number | bigint | boolean => {
  if (type === 'TIMESTAMP' && typeof value === 'object' && value !== null && 'nanos' in value)
    return (value as { nanos: bigint }).nanos;
  return value as string | number | bigint | boolean;
};

/** Rebuilds a loaded table's identity index and column set from its rows. */
export const rebuildIdentities = async (connection: DuckDBConnection, state: TableState): Promise<void> => {
  const result = await connection.runAndReadAll(
    `SELECT *, epoch_ns(time) AS "__time_ns" FROM ${quoteIdentifier(state.physicalName)}`,
  );
  for (const name of result.columnNames()) state.physicalColumns.add(name);
  for (const row of result.getRowObjects()) {
    const cell = (name: string): unknown => row[physicalColumn(state, name)];
    const dimensions = state.dimensions
      .filter((name) => cell(name) !== null && cell(name) !== undefined)
      .map((name) => ({ name, value: String(cell(name)) }));
    const single = MEASURE_VALUE_COLUMNS.find((c) => row[c] !== null && row[c] !== undefined);
    const measures = [...state.multiMeasureColumns]
      .filter(([name]) => cell(name) !== null && cell(name) !== undefined)
      .map(([name, type]) => ({ name, value: { type, value: storedValue(cell(name), type), bytes: 0 } }));
    const type = single === undefined ? 'MULTI' : MEASURE_VALUE_TYPE[single];
    const record: ValidRecord = {
      dimensions,
      measureName: String(row.measure_name),
      type,
      value:
        single === undefined
          ? undefined
          : { type: type as ScalarType, value: storedValue(row[single], type as ScalarType), bytes: 0 },
      measures,
      timeNs: row.__time_ns as bigint,
      version: Number(row.__version),
      bytes: 0,
    };
    state.identities.set(identityOf(record), { version: record.version, value: valueSignature(record) });
  }
};
