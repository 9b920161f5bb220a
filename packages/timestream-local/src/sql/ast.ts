import type { IntervalUnit, Position } from './tokens.js';

/** The syntax tree of the supported Timestream dialect. `pos` is where each node starts. */

export interface Identifier {
  /** The name, unescaped; case is kept (Timestream names are case-sensitive). */
  readonly value: string;
  readonly pos: Position;
}

/** The types `CAST` accepts, by their Timestream names. */
export type CastTarget = 'varchar' | 'bigint' | 'integer' | 'double' | 'boolean' | 'timestamp';

export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%';
export type ComparisonOperator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Expr =
  /** `col`, `alias.col` or `db.table.col`. */
  | { readonly kind: 'column'; readonly pos: Position; readonly parts: readonly Identifier[] }
  | { readonly kind: 'string'; readonly pos: Position; readonly value: string }
  | { readonly kind: 'integer'; readonly pos: Position; readonly value: bigint }
  | { readonly kind: 'double'; readonly pos: Position; readonly value: number }
  | { readonly kind: 'boolean'; readonly pos: Position; readonly value: boolean }
  | { readonly kind: 'null'; readonly pos: Position }
  /** `15m`, or the standard `INTERVAL '15' MINUTE`, normalised to a count of a unit. */
  | {
      readonly kind: 'interval';
      readonly pos: Position;
      readonly text: string;
      readonly amount: bigint;
      readonly unit: IntervalUnit;
    }
  /** `TIMESTAMP '2021-01-01 00:00:00'`. */
  | { readonly kind: 'timestamp'; readonly pos: Position; readonly value: string }
  | { readonly kind: 'negate'; readonly pos: Position; readonly operand: Expr }
  | {
      readonly kind: 'arithmetic';
      readonly pos: Position;
      readonly opPos: Position;
      readonly op: ArithmeticOperator;
      readonly left: Expr;
      readonly right: Expr;
    }
  | {
      readonly kind: 'concat';
      readonly pos: Position;
      readonly opPos: Position;
      readonly left: Expr;
      readonly right: Expr;
    }
  | {
      readonly kind: 'comparison';
      readonly pos: Position;
      readonly opPos: Position;
      readonly op: ComparisonOperator;
      /** How the query wrote the operator (`!=` or `<>`), for error messages. */
      readonly written: string;
      readonly left: Expr;
      readonly right: Expr;
    }
  | {
      readonly kind: 'distinct-from';
      readonly pos: Position;
      readonly opPos: Position;
      readonly negated: boolean;
      readonly left: Expr;
      readonly right: Expr;
    }
  | {
      readonly kind: 'logical';
      readonly pos: Position;
      readonly op: 'AND' | 'OR';
      readonly left: Expr;
      readonly right: Expr;
    }
  | { readonly kind: 'not'; readonly pos: Position; readonly operand: Expr }
  | { readonly kind: 'is-null'; readonly pos: Position; readonly negated: boolean; readonly operand: Expr }
  | {
      readonly kind: 'between';
      readonly pos: Position;
      readonly negated: boolean;
      readonly operand: Expr;
      readonly low: Expr;
      readonly high: Expr;
    }
  | {
      readonly kind: 'in';
      readonly pos: Position;
      readonly negated: boolean;
      readonly operand: Expr;
      readonly list: readonly Expr[];
    }
  | {
      readonly kind: 'like';
      readonly pos: Position;
      readonly negated: boolean;
      readonly operand: Expr;
      readonly pattern: Expr;
    }
  | {
      readonly kind: 'case';
      readonly pos: Position;
      /** The `x` of a simple `CASE x WHEN ...`; undefined for a searched CASE. */
      readonly operand: Expr | undefined;
      readonly whens: readonly { readonly when: Expr; readonly result: Expr }[];
      readonly otherwise: Expr | undefined;
    }
  | {
      readonly kind: 'cast';
      readonly pos: Position;
      readonly safe: boolean;
      readonly operand: Expr;
      readonly target: CastTarget;
    }
  | {
      readonly kind: 'call';
      readonly pos: Position;
      /** Lower-cased: function names are case-insensitive. */
      readonly name: string;
      readonly args: readonly Expr[];
      readonly distinct: boolean;
      /** `count(*)`. */
      readonly star: boolean;
    };

export type SelectItem =
  /** `*` (no qualifier) or `t.*`. */
  | { readonly kind: 'star'; readonly pos: Position; readonly qualifier: readonly Identifier[] }
  | { readonly kind: 'expr'; readonly expr: Expr; readonly alias: Identifier | undefined };

export interface TableName {
  readonly pos: Position;
  readonly database: Identifier;
  readonly table: Identifier;
}

export interface OrderItem {
  readonly expr: Expr;
  readonly descending: boolean;
  /** Undefined when the query did not say; Trino's default is NULLS LAST both ways. */
  readonly nullsFirst: boolean | undefined;
}

export interface SelectQuery {
  readonly kind: 'select';
  readonly distinct: boolean;
  readonly items: readonly SelectItem[];
  readonly from: { readonly name: TableName; readonly alias: Identifier | undefined } | undefined;
  readonly where: Expr | undefined;
  readonly groupBy: readonly Expr[];
  readonly having: Expr | undefined;
  readonly orderBy: readonly OrderItem[];
  readonly limit: bigint | undefined;
}

export type ParsedStatement =
  | SelectQuery
  | { readonly kind: 'describe'; readonly table: TableName }
  | { readonly kind: 'show-measures'; readonly table: TableName; readonly like: string | undefined };
