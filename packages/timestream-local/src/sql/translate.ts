import { validationError } from '../errors.js';
import type { Catalog, MeasureValueColumn, TableSchema } from '../schema.js';
import type { CastTarget, Expr, Identifier, SelectQuery, TableName } from './ast.js';
import { doubleLiteral, quoteIdentifier, quoteString, TIMESTAMP_LITERAL } from './format.js';
import { FUNCTIONS } from './functions.js';
import { INTERVAL_UNIT_NS, type IntervalUnit, type Position, syntaxError } from './tokens.js';
import {
  commonType,
  DUCKDB_TYPE_NAMES,
  fromScalarType,
  isBooleanish,
  isNumeric,
  isVarcharish,
  type SqlType,
  type Typed,
  typeList,
  typeName,
} from './types.js';

/** The table a query reads, with the columns it shows, in `SELECT *` order. */
interface Source {
  readonly schema: TableSchema;
  /** The name columns are qualified with in the emitted SQL: the query's alias, else the table name. */
  readonly correlation: string;
  readonly alias: string | undefined;
  readonly columns: ReadonlyMap<string, SqlType>;
}

/** What an expression may refer to and contain, by clause. */
interface Scope {
  readonly source: Source | undefined;
  readonly nowNs: bigint;
  /** The clause, when aggregates are not allowed in it (WHERE, GROUP BY). */
  readonly noAggregates: string | undefined;
  /** The enclosing aggregate, inside one. */
  readonly inAggregate: string | undefined;
  /** Select-list items by output name: ORDER BY resolves names against these first, as Trino does. */
  readonly outputs: ReadonlyMap<string, readonly Typed[]> | undefined;
}

const MEASURE_VALUE_TYPES: Readonly<Record<MeasureValueColumn, SqlType>> = {
  'measure_value::double': 'double',
  'measure_value::bigint': 'bigint',
  'measure_value::varchar': 'varchar',
  'measure_value::boolean': 'boolean',
  'measure_value::timestamp': 'timestamp',
};

const INTERVAL_UNIT_SQL: Readonly<Record<Exclude<IntervalUnit, 'ns'>, string>> = {
  us: 'MICROSECOND',
  ms: 'MILLISECOND',
  s: 'SECOND',
  m: 'MINUTE',
  h: 'HOUR',
  d: 'DAY',
};

const INTEGER_MAX = 2147483647n;

/** Resolves `"db"."table"` through the catalog, failing the way Timestream does. */
export const lookupTable = (name: TableName, catalog: Catalog): TableSchema => {
  const database = name.database.value;
  const table = name.table.value;
  const found = catalog.lookup(database, table);
  if (found === 'no-database') {
    throw validationError(
      `Requested database '${database}' not found for identifier '${database}.${table}' at line ${name.pos.line}:${name.pos.column}`,
    );
  }
  if (found === 'no-table') throw syntaxError(name.pos, `Table '${database}.${table}' does not exist`);
  return found;
};

/** The visible columns in Timestream's `SELECT *` order: dimensions, measure_name, time, measures. */
const sourceOf = (schema: TableSchema, alias: Identifier | undefined): Source => {
  const columns = new Map<string, SqlType>();
  for (const dimension of schema.dimensions) columns.set(dimension, 'varchar');
  columns.set('measure_name', 'varchar');
  columns.set('time', 'timestamp');
  for (const column of schema.measureValueColumns) columns.set(column, MEASURE_VALUE_TYPES[column]);
  for (const measure of schema.multiMeasureColumns) {
    if (!columns.has(measure.name)) columns.set(measure.name, fromScalarType(measure.type));
  }
  return { schema, correlation: alias?.value ?? schema.table, alias: alias?.value, columns };
};

// ---------------------------------------------------------------------------------------------
// Typed nodes.

const leaf = (sql: string, type: SqlType, pos: Position, intervalNs?: bigint): Typed => ({
  sql,
  type,
  pos,
  role: 'value',
  name: '',
  children: [],
  constant: true,
  aggregate: false,
  intervalNs,
});

const derived = (sql: string, type: SqlType, pos: Position, children: readonly Typed[]): Typed => ({
  sql,
  type,
  pos,
  role: 'value',
  name: '',
  children,
  constant: children.every((c) => c.constant),
  aggregate: children.some((c) => c.aggregate),
  intervalNs: undefined,
});

