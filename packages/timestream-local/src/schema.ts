/** What the query layer knows about a table's columns, as Timestream exposes them. */

export type ScalarType = 'VARCHAR' | 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP';

/** The measure-value columns of single-measure records, in Timestream's `SELECT *` order. */
export const MEASURE_VALUE_COLUMNS = [
  'measure_value::double',
  'measure_value::bigint',
  'measure_value::varchar',
  'measure_value::boolean',
  'measure_value::timestamp',
] as const;
export type MeasureValueColumn = (typeof MEASURE_VALUE_COLUMNS)[number];

/** The value type each measure-value column holds. */
export const MEASURE_VALUE_TYPE: Readonly<Record<MeasureValueColumn, ScalarType>> = {
  'measure_value::double': 'DOUBLE',
  'measure_value::bigint': 'BIGINT',
  'measure_value::varchar': 'VARCHAR',
  'measure_value::boolean': 'BOOLEAN',
  'measure_value::timestamp': 'TIMESTAMP',
};

/** The measure-value column of each value type (the inverse of MEASURE_VALUE_TYPE). */
export const MEASURE_VALUE_COLUMN = Object.fromEntries(
  MEASURE_VALUE_COLUMNS.map((column) => [MEASURE_VALUE_TYPE[column], column]),
) as Readonly<Record<ScalarType, MeasureValueColumn>>;

export interface TableSchema {
  readonly database: string;
  readonly table: string;
  /** The DuckDB table holding the rows (quote it as an identifier). */
  readonly physicalName: string;
  /** Dimension names, VARCHAR columns, in the order they were first written. */
  readonly dimensions: readonly string[];
  /** Single-measure value columns that hold data, in MEASURE_VALUE_COLUMNS order. */
  readonly measureValueColumns: readonly MeasureValueColumn[];
  /** Columns of multi-measure records (`MeasureValues[].Name`), in first-written order. */
  readonly multiMeasureColumns: readonly { readonly name: string; readonly type: ScalarType }[];
  /**
   * The DuckDB column of each dimension and multi-measure name; a name missing here is stored
   * under its own name. Timestream names are case-sensitive (`goos` beside `GOOS`) but DuckDB's
   * identifiers are not, so a name whose case variant came first is stored under another name.
   */
  readonly physicalColumns?: ReadonlyMap<string, string>;
}

/**
 * The physical layout every emulated table has in DuckDB: one VARCHAR column per dimension,
 * `measure_name` VARCHAR, `time` TIMESTAMP_NS, the five `measure_value::<type>` columns
 * (DOUBLE, BIGINT, VARCHAR, BOOLEAN, TIMESTAMP_NS), and one column per multi-measure name typed
 * as written (TIMESTAMP as TIMESTAMP_NS). Columns exist physically before they hold data; only
 * the ones in `TableSchema` are visible to queries.
 */
export const DUCKDB_TYPES: Readonly<Record<ScalarType, string>> = {
  VARCHAR: 'VARCHAR',
  BIGINT: 'BIGINT',
  DOUBLE: 'DOUBLE',
  BOOLEAN: 'BOOLEAN',
  TIMESTAMP: 'TIMESTAMP_NS',
};

export interface Catalog {
  /** The table's schema, or why it cannot be found. */
  readonly lookup: (database: string, table: string) => TableSchema | 'no-database' | 'no-table';
}
