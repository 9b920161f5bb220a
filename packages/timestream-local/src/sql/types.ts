import type { ScalarType } from '../schema.js';
import type { Position } from './tokens.js';

/**
 * The types a translated expression can have, by their Trino names. `unknown` is the type of a bare
 * NULL, which coerces to anything. Intervals exist only as literals (see `Typed.intervalNs`).
 */
export type SqlType =
  | 'varchar'
  | 'bigint'
  | 'integer'
  | 'double'
  | 'boolean'
  | 'timestamp'
  | 'interval'
  | 'unknown';

/** A translated expression: the DuckDB SQL for it, its type, and what the clause checks need. */
export interface Typed {
  readonly sql: string;
  readonly type: SqlType;
  readonly pos: Position;
  /**
   * `column`: a column reference; `aggregate`: an aggregate call; `output`: a select-list item
   * inlined by an ORDER BY alias (already checked); `value`: anything else.
   */
  readonly role: 'column' | 'aggregate' | 'output' | 'value';
  /** The column name, for `column`; empty otherwise. */
  readonly name: string;
  readonly children: readonly Typed[];
  /** True when the value depends on no row: no column and no aggregate below it. */
  readonly constant: boolean;
  /** True when an aggregate call appears in it. */
  readonly aggregate: boolean;
  /** The length of an interval, in nanoseconds (every interval is a literal). */
  readonly intervalNs: bigint | undefined;
}

/** DuckDB's name for each type; TIMESTAMP is nanosecond-precise, as in Timestream. */
export const DUCKDB_TYPE_NAMES: Readonly<Record<SqlType, string>> = {
  varchar: 'VARCHAR',
  bigint: 'BIGINT',
  integer: 'INTEGER',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP_NS',
  interval: 'INTERVAL',
  unknown: 'INTEGER',
};

const SCALAR_TYPES: Readonly<Record<ScalarType, SqlType>> = {
  VARCHAR: 'varchar',
  BIGINT: 'bigint',
  DOUBLE: 'double',
  BOOLEAN: 'boolean',
  TIMESTAMP: 'timestamp',
};

export const fromScalarType = (type: ScalarType): SqlType => SCALAR_TYPES[type];

/** The type as Trino spells it in messages. */
export const typeName = (type: SqlType): string => (type === 'interval' ? 'interval day to second' : type);

const NUMERIC_RANK: Readonly<Partial<Record<SqlType, number>>> = { integer: 1, bigint: 2, double: 3 };

export const isNumeric = (type: SqlType): boolean => NUMERIC_RANK[type] !== undefined;

/** Trino's implicit coercions among the supported types: integer → bigint → double, NULL → anything. */
export const canCoerce = (from: SqlType, to: SqlType): boolean => {
  if (from === to || from === 'unknown') return true;
  const a = NUMERIC_RANK[from];
  const b = NUMERIC_RANK[to];
  return a !== undefined && b !== undefined && a < b;
};

/** The type every one of `types` coerces to, or undefined when there is none. */
export const commonType = (types: readonly SqlType[]): SqlType | undefined => {
  let result: SqlType = 'unknown';
  for (const type of types) {
    if (canCoerce(type, result)) continue;
    if (canCoerce(result, type)) result = type;
    else return undefined;
  }
  return result;
};

export const isBooleanish = (type: SqlType): boolean => type === 'boolean' || type === 'unknown';
export const isVarcharish = (type: SqlType): boolean => type === 'varchar' || type === 'unknown';

/** The distinct type names of `types`, for messages listing the types that did not match. */
export const typeList = (types: readonly SqlType[]): string => [...new Set(types.map(typeName))].join(', ');