/** A bare NULL given the type the context expects, so DuckDB never has to guess one. */
const typedSql = (t: Typed, type: SqlType): string =>
  t.type === 'unknown' && type !== 'unknown' ? `CAST(NULL AS ${DUCKDB_TYPE_NAMES[type]})` : t.sql;

const comparable = (a: SqlType, b: SqlType): boolean => commonType([a, b]) !== undefined;

// ---------------------------------------------------------------------------------------------
// Expressions.

const resolveColumn = (e: Extract<Expr, { kind: 'column' }>, scope: Scope): Typed => {
  const names = e.parts.map((p) => p.value);
  const display = names.join('.');
  const name = names[names.length - 1] as string;
  const qualifier = names.slice(0, -1);
  if (qualifier.length === 0) {
    const outputs = scope.outputs?.get(name);
    if (outputs !== undefined) {
      const [first] = outputs;
      if (first === undefined || new Set(outputs.map((o) => o.sql)).size > 1) {
        throw syntaxError(e.pos, `Column '${name}' is ambiguous`);
      }
      return { ...first, pos: e.pos, role: 'output', children: [] };
    }
  }
  const source = scope.source;
  const unresolved =
    qualifier.length === 0 ? `Column '${display}' does not exist` : `Column '${display}' cannot be resolved`;
  if (source === undefined) throw syntaxError(e.pos, unresolved);
  if (qualifier.length > 0 && !qualifierMatches(qualifier, source)) throw syntaxError(e.pos, unresolved);
  const type = source.columns.get(name);
  if (type === undefined) throw syntaxError(e.pos, unresolved);
  return {
    // Timestream names are case-sensitive, DuckDB's are not: the store says where each is kept.
    sql: `${quoteIdentifier(source.correlation)}.${quoteIdentifier(source.schema.physicalColumns?.get(name) ?? name)}`,
    type,
    pos: e.pos,
    role: 'column',
    name,
    children: [],
    constant: false,
    aggregate: false,
    intervalNs: undefined,
  };
};

/** With an alias only the alias qualifies columns (as in Trino); without one, `t` or `db.t`. */
const qualifierMatches = (qualifier: readonly string[], source: Source): boolean => {
  if (source.alias !== undefined) return qualifier.length === 1 && qualifier[0] === source.alias;
  const { database, table } = source.schema;
  if (qualifier.length === 1) return qualifier[0] === table;
  return qualifier.length === 2 && qualifier[0] === database && qualifier[1] === table;
};

const intervalLiteral = (e: Extract<Expr, { kind: 'interval' }>): Typed => {
  const ns = e.amount * INTERVAL_UNIT_NS[e.unit];
  if (e.unit !== 'ns')
    return leaf(`INTERVAL (${e.amount}) ${INTERVAL_UNIT_SQL[e.unit]}`, 'interval', e.pos, ns);
  // DuckDB intervals stop at microseconds.
  if (ns % 1000n !== 0n)
    throw syntaxError(e.pos, `interval literal '${e.text}' is not a whole number of microseconds`);
  return leaf(`INTERVAL (${ns / 1000n}) MICROSECOND`, 'interval', e.pos, ns);
};

const isIntegerType = (type: SqlType): boolean =>
  type === 'integer' || type === 'bigint' || type === 'unknown';

