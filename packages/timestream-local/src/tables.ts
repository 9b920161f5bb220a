/**
 * A table's state as the emulator keeps it: its schema (dimensions, measures, value columns), the
 * identity index that decides duplicates and versions, and the map from Timestream's
 * case-sensitive names to DuckDB's case-insensitive columns.
 */
import type { DuckDBAppender, DuckDBType } from '@duckdb/node-api';
import type { IdentityIndex } from './identities.js';
import {
  MEASURE_VALUE_COLUMNS,
  type MeasureValueColumn,
  type ScalarType,
  type TableSchema,
} from './schema.js';
import type { ChunkWriter } from './storage.js';

export interface RetentionProperties {
  readonly MemoryStoreRetentionPeriodInHours: number;
  readonly MagneticStoreRetentionPeriodInDays: number;
}

export interface MagneticStoreWriteProperties {
  readonly EnableMagneticStoreWrites: boolean;
  readonly MagneticStoreRejectedDataLocation?: unknown;
}

export interface DatabaseState {
  readonly name: string;
  readonly arn: string;
  readonly creationTime: number;
  lastUpdatedTime: number;
  kmsKeyId: string;
}

export interface TableState {
  readonly database: string;
  readonly name: string;
  readonly arn: string;
  readonly physicalName: string;
  readonly creationTime: number;
  lastUpdatedTime: number;
  retention: RetentionProperties;
  magneticWrites: MagneticStoreWriteProperties;
  readonly dimensions: string[];
  readonly measureValueColumns: Set<MeasureValueColumn>;
  readonly multiMeasureColumns: Map<string, ScalarType>;
  /** measure_name → its type and the dimensions written with it (SHOW MEASURES). */
  readonly measures: Map<string, { type: string; dimensions: Set<string> }>;
  readonly identities: IdentityIndex;
  /** Dimension and multi-measure columns the DuckDB table has, so writes add only what is missing. */
  readonly physicalColumns: Set<string>;
  /** Each dimension and multi-measure name's DuckDB column (see `allocateColumn`). */
  readonly columnOf: Map<string, string>;
  /** `dimensions` as a set, rebuilt when it has grown (see `hasDimension`). */
  dimensionSet?: ReadonlySet<string> | undefined;
  /** The physical table's columns in order, read when first needed and after each ALTER TABLE. */
  layout?: ColumnLayout | undefined;
  /**
   * Rows appended but not yet flushed to the table (see `closeAppender`): in the appender, or in
   * the data chunk being filled for it.
   */
  appender?: { readonly appender: DuckDBAppender; readonly chunk: ChunkWriter; rows: number } | undefined;
  /** The chunk of the last closed appender, for the next one (see `closeAppender`). */
  spareChunk?: ChunkWriter | undefined;
  storedBytes: number;
}

/** A DuckDB table's columns in order (an appender's), their types, and each name's position. */
export interface ColumnLayout {
  readonly names: readonly string[];
  readonly types: readonly DuckDBType[];
  readonly position: ReadonlyMap<string, number>;
}

export const tableKey = (database: string, table: string): string => `${database}\0${table}`;

/** Columns every table has (and the alias `rebuildIdentities` reads time under). */
export const FIXED_COLUMNS: readonly string[] = [
  'measure_name',
  'time',
  '__version',
  '__time_ns',
  ...MEASURE_VALUE_COLUMNS,
];

/**
 * Gives a new dimension or multi-measure name its DuckDB column. Timestream names are
 * case-sensitive, DuckDB's identifiers are not (`"goos"` and `"GOOS"` are one column), so a
 * name is stored under itself unless a column equal to it but for case exists; then under the
 * name with the first free `#n` suffix (`GOOS#2`). Queries see only the names as written.
 */
export const allocateColumn = (state: TableState, name: string): void => {
  if (state.columnOf.has(name)) return;
  // JavaScript folds more than DuckDB (which folds ASCII only): the worst case is a needless suffix.
  const taken = new Set([...FIXED_COLUMNS, ...state.columnOf.values()].map((c) => c.toLowerCase()));
  let column = name;
  for (let n = 2; taken.has(column.toLowerCase()); n++) column = `${name}#${n}`;
  state.columnOf.set(name, column);
};

/**
 * Whether the table has this dimension. Asked several times for every record written, of a list
 * that reaches a hundred names with Prometheus label sets; `dimensions` only grows, so a set of
 * the same size holds the same names.
 */
export const hasDimension = (state: TableState, name: string): boolean => {
  if (state.dimensionSet?.size !== state.dimensions.length) state.dimensionSet = new Set(state.dimensions);
  return state.dimensionSet.has(name);
};

/** The DuckDB column holding a dimension or multi-measure name's values. */
export const physicalColumn = (state: TableState, name: string): string => state.columnOf.get(name) ?? name;

export const schemaOf = (state: TableState): TableSchema => ({
  database: state.database,
  table: state.name,
  physicalName: state.physicalName,
  dimensions: [...state.dimensions],
  measureValueColumns: MEASURE_VALUE_COLUMNS.filter((c) => state.measureValueColumns.has(c)),
  multiMeasureColumns: [...state.multiMeasureColumns].map(([name, type]) => ({ name, type })),
  physicalColumns: new Map(state.columnOf),
});
