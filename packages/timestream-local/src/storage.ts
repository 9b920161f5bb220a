/**
 * A table's rows in DuckDB: adding columns, overwriting and appending rows (committed before the
 * call is answered when the store has a data dir), and reading the identity index back from the
 * rows at start. The decisions of what to store are ingest.ts's; this only stores them.
 */
import { type DuckDBAppender, type DuckDBConnection, DuckDBDataChunk, DuckDBTypeId } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import { indexStoredRecord } from './ingest.js';
import type { ValidRecord } from './records.js';
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

/**
 * Rows are written into a data chunk column by column and the chunk is handed to the appender
 * whole (`appendDataChunk`) when it is full or the appender closes. Appending cell by cell cost a
 * native call per cell, and a table of Prometheus label sets has a VARCHAR column per label name,
 * so each row was ~50 `appendNull` calls for its ~5 values: most of the emulator's ingest CPU. The
 * same chunk is refilled after each append, so a row's cell is written only where it holds a
 * value now or held one before: a column that stays NULL is neither written nor copied to DuckDB
 * again.
 *
 * The chunk is written through DuckDB's C API (`@duckdb/node-bindings`), not node-api's vector
 * classes: those keep each validity bit in a BigUint64Array and set it with BigInt arithmetic,
 * several BigInts allocated per cell, ~40 cells a row with the NULLs of the row before, which
 * with the per-cell bookkeeping around them was a fifth of the emulator's CPU per WriteRecords
 * call and much of its garbage. Here a column's validity is a plain byte array, its fixed-width
 * values a typed array, both copied into the vector when it is appended; strings go straight
 * into the vector, as node-api's flush put them.
 */
export interface ChunkWriter {
  /** The table layout the chunk's columns follow. */
  readonly layout: ColumnLayout;
  readonly chunk: DuckDBDataChunk;
  readonly columns: readonly ChunkColumn[];
  /** Per row of the chunk, the columns its last write gave a value (the others hold NULL). */
  readonly valueColumns: number[][];
  /** Per column, 1 when it has changed since it was last copied to DuckDB. */
  readonly changed: Uint8Array;
  /** Rows of the chunk filled since it was last appended. */
  rows: number;
  /** Row writes so far (bounding the chunk's string heap). */
  writes: number;
}

/** One column of a chunk: its vector, its validity bits (1 = a value), its fixed-width values. */
interface ChunkColumn {
  readonly vector: duckdb.Vector;
  readonly validity: Uint8Array;
  readonly write: (column: ChunkColumn, row: number, cell: CellValue) => void;
  /** The values of a DOUBLE, BIGINT, TIMESTAMP_NS or BOOLEAN column; undefined for VARCHAR. */
  readonly values: Float64Array | BigInt64Array | Uint8Array | undefined;
}

type CellValue = string | number | bigint | boolean;

/** As node-api's vectors refuse it: a bigint that does not fit the column is an error, not wrapped. */
const int64 = (value: bigint): bigint => {
  if (BigInt.asIntN(64, value) !== value) throw new Error('bigint out of int64 range');
  return value;
};

/** How a cell is written into a column of each type, converted as node-api's `setItem` took it. */
const CELL_WRITERS: Partial<Record<DuckDBTypeId, ChunkColumn['write']>> = {
  [DuckDBTypeId.VARCHAR]: (column, row, cell) =>
    duckdb.vector_assign_string_element(column.vector, row, String(cell)),
  [DuckDBTypeId.DOUBLE]: (column, row, cell) => {
    (column.values as Float64Array)[row] = Number(cell);
  },
  [DuckDBTypeId.BIGINT]: (column, row, cell) => {
    (column.values as BigInt64Array)[row] = int64(BigInt(cell));
  },
  [DuckDBTypeId.TIMESTAMP_NS]: (column, row, cell) => {
    (column.values as BigInt64Array)[row] = int64(BigInt(cell));
  },
  [DuckDBTypeId.BOOLEAN]: (column, row, cell) => {
    (column.values as Uint8Array)[row] = cell ? 1 : 0;
  },
};

const columnValues = (typeId: DuckDBTypeId): ChunkColumn['values'] => {
  switch (typeId) {
    case DuckDBTypeId.DOUBLE:
      return new Float64Array(CHUNK_ROWS);
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.TIMESTAMP_NS:
      return new BigInt64Array(CHUNK_ROWS);
    case DuckDBTypeId.BOOLEAN:
      return new Uint8Array(CHUNK_ROWS);
    default:
      return undefined;
  }
};