const arithmetic = (e: Extract<Expr, { kind: 'arithmetic' }>, scope: Scope): Typed => {
  const left = translateExpr(e.left, scope);
  const right = translateExpr(e.right, scope);
  const children = [left, right];
  const { op } = e;
  // Timestamps move by interval literals in integer nanoseconds: DuckDB's TIMESTAMP_NS ± INTERVAL
  // returns a microsecond TIMESTAMP, which would drop the last three digits.
  if ((op === '+' || op === '-') && left.type === 'timestamp' && right.intervalNs !== undefined) {
    return derived(
      `make_timestamp_ns(epoch_ns(${left.sql}) ${op} ${right.intervalNs})`,
      'timestamp',
      e.opPos,
      children,
    );
  }
  if (op === '+' && left.intervalNs !== undefined && right.type === 'timestamp') {
    return derived(
      `make_timestamp_ns(epoch_ns(${right.sql}) + ${left.intervalNs})`,
      'timestamp',
      e.opPos,
      children,
    );
  }
  const type = commonType([left.type, right.type]);
  if (type === undefined || !(isNumeric(type) || type === 'unknown')) {
    throw syntaxError(e.opPos, `Cannot apply operator: ${typeName(left.type)} ${op} ${typeName(right.type)}`);
  }
  if ((op === '/' || op === '%') && isIntegerType(left.type) && isIntegerType(right.type)) {
    // Trino divides integers with truncation (DuckDB's `//`; its `/` gives a DOUBLE) and fails on
    // a zero divisor, where DuckDB's `//` and `%` would return NULL.
    const duckOp = op === '/' ? '//' : '%';
    const divisor = e.right;
    const sql =
      divisor.kind === 'integer' && divisor.value !== 0n
        ? `(${left.sql} ${duckOp} ${right.sql})`
        : `CASE WHEN ${right.sql} = 0 THEN error('Division by zero') ELSE ${left.sql} ${duckOp} ${right.sql} END`;
    return derived(sql, type, e.opPos, children);
  }
  return derived(`(${left.sql} ${op} ${right.sql})`, type, e.opPos, children);
};

/** `a AND b AND c` as one flat list, so the SQL reads as written rather than as nested pairs. */
const logicalOperands = (e: Expr, op: 'AND' | 'OR'): Expr[] =>
  e.kind === 'logical' && e.op === op
    ? [...logicalOperands(e.left, op), ...logicalOperands(e.right, op)]
    : [e];

const CAST_TYPES: Readonly<Record<CastTarget, SqlType>> = {
  varchar: 'varchar',
  bigint: 'bigint',
  integer: 'integer',
  double: 'double',
  boolean: 'boolean',
  timestamp: 'timestamp',
};

/** Trino's casts among the supported types: varchar to and from anything, numbers and booleans among themselves. */
const castAllowed = (from: SqlType, to: SqlType): boolean => {
  if (from === 'unknown' || from === to) return true;
  if (from === 'interval') return false;
  if (from === 'varchar' || to === 'varchar') return true;
  const numberish = (t: SqlType): boolean => isNumeric(t) || t === 'boolean';
  return numberish(from) && numberish(to);
};

const cast = (e: Extract<Expr, { kind: 'cast' }>, scope: Scope): Typed => {
  const operand = translateExpr(e.operand, scope);
  const to = CAST_TYPES[e.target];
  if (!castAllowed(operand.type, to))
    throw syntaxError(e.pos, `Cannot cast ${typeName(operand.type)} to ${typeName(to)}`);
  if (to === 'timestamp' && e.operand.kind === 'string' && !TIMESTAMP_LITERAL.test(e.operand.value)) {
    throw syntaxError(e.operand.pos, `Value cannot be cast to timestamp: ${e.operand.value}`);
  }
  const castOp = e.safe ? 'TRY_CAST' : 'CAST';
  let value = operand.sql;
  // Trino rounds a DOUBLE half away from zero when casting to an integer; DuckDB rounds half to
  // even, but its round() matches Trino's.
  if (operand.type === 'double' && (to === 'bigint' || to === 'integer')) value = `round(${value})`;
  // Trino prints all nine fractional digits of a timestamp; DuckDB's cast drops trailing zeros.
  if (operand.type === 'timestamp' && to === 'varchar') {
    return derived(`strftime(${value}, '%Y-%m-%d %H:%M:%S.%n')`, to, e.pos, [operand]);
  }
  return derived(`${castOp}(${value} AS ${DUCKDB_TYPE_NAMES[to]})`, to, e.pos, [operand]);
};

