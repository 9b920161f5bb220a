/**
 * A table's rows in DuckDB: adding columns, overwriting and appending rows (committed before the
 * call is answered when the store has a data dir), and reading the identity index back from the
 * rows at start. The decisions of what to store are ingest.ts's; this only stores them.
 */
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBTimestampNanosecondsValue,
  type DuckDBValue,
  type DuckDBVector,
} from '@duckdb/node-api';
import { indexStoredRecord } from './ingest.js';
import type { ParsedValue, ValidRecord } from './records.js';
import {
  DUCKDB_TYPES,
  MEASURE_VALUE_COLUMN,
  MEASURE_VALUE_COLUMNS,
  MEASURE_VALUE_TYPE,
  type ScalarType,
} from './schema.js';
import { quoteIdentifier } from './sql/format.js';
import { type ColumnLayout, physicalColumn, type TableState } from './tables.js';

/**
 * Rows an open appender may hold before it flushes. Flushing commits to DuckDB, ~3 ms however
 * few the rows, which made the emulator's CPU, not the client's, the bound of every write
 * benchmark; in memory one appender per table stays open across calls and is flushed before
 * anything reads or changes the table, at this many rows, or shortly after the last write. With a
 * data dir every call flushes its own rows before it is answered (see `storeRows`).
 */
const APPENDER_FLUSH_ROWS = 20_000;
export const APPENDER_FLUSH_DELAY_MS = 250;
/** Rows of a data chunk: DuckDB's vector size. */
const CHUNK_ROWS = 256;

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

/** A stored cell as its vector takes it: a measure value converted for its column, or a dimension's text. */
const vectorValue = (cell: ParsedValue): DuckDBValue => {
  switch (cell.type) {
    case 'BIGINT':
      return BigInt(cell.value as bigint | number | string);
    case 'TIMESTAMP':
      return new DuckDBTimestampNanosecondsValue(BigInt(cell.value as bigint | number | string));
    case 'DOUBLE':
      return Number(cell.value);
    case 'BOOLEAN':
      return Boolean(cell.value);
    case 'VARCHAR':
      return String(cell.value);
  }
};

/**
 * Rows are written into a data chunk column by column and the chunk is handed to the appender
 * whole (`appendDataChunk`) when it is full or the appender closes. Appending cell by cell cost a
 * native call per cell, and a table of Prometheus label sets has a VARCHAR column per label name,
 * so each row was ~50 `appendNull` calls for its ~5 values: most of the emulator's ingest CPU. A
 * chunk's vectors are plain memory written from JavaScript, and the same chunk is refilled after
 * each append, so a row's cell is written only where it holds a value now or held one before:
 * a column that stays NULL is neither written nor copied to DuckDB again.
 */
export interface ChunkWriter {
  /** The table layout the chunk's columns follow. */
  readonly layout: ColumnLayout;
  readonly chunk: DuckDBDataChunk;
  readonly vectors: readonly DuckDBVector[];
  /** Per row of the chunk, the columns its last write gave a value (the others hold NULL). */
  readonly valueColumns: number[][];
  /** Per column, the number of the last row write that gave it a value (see `writeRow`). */
  readonly writtenBy: Int32Array;
  /** Per column, 1 when its vector has changed since it was last copied to DuckDB. */
  readonly changed: Uint8Array;
  /** Rows of the chunk filled since it was last appended. */
  rows: number;
  /** Rows of the chunk ever written: in the others every cell is still to be written. */
  filled: number;
  /** Row writes so far, numbering them for `writtenBy` (and bounding the chunk's string heap). */
  writes: number;
}

/**
 * Row writes after which a chunk is not reused: each string longer than 12 bytes written into a
 * vector stays in the chunk's string heap until the chunk is dropped.
 */
const CHUNK_REUSE_WRITES = 20_000;

const newChunkWriter = (layout: ColumnLayout): ChunkWriter => {
  const chunk = DuckDBDataChunk.create([...layout.types], CHUNK_ROWS);
  return {
    layout,
    chunk,
    vectors: layout.types.map((_, column) => chunk.getColumnVector(column)),
    valueColumns: [],
    writtenBy: new Int32Array(layout.types.length),
    changed: new Uint8Array(layout.types.length),
    rows: 0,
    filled: 0,
    writes: 0,
  };
};