/**
 * Row writes after which a chunk is not reused: each string longer than 12 bytes written into a
 * vector stays in the chunk's string heap until the chunk is dropped.
 */
const CHUNK_REUSE_WRITES = 20_000;

const newChunkWriter = (layout: ColumnLayout): ChunkWriter => {
  const chunk = DuckDBDataChunk.create([...layout.types], CHUNK_ROWS);
  const columns = layout.types.map((type, index): ChunkColumn => {
    const write = CELL_WRITERS[type.typeId];
    if (write === undefined) throw new Error(`no chunk writer for column type ${type.toString()}`);
    return {
      vector: duckdb.data_chunk_get_vector(chunk.chunk, index),
      // Every cell starts NULL, and every column is copied at the first append.
      validity: new Uint8Array(CHUNK_ROWS / 8),
      write,
      values: columnValues(type.typeId),
    };
  });
  return {
    layout,
    chunk,
    columns,
    valueColumns: [],
    changed: new Uint8Array(columns.length).fill(1),
    rows: 0,
    writes: 0,
  };
};

/** Copies the columns changed since the last append into their vectors. */
const copyChangedColumns = (writer: ChunkWriter): void => {
  for (let index = 0; index < writer.columns.length; index++) {
    if (writer.changed[index] === 0) continue;
    const { vector, validity, values } = writer.columns[index] as ChunkColumn;
    if (values !== undefined)
      duckdb.copy_data_to_vector(
        vector,
        0,
        values.buffer as ArrayBuffer,
        values.byteOffset,
        values.byteLength,
      );
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(
      vector,
      0,
      validity.buffer as ArrayBuffer,
      validity.byteOffset,
      validity.byteLength,
    );
  }
  writer.changed.fill(0);
};

/** Hands the chunk's filled rows to the appender; only with `last` may it be partly filled. */
const appendChunk = (appender: DuckDBAppender, writer: ChunkWriter, last: boolean): void => {
  if (writer.rows === 0) return;
  copyChangedColumns(writer);
  // Only an appender's last chunk is cut short: its rows must be all the appender receives.
  if (writer.rows < CHUNK_ROWS) {
    if (!last) throw new Error('a partial chunk is appended only when the appender closes');
    writer.chunk.rowCount = writer.rows;
  }
  appender.appendDataChunk(writer.chunk);
  // The chunk's vectors stay ours; the next rows fill it whole again.
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

/** Writes one cell of the chunk's current row and notes that the row has a value there. */
const putCell = (writer: ChunkWriter, column: number | undefined, row: number, cell: CellValue): void => {
  if (column === undefined) throw new Error('a stored cell has no column');
  const target = writer.columns[column] as ChunkColumn;
  target.write(target, row, cell);
  (target.validity[row >> 3] as number) |= 1 << (row & 7);
  writer.changed[column] = 1;
  (writer.valueColumns[row] as number[]).push(column);
};

/** Writes one record as the next row of the chunk: its cells, and NULL in every other column. */
const writeRow = (
  writer: ChunkWriter,
  layout: ColumnLayout,
  state: TableState,
  record: ValidRecord,
): void => {
  const row = writer.rows;
  writer.writes++;
  // The cells the row's last write gave a value become NULL, unless written again below.
  const previous = writer.valueColumns[row];
  if (previous === undefined) writer.valueColumns[row] = [];
  else {
    const clear = ~(1 << (row & 7));
    for (const column of previous) {
      const validity = (writer.columns[column] as ChunkColumn).validity;
      (validity[row >> 3] as number) &= clear;
      writer.changed[column] = 1;
    }
    previous.length = 0;
  }
  const { position } = layout;
  putCell(writer, position.get('measure_name'), row, record.measureName);
  putCell(writer, position.get('time'), row, record.timeNs);
  putCell(writer, position.get('__version'), row, record.version);
  for (const dimension of record.dimensions)
    putCell(writer, position.get(physicalColumn(state, dimension.name)), row, dimension.value);
  if (record.value !== undefined)
    putCell(writer, position.get(MEASURE_VALUE_COLUMN[record.value.type]), row, record.value.value);
  for (const measure of record.measures)
    putCell(writer, position.get(physicalColumn(state, measure.name)), row, measure.value.value);
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
  // In time order, so that each series' points are appended to the index, not inserted among them.
  const result = await connection.runAndReadAll(
    `SELECT *, epoch_ns(time) AS "__time_ns" FROM ${quoteIdentifier(state.physicalName)} ORDER BY time`,
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