const caseExpr = (e: Extract<Expr, { kind: 'case' }>, scope: Scope): Typed => {
  const operand = e.operand === undefined ? undefined : translateExpr(e.operand, scope);
  const children: Typed[] = operand === undefined ? [] : [operand];
  const whens = e.whens.map(({ when, result: resultExpr }) => {
    const condition = translateExpr(when, scope);
    if (operand === undefined && !isBooleanish(condition.type)) {
      throw syntaxError(
        when.pos,
        `CASE WHEN clause must evaluate to a boolean (actual: ${typeName(condition.type)})`,
      );
    }
    if (operand !== undefined && !comparable(operand.type, condition.type)) {
      throw syntaxError(
        when.pos,
        `'=' cannot be applied to ${typeName(operand.type)}, ${typeName(condition.type)}`,
      );
    }
    const result = translateExpr(resultExpr, scope);
    children.push(condition, result);
    return { condition, result };
  });
  const otherwise = e.otherwise === undefined ? undefined : translateExpr(e.otherwise, scope);
  if (otherwise !== undefined) children.push(otherwise);
  const results = [...whens.map((w) => w.result), ...(otherwise === undefined ? [] : [otherwise])];
  const type = commonType(results.map((r) => r.type));
  if (type === undefined) {
    throw syntaxError(
      e.pos,
      `All CASE results must be the same type: ${typeList(results.map((r) => r.type))}`,
    );
  }
  const parts = whens.map((w) => `WHEN ${w.condition.sql} THEN ${typedSql(w.result, type)}`);
  if (otherwise !== undefined) parts.push(`ELSE ${typedSql(otherwise, type)}`);
  const head = operand === undefined ? 'CASE' : `CASE ${operand.sql}`;
  return derived(`${head} ${parts.join(' ')} END`, type, e.pos, children);
};

const call = (e: Extract<Expr, { kind: 'call' }>, scope: Scope): Typed => {
  const spec = FUNCTIONS.get(e.name);
  if (spec === undefined) throw syntaxError(e.pos, `Function '${e.name}' not registered`);
  if (spec.aggregate) {
    if (scope.noAggregates !== undefined) {
      throw syntaxError(
        e.pos,
        `${scope.noAggregates} cannot contain aggregations, window functions or grouping operations: [${e.name}]`,
      );
    }
    if (scope.inAggregate !== undefined) {
      throw syntaxError(
        e.pos,
        `Cannot nest aggregations inside aggregation '${scope.inAggregate}': [${e.name}]`,
      );
    }
  } else if (e.distinct) {
    throw syntaxError(e.pos, 'DISTINCT is not supported for non-aggregation functions');
  }
  const argScope = spec.aggregate ? { ...scope, inAggregate: e.name } : scope;
  const args = e.args.map((a) => translateExpr(a, argScope));
  const resolved = spec.resolve({
    name: e.name,
    pos: e.pos,
    args,
    exprs: e.args,
    distinct: e.distinct,
    star: e.star,
    nowNs: scope.nowNs,
  });
  if (!spec.aggregate) return derived(resolved.sql, resolved.type, e.pos, args);
  return {
    ...derived(resolved.sql, resolved.type, e.pos, args),
    role: 'aggregate',
    constant: false,
    aggregate: true,
  };
};