/** Hands the chunk's filled rows to the appender; only with `last` may it be partly filled. */
const appendChunk = (appender: DuckDBAppender, writer: ChunkWriter, last: boolean): void => {
  if (writer.rows === 0) return;
  for (const [column, vector] of writer.vectors.entries()) {
    if (writer.changed[column] === 1) vector.flush();
  }
  writer.changed.fill(0);
  // Only an appender's last chunk is cut short: its rows must be all the appender receives.
  if (writer.rows < CHUNK_ROWS) {
    if (!last) throw new Error('a partial chunk is appended only when the appender closes');
    writer.chunk.rowCount = writer.rows;
  }
  appender.appendDataChunk(writer.chunk);
  // Our vector objects stay valid (the vectors are the chunk's); the next rows fill it whole again.
  if (writer.rows < CHUNK_ROWS) writer.chunk.rowCount = CHUNK_ROWS;
  writer.rows = 0;
};

/** Flushes the table's appended rows into it and closes its appender. */
export const closeAppender = (state: TableState): void => {
  const open = state.appender;
  if (open === undefined) return;
  state.appender = undefined;
  appendChunk(open.appender, open.chunk, true);
  open.appender.closeSync();
  // With a data dir every call closes its appender; a fresh chunk would write every cell of each
  // row again, so the chunk serves the next appender while the table's columns are the same.
  if (open.chunk.writes < CHUNK_REUSE_WRITES) state.spareChunk = open.chunk;
};

/** The table's columns in DuckDB's order (an appender's), their types and each one's position. */
const columnLayout = async (writer: DuckDBConnection, state: TableState): Promise<ColumnLayout> => {
  if (state.layout === undefined) {
    const result = await writer.runAndReadAll(`SELECT * FROM ${quoteIdentifier(state.physicalName)} LIMIT 0`);
    const names = result.columnNames();
    state.layout = {
      names,
      types: result.columnTypes(),
      position: new Map(names.map((name, column) => [name, column])),
    };
  }
  return state.layout;
};

/** Writes one record as the next row of the chunk: its cells, and NULL in every other column. */
const writeRow = (
  writer: ChunkWriter,
  layout: ColumnLayout,
  state: TableState,
  record: ValidRecord,
): void => {
  const row = writer.rows;
  const write = ++writer.writes;
  const { vectors, writtenBy, changed } = writer;
  const withValue: number[] = [];
  const put = (column: number | undefined, value: DuckDBValue): void => {
    if (column === undefined) throw new Error('a stored cell has no column');
    (vectors[column] as DuckDBVector).setItem(row, value);
    writtenBy[column] = write;
    changed[column] = 1;
    withValue.push(column);
  };
  const { position } = layout;
  put(position.get('measure_name'), record.measureName);
  put(position.get('time'), new DuckDBTimestampNanosecondsValue(record.timeNs));
  put(position.get('__version'), BigInt(record.version));
  for (const dimension of record.dimensions)
    put(position.get(physicalColumn(state, dimension.name)), dimension.value);
  if (record.value !== undefined)
    put(position.get(MEASURE_VALUE_COLUMN[record.value.type]), vectorValue(record.value));
  for (const measure of record.measures)
    put(position.get(physicalColumn(state, measure.name)), vectorValue(measure.value));
  const setNull = (column: number): void => {
    if (writtenBy[column] === write) return;
    (vectors[column] as DuckDBVector).setItem(row, null);
    changed[column] = 1;
  };
  if (row < writer.filled) for (const column of writer.valueColumns[row] as number[]) setNull(column);
  else {
    for (let column = 0; column < vectors.length; column++) setNull(column);
    writer.filled = row + 1;
  }
  writer.valueColumns[row] = withValue;
  writer.rows++;
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
    state.layout = undefined;
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
  const layout = await columnLayout(writer, state);
  state.appender ??= {
    appender: await writer.createAppender(state.physicalName),
    chunk: state.spareChunk?.layout === layout ? state.spareChunk : newChunkWriter(layout),
    rows: 0,
  };
  state.spareChunk = undefined;
  const { appender, chunk } = state.appender;
  // Every value was validated against its column's type, so appending cannot fail on data.
  for (const record of inserts) {
    writeRow(chunk, layout, state, record);
    if (chunk.rows === CHUNK_ROWS) appendChunk(appender, chunk, false);
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
    indexStoredRecord(state, record);
  }
};