/** Types and prints one expression, checking every name, type and function against the dialect. */
const translateExpr = (e: Expr, scope: Scope): Typed => {
  switch (e.kind) {
    case 'column':
      return resolveColumn(e, scope);
    case 'string':
      return leaf(quoteString(e.value), 'varchar', e.pos);
    case 'integer':
      // Trino and DuckDB both type an integer literal INTEGER when it fits, BIGINT otherwise.
      return leaf(e.value.toString(), e.value > INTEGER_MAX ? 'bigint' : 'integer', e.pos);
    case 'double':
      return leaf(doubleLiteral(e.value), 'double', e.pos);
    case 'boolean':
      return leaf(e.value ? 'TRUE' : 'FALSE', 'boolean', e.pos);
    case 'null':
      return leaf('NULL', 'unknown', e.pos);
    case 'interval':
      return intervalLiteral(e);
    case 'timestamp':
      if (!TIMESTAMP_LITERAL.test(e.value))
        throw syntaxError(e.pos, `'${e.value}' is not a valid timestamp literal`);
      return leaf(`TIMESTAMP_NS ${quoteString(e.value)}`, 'timestamp', e.pos);
    case 'negate': {
      const operand = translateExpr(e.operand, scope);
      if (!isNumeric(operand.type) && operand.type !== 'unknown') {
        throw syntaxError(e.pos, `Cannot negate ${typeName(operand.type)}`);
      }
      return derived(`(-${operand.sql})`, operand.type, e.pos, [operand]);
    }
    case 'arithmetic':
      return arithmetic(e, scope);
    case 'concat': {
      const left = translateExpr(e.left, scope);
      const right = translateExpr(e.right, scope);
      if (!isVarcharish(left.type) || !isVarcharish(right.type)) {
        throw syntaxError(
          e.opPos,
          `Cannot apply operator: ${typeName(left.type)} || ${typeName(right.type)}`,
        );
      }
      return derived(`(${typedSql(left, 'varchar')} || ${typedSql(right, 'varchar')})`, 'varchar', e.pos, [
        left,
        right,
      ]);
    }
    case 'comparison':
    case 'distinct-from': {
      const left = translateExpr(e.left, scope);
      const right = translateExpr(e.right, scope);
      const written = e.kind === 'comparison' ? e.written : 'IS DISTINCT FROM';
      if (!comparable(left.type, right.type)) {
        throw syntaxError(
          e.opPos,
          `'${written}' cannot be applied to ${typeName(left.type)}, ${typeName(right.type)}`,
        );
      }
      const op = e.kind === 'comparison' ? e.op : e.negated ? 'IS NOT DISTINCT FROM' : 'IS DISTINCT FROM';
      return derived(`(${left.sql} ${op} ${right.sql})`, 'boolean', e.pos, [left, right]);
    }
    case 'logical': {
      const operands = logicalOperands(e, e.op).map((operand, i) => {
        const t = translateExpr(operand, scope);
        if (!isBooleanish(t.type)) {
          const side = i === 0 ? 'Left' : 'Right';
          throw syntaxError(
            t.pos,
            `${side} side of logical expression must evaluate to a boolean (actual: ${typeName(t.type)})`,
          );
        }
        return t;
      });
      return derived(`(${operands.map((o) => o.sql).join(` ${e.op} `)})`, 'boolean', e.pos, operands);
    }
    case 'not': {
      const operand = translateExpr(e.operand, scope);
      if (!isBooleanish(operand.type)) {
        throw syntaxError(
          e.pos,
          `Value of logical NOT expression must evaluate to a boolean (actual: ${typeName(operand.type)})`,
        );
      }
      return derived(`(NOT ${operand.sql})`, 'boolean', e.pos, [operand]);
    }
    case 'is-null': {
      const operand = translateExpr(e.operand, scope);
      return derived(`(${operand.sql} IS ${e.negated ? 'NOT ' : ''}NULL)`, 'boolean', e.pos, [operand]);
    }
    case 'between': {
      const operand = translateExpr(e.operand, scope);
      const low = translateExpr(e.low, scope);
      const high = translateExpr(e.high, scope);
      if (commonType([operand.type, low.type, high.type]) === undefined) {
        throw syntaxError(
          e.pos,
          `Cannot check if ${typeName(operand.type)} is BETWEEN ${typeName(low.type)} and ${typeName(high.type)}`,
        );
      }
      const not = e.negated ? 'NOT ' : '';
      return derived(`(${operand.sql} ${not}BETWEEN ${low.sql} AND ${high.sql})`, 'boolean', e.pos, [
        operand,
        low,
        high,
      ]);
    }
    case 'in': {
      const operand = translateExpr(e.operand, scope);
      const list = e.list.map((item) => translateExpr(item, scope));
      const types = [operand.type, ...list.map((t) => t.type)];
      if (commonType(types) === undefined) {
        throw syntaxError(e.pos, `IN value and list items must be the same type: ${typeList(types)}`);
      }
      const not = e.negated ? 'NOT ' : '';
      return derived(`(${operand.sql} ${not}IN (${list.map((t) => t.sql).join(', ')}))`, 'boolean', e.pos, [
        operand,
        ...list,
      ]);
    }
    case 'like': {
      const operand = translateExpr(e.operand, scope);
      const pattern = translateExpr(e.pattern, scope);
      if (!isVarcharish(operand.type)) {
        throw syntaxError(
          e.pos,
          `Left side of LIKE expression must evaluate to a varchar (actual: ${typeName(operand.type)})`,
        );
      }
      if (!isVarcharish(pattern.type)) {
        throw syntaxError(
          pattern.pos,
          `Pattern for LIKE expression must evaluate to a varchar (actual: ${typeName(pattern.type)})`,
        );
      }
      const not = e.negated ? 'NOT ' : '';
      const sql = `(${typedSql(operand, 'varchar')} ${not}LIKE ${typedSql(pattern, 'varchar')})`;
      return derived(sql, 'boolean', e.pos, [operand, pattern]);
    }
    case 'case':
      return caseExpr(e, scope);
    case 'cast':
      return cast(e, scope);
    case 'call':
      return call(e, scope);
  }
};

// ---------------------------------------------------------------------------------------------
// SELECT.

interface Output {
  readonly name: string;
  readonly typed: Typed;
}

/** Fails on the first column outside an aggregate that is not (inside) a GROUP BY expression. */
const checkGrouped = (t: Typed, keys: ReadonlySet<string>): void => {
  if (keys.has(t.sql) || t.role === 'aggregate' || t.role === 'output' || t.constant) return;
  if (t.role === 'column') {
    throw syntaxError(t.pos, `'${t.name}' must be an aggregate expression or appear in GROUP BY clause`);
  }
  for (const child of t.children) checkGrouped(child, keys);
};

const expandStar = (
  item: Extract<SelectQuery['items'][number], { kind: 'star' }>,
  scope: Scope,
): Output[] => {
  const source = scope.source;
  if (source === undefined)
    throw syntaxError(item.pos, 'SELECT * not allowed in queries without FROM clause');
  const qualifier = item.qualifier.map((q) => q.value);
  if (qualifier.length > 0 && !qualifierMatches(qualifier, source)) {
    throw syntaxError(item.pos, `Unable to resolve reference ${qualifier.join('.')}.*`);
  }
  return [...source.columns.keys()].map((name) => ({
    name,
    typed: resolveColumn({ kind: 'column', pos: item.pos, parts: [{ value: name, pos: item.pos }] }, scope),
  }));
};

/** Ordinals (`GROUP BY 1`, `ORDER BY 2`) count the select list after `*` expansion, from 1. */
const ordinal = (value: bigint, outputs: readonly Output[], pos: Position, clause: string): number => {
  if (value < 1n || value > BigInt(outputs.length)) {
    throw syntaxError(pos, `${clause} position ${value} is not in select list`);
  }
  return Number(value);
};

const requireBoolean = (t: Typed | undefined, clause: string): void => {
  if (t !== undefined && !isBooleanish(t.type)) {
    throw syntaxError(t.pos, `${clause} clause must evaluate to a boolean: actual type ${typeName(t.type)}`);
  }
};

/**
 * Translates a SELECT, analysing it in Trino's order (FROM, WHERE, select list, GROUP BY,
 * HAVING, ORDER BY) so that the first error reported is the one Trino would report.
 */
export const translateSelect = (
  query: SelectQuery,
  catalog: Catalog,
  nowNs: bigint,
): { readonly sql: string; readonly table: TableSchema | undefined } => {
  const schema = query.from === undefined ? undefined : lookupTable(query.from.name, catalog);
  const source = schema === undefined ? undefined : sourceOf(schema, query.from?.alias);
  const scope: Scope = { source, nowNs, noAggregates: undefined, inAggregate: undefined, outputs: undefined };

  const where =
    query.where === undefined
      ? undefined
      : translateExpr(query.where, { ...scope, noAggregates: 'WHERE clause' });
  requireBoolean(where, 'WHERE');

  const outputs: Output[] = [];
  for (const item of query.items) {
    if (item.kind === 'star') {
      outputs.push(...expandStar(item, scope));
      continue;
    }
    const typed = translateExpr(item.expr, scope);
    // Trino names an unaliased column after itself and any other expression `_col<position>`.
    const lastPart =
      item.expr.kind === 'column' ? item.expr.parts[item.expr.parts.length - 1]?.value : undefined;
    const name = item.alias?.value ?? lastPart ?? `_col${outputs.length}`;
    outputs.push({ name, typed });
  }

  const groupKeys = new Set<string>();
  const groupSql = query.groupBy.map((g) => {
    if (g.kind === 'integer') {
      const n = ordinal(g.value, outputs, g.pos, 'GROUP BY');
      const output = outputs[n - 1] as Output;
      if (output.typed.aggregate)
        throw syntaxError(g.pos, `GROUP BY position ${n} cannot reference an aggregate`);
      groupKeys.add(output.typed.sql);
      return `${n}`;
    }
    const t = translateExpr(g, { ...scope, noAggregates: 'GROUP BY clause' });
    groupKeys.add(t.sql);
    // DuckDB reads a constant number in GROUP BY as an ordinal; a cast keeps it a value, as in Trino.
    return t.constant && isNumeric(t.type) ? `CAST(${t.sql} AS ${DUCKDB_TYPE_NAMES[t.type]})` : t.sql;
  });

  const having = query.having === undefined ? undefined : translateExpr(query.having, scope);
  requireBoolean(having, 'HAVING');

  const byName = new Map<string, Typed[]>();
  for (const output of outputs) byName.set(output.name, [...(byName.get(output.name) ?? []), output.typed]);
  const outputSql = new Set(outputs.map((o) => o.typed.sql));
  const orderChecks: Typed[] = [];
  const orderSql: string[] = [];
  for (const item of query.orderBy) {
    const { expr } = item;
    let sql: string;
    if (expr.kind === 'integer') {
      sql = `${ordinal(expr.value, outputs, expr.pos, 'ORDER BY')}`;
    } else if (expr.kind === 'column' && expr.parts.length === 1 && byName.has(expr.parts[0]?.value ?? '')) {
      // An output name sorts by that select item; the ordinal says so to DuckDB unambiguously.
      const name = expr.parts[0]?.value ?? '';
      const matches = outputs.flatMap((o, i) => (o.name === name ? [i] : []));
      if (new Set(matches.map((i) => outputs[i]?.typed.sql)).size > 1) {
        throw syntaxError(expr.pos, `'${name}' in ORDER BY is ambiguous`);
      }
      sql = `${(matches[0] ?? 0) + 1}`;
    } else {
      const t = translateExpr(expr, { ...scope, outputs: byName });
      // A constant sorts nothing; DuckDB rejects non-integer constants and reads integers as ordinals.
      if (t.constant) continue;
      if (query.distinct && !outputSql.has(t.sql)) {
        throw syntaxError(expr.pos, 'For SELECT DISTINCT, ORDER BY expressions must appear in select list');
      }
      orderChecks.push(t);
      sql = t.sql;
    }
    // Trino puts NULLs last in both directions unless told otherwise; saying so keeps DuckDB's
    // configurable default out of it.
    const nulls = item.nullsFirst === true ? 'NULLS FIRST' : 'NULLS LAST';
    orderSql.push(`${sql} ${item.descending ? 'DESC' : 'ASC'} ${nulls}`);
  }

  const aggregated =
    query.groupBy.length > 0 ||
    having !== undefined ||
    outputs.some((o) => o.typed.aggregate) ||
    orderChecks.some((t) => t.aggregate);
  if (aggregated) {
    for (const t of [
      ...outputs.map((o) => o.typed),
      ...(having === undefined ? [] : [having]),
      ...orderChecks,
    ]) {
      checkGrouped(t, groupKeys);
    }
  }

  const clauses = [
    `SELECT ${query.distinct ? 'DISTINCT ' : ''}${outputs.map((o) => `${o.typed.sql} AS ${quoteIdentifier(o.name)}`).join(', ')}`,
  ];
  if (source !== undefined) {
    clauses.push(
      `FROM ${quoteIdentifier(source.schema.physicalName)} AS ${quoteIdentifier(source.correlation)}`,
    );
  }
  if (where !== undefined) clauses.push(`WHERE ${where.sql}`);
  if (groupSql.length > 0) clauses.push(`GROUP BY ${groupSql.join(', ')}`);
  if (having !== undefined) clauses.push(`HAVING ${having.sql}`);
  if (orderSql.length > 0) clauses.push(`ORDER BY ${orderSql.join(', ')}`);
  if (query.limit !== undefined) clauses.push(`LIMIT ${query.limit}`);
  return { sql: clauses.join(' '), table: schema };
};
