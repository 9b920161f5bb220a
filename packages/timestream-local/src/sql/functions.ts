import type { TimestreamError } from '../errors.js';
import type { Expr } from './ast.js';
import { doubleLiteral, quoteString, timestampLiteral } from './format.js';
import { type Position, syntaxError } from './tokens.js';
import {
  canCoerce,
  commonType,
  DUCKDB_TYPE_NAMES,
  type SqlType,
  type Typed,
  typeList,
  typeName,
} from './types.js';

/** A call being translated: its arguments already typed, plus their syntax for literal-only parameters. */
export interface CallSite {
  readonly name: string;
  readonly pos: Position;
  readonly args: readonly Typed[];
  readonly exprs: readonly Expr[];
  readonly distinct: boolean;
  readonly star: boolean;
  /** The instant `now()` stands for, in nanoseconds since the epoch. */
  readonly nowNs: bigint;
}

export interface Resolved {
  readonly sql: string;
  readonly type: SqlType;
}

export interface FunctionSpec {
  readonly aggregate: boolean;
  readonly resolve: (call: CallSite) => Resolved;
}

interface Signature {
  readonly params: readonly SqlType[];
  readonly returns: SqlType;
}

const sig = (returns: SqlType, ...params: SqlType[]): Signature => ({ params, returns });

const unexpectedParameters = (call: CallSite, expected: readonly Signature[]): TimestreamError => {
  const given = call.star ? '' : call.args.map((a) => typeName(a.type)).join(', ');
  const list = expected.map((s) => `${call.name}(${s.params.map(typeName).join(', ')})`).join(', ');
  return syntaxError(
    call.pos,
    `Unexpected parameters (${given}) for function ${call.name}. Expected: ${list}`,
  );
};

/** An argument's SQL, with a bare NULL typed so DuckDB need not guess an overload for it. */
const argSql = (arg: Typed, param: SqlType): string =>
  arg.type === 'unknown' && param !== 'unknown' ? `CAST(NULL AS ${DUCKDB_TYPE_NAMES[param]})` : arg.sql;

/**
 * A function with fixed overloads. The first signature every argument coerces to wins, so
 * signatures are listed narrowest first (integer before bigint before double), as Trino picks
 * the most specific one.
 */
const overloaded =
  (
    signatures: readonly Signature[],
    emit: (args: readonly string[], call: CallSite, signature: Signature) => string,
  ): FunctionSpec['resolve'] =>
  (call) => {
    const match = call.star
      ? undefined
      : signatures.find(
          (s) =>
            s.params.length === call.args.length &&
            call.args.every((a, i) => canCoerce(a.type, s.params[i] as SqlType)),
        );
    if (match === undefined) throw unexpectedParameters(call, signatures);
    const args = call.args.map((a, i) => argSql(a, match.params[i] as SqlType));
    return { sql: emit(args, call, match), type: match.returns };
  };

const scalar = (
  signatures: readonly Signature[],
  emit: (args: readonly string[], call: CallSite, signature: Signature) => string,
): FunctionSpec => ({ aggregate: false, resolve: overloaded(signatures, emit) });

/** A scalar function DuckDB has under another (or the same) name with the same semantics. */
const renamed = (duckdbName: string, signatures: readonly Signature[]): FunctionSpec =>
  scalar(signatures, (args) => `${duckdbName}(${args.join(', ')})`);

const SAME_NUMERIC = [sig('integer', 'integer'), sig('bigint', 'bigint'), sig('double', 'double')];
const DOUBLE_TO_DOUBLE = [sig('double', 'double')];

const aggregateArgs = (call: CallSite, args: readonly string[]): string =>
  `${call.distinct ? 'DISTINCT ' : ''}${args.join(', ')}`;

const aggregate = (
  signatures: readonly Signature[],
  emit: (args: string, call: CallSite, signature: Signature) => string,
): FunctionSpec => ({
  aggregate: true,
  resolve: overloaded(signatures, (args, call, signature) =>
    emit(aggregateArgs(call, args), call, signature),
  ),
});

/** min/max: any type, returned as is. */
const extremum = (name: string): FunctionSpec => ({
  aggregate: true,
  resolve: (call) => {
    const [arg] = call.args;
    if (call.star || arg === undefined || call.args.length !== 1) {
      throw syntaxError(
        call.pos,
        `Unexpected parameters (${call.args.map((a) => typeName(a.type)).join(', ')}) for function ${name}. Expected: ${name}(T)`,
      );
    }
    return { sql: `${name}(${aggregateArgs(call, [arg.sql])})`, type: arg.type };
  },
});

/**
 * Java regular-expression constructs RE2 (DuckDB) would read differently without an error:
 * nested classes (`[a[b]]`, union in Java, and POSIX `[[:alpha:]]` in RE2), class intersection
 * (`&&`), `\v` (a class in Java, a single character in RE2) and the `U` flag (Unicode classes in
 * Java, ungreedy in RE2). RE2's own `(?P<name>...)` is refused as Timestream (Java) refuses it.
 * Constructs RE2 lacks (backreferences, lookaround, possessive quantifiers, atomic groups) need
 * no check here: DuckDB rejects the pattern itself and the executor turns that into a
 * ValidationException.
 */
const javaOnlyRegexSyntax = (pattern: string): string | undefined => {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === 'v') return '\\v';
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        i = end === -1 ? pattern.length : end + 1;
      } else {
        i++;
      }
    } else if (inClass) {
      if (c === '[') return 'nested character classes';
      if (c === '&' && pattern[i + 1] === '&') return 'character class intersection (&&)';
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      // A `]` right after `[` or `[^` is a literal in both dialects, not the end of the class.
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++;
    } else if (c === '(' && pattern[i + 1] === '?') {
      if (pattern[i + 2] === 'P') return '(?P...) groups';
      const flags = /^[a-zA-Z-]*/.exec(pattern.slice(i + 2))?.[0] ?? '';
      if (flags.includes('U')) return 'the U flag';
    }
  }
  return undefined;
};

/** Java's POSIX classes (`\p{Alpha}`: US-ASCII only, as RE2's `[:alpha:]`) by Java name. */
const POSIX_CLASS_NAMES: ReadonlyMap<string, string> = new Map(
  [
    'Lower',
    'Upper',
    'ASCII',
    'Alpha',
    'Digit',
    'Alnum',
    'Punct',
    'Graph',
    'Print',
    'Blank',
    'Cntrl',
    'XDigit',
    'Space',
  ].map((name) => [name, name.toLowerCase()]),
);

/**
 * Rewrites Java's `\p{Alpha}` / `\P{Alpha}` POSIX classes, which RE2 does not know by those names,
 * as RE2's `[[:alpha:]]` / `[[:^alpha:]]` (without the outer brackets inside a class). Everything
 * else is left to RE2, which shares the rest of the syntax or refuses it.
 */
export const javaPosixClassesToRe2 = (pattern: string): string => {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const next = pattern[i + 1];
      const name = /^\{(\w+)\}/.exec(pattern.slice(i + 2))?.[1];
      const posix = name === undefined ? undefined : POSIX_CLASS_NAMES.get(name);
      if ((next === 'p' || next === 'P') && posix !== undefined && name !== undefined) {
        const item = `[:${next === 'P' ? '^' : ''}${posix}:]`;
        out += inClass ? item : `[${item}]`;
        i += 2 + name.length + 1;
        continue;
      }
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const stop = end === -1 ? pattern.length : end + 2;
        out += pattern.slice(i, stop);
        i = stop - 1;
        continue;
      }
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      // A `]` right after `[` or `[^` is a literal in both dialects, not the end of the class.
      let open = '[';
      if (pattern[i + 1] === '^') open += pattern[++i];
      if (pattern[i + 1] === ']') open += pattern[++i];
      out += open;
      continue;
    }
    out += c;
  }
  return out;
};

const checkRegexLiteral = (call: CallSite): void => {
  const pattern = call.exprs[1];
  if (pattern?.kind !== 'string') return;
  const problem = javaOnlyRegexSyntax(pattern.value);
  if (problem !== undefined) {
    throw syntaxError(
      pattern.pos,
      `Unsupported regular expression syntax in ${call.name} pattern: ${problem}`,
    );
  }
};

const DATE_TRUNC_UNITS = new Set([
  'millisecond',
  'second',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'quarter',
  'year',
]);

/** `approx_percentile`'s percentage: DuckDB's quantile functions need a constant, so a literal. */
const percentile = (call: CallSite): string => {
  const expr = call.exprs[1];
  const value =
    expr?.kind === 'integer' ? Number(expr.value) : expr?.kind === 'double' ? expr.value : undefined;
  if (value === undefined)
    throw syntaxError(call.pos, 'approx_percentile percentage must be a numeric literal');
  if (!(value >= 0 && value <= 1)) throw syntaxError(call.pos, 'Percentile must be between 0 and 1');
  return doubleLiteral(value);
};

const EPOCH = timestampLiteral(0n);

/** Every function the dialect knows, by lower-case name. Anything else is "not registered". */
export const FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map<string, FunctionSpec>([
  // Time.
  ['now', scalar([sig('timestamp')], (_, call) => timestampLiteral(call.nowNs))],
  [
    'ago',
    scalar([sig('timestamp', 'interval')], (_, call) => {
      // Intervals are literals, so now - interval folds to one literal: exact to the nanosecond,
      // where DuckDB's TIMESTAMP_NS - INTERVAL would drop to microseconds.
      const interval = call.args[0]?.intervalNs;
      return interval === undefined ? 'CAST(NULL AS TIMESTAMP_NS)' : timestampLiteral(call.nowNs - interval);
    }),
  ],
  [
    'bin',
    // DuckDB's default origin is 2000-01-03; Timestream bins from the epoch, which matters for
    // bins that do not divide a week. time_bucket returns TIMESTAMP (µs), exact here because
    // every interval is a whole number of microseconds.
    scalar(
      [sig('timestamp', 'timestamp', 'interval')],
      ([t, i]) => `CAST(time_bucket(${i}, ${t}, ${EPOCH}) AS TIMESTAMP_NS)`,
    ),
  ],
  [
    'date_trunc',
    scalar([sig('timestamp', 'varchar', 'timestamp')], ([, t], call) => {
      const unit = call.exprs[0];
      const name = unit?.kind === 'string' ? unit.value.toLowerCase() : undefined;
      if (name === undefined || !DATE_TRUNC_UNITS.has(name)) {
        throw syntaxError(
          unit?.pos ?? call.pos,
          `date_trunc unit must be one of the string literals ${[...DATE_TRUNC_UNITS].map((u) => `'${u}'`).join(', ')}`,
        );
      }
      return `CAST(date_trunc(${quoteString(name)}, ${t}) AS TIMESTAMP_NS)`;
    }),
  ],
  [
    'from_milliseconds',
    scalar([sig('timestamp', 'bigint')], ([x]) => `make_timestamp_ns(CAST(${x} AS BIGINT) * 1000000)`),
  ],
  ['to_milliseconds', renamed('epoch_ms', [sig('bigint', 'timestamp')])],
  [
    'from_nanoseconds',
    scalar([sig('timestamp', 'bigint')], ([x]) => `make_timestamp_ns(CAST(${x} AS BIGINT))`),
  ],
  ['to_nanoseconds', renamed('epoch_ns', [sig('bigint', 'timestamp')])],
  [
    'from_unixtime',
    // The argument is a double in Trino; an integer literal would otherwise multiply in INT32 and overflow.
    scalar(
      [sig('timestamp', 'double')],
      ([x]) => `make_timestamp_ns(CAST(round(CAST(${x} AS DOUBLE) * 1000000000) AS BIGINT))`,
    ),
  ],
  // Strings. regexp_matches is, like Timestream's regexp_like, a "contains" match.
  [
    'regexp_like',
    scalar([sig('boolean', 'varchar', 'varchar')], ([s, p], call) => {
      checkRegexLiteral(call);
      const pattern = call.exprs[1];
      const re2 = pattern?.kind === 'string' ? quoteString(javaPosixClassesToRe2(pattern.value)) : p;
      return `regexp_matches(${s}, ${re2})`;
    }),
  ],
  ['lower', renamed('lower', [sig('varchar', 'varchar')])],
  ['upper', renamed('upper', [sig('varchar', 'varchar')])],
  ['length', renamed('length', [sig('bigint', 'varchar')])],
  [
    'concat',
    // DuckDB's concat() skips NULLs where Trino's returns NULL; `||` propagates NULL in both.
    {
      aggregate: false,
      resolve: (call) => {
        if (call.args.length < 2)
          throw syntaxError(call.pos, 'There must be two or more concatenation arguments');
        if (call.star || !call.args.every((a) => canCoerce(a.type, 'varchar'))) {
          throw unexpectedParameters(call, [sig('varchar', 'varchar', 'varchar')]);
        }
        return { sql: `(${call.args.map((a) => argSql(a, 'varchar')).join(' || ')})`, type: 'varchar' };
      },
    },
  ],
  [
    'substr',
    renamed('substr', [sig('varchar', 'varchar', 'bigint'), sig('varchar', 'varchar', 'bigint', 'bigint')]),
  ],
  [
    'substring',
    renamed('substr', [sig('varchar', 'varchar', 'bigint'), sig('varchar', 'varchar', 'bigint', 'bigint')]),
  ],
  // Numbers.
  ['abs', renamed('abs', SAME_NUMERIC)],
  [
    'round',
    renamed('round', [
      ...SAME_NUMERIC,
      sig('integer', 'integer', 'integer'),
      sig('bigint', 'bigint', 'integer'),
      sig('double', 'double', 'integer'),
    ]),
  ],
  ['floor', renamed('floor', SAME_NUMERIC)],
  ['ceil', renamed('ceil', SAME_NUMERIC)],
  ['ceiling', renamed('ceil', SAME_NUMERIC)],
  ['sqrt', renamed('sqrt', DOUBLE_TO_DOUBLE)],
  ['ln', renamed('ln', DOUBLE_TO_DOUBLE)],
  ['log10', renamed('log10', DOUBLE_TO_DOUBLE)],
  ['exp', renamed('exp', DOUBLE_TO_DOUBLE)],
  ['power', renamed('power', [sig('double', 'double', 'double')])],
  ['pow', renamed('power', [sig('double', 'double', 'double')])],
  ['nan', scalar([sig('double')], () => doubleLiteral(Number.NaN))],
  ['infinity', scalar([sig('double')], () => doubleLiteral(Number.POSITIVE_INFINITY))],
  ['is_nan', renamed('isnan', [sig('boolean', 'double')])],
  ['is_finite', renamed('isfinite', [sig('boolean', 'double')])],
  ['is_infinite', renamed('isinf', [sig('boolean', 'double')])],
  [
    'coalesce',
    {
      aggregate: false,
      resolve: (call) => {
        if (call.star || call.args.length === 0)
          throw syntaxError(call.pos, 'COALESCE requires at least one argument');
        const types = call.args.map((a) => a.type);
        const type = commonType(types);
        if (type === undefined) {
          throw syntaxError(call.pos, `All COALESCE operands must be the same type: ${typeList(types)}`);
        }
        return { sql: `coalesce(${call.args.map((a) => argSql(a, type)).join(', ')})`, type };
      },
    },
  ],
  // Aggregates.
  [
    'count',
    {
      aggregate: true,
      resolve: (call) => {
        // Trino (and so Timestream) reads `count()` as `count(*)`: the Go connector's README checks
        // its table with `SELECT count() FROM ...`.
        if (call.star || call.args.length === 0) return { sql: 'count(*)', type: 'bigint' };
        const [arg] = call.args;
        if (arg === undefined || call.args.length !== 1) {
          throw syntaxError(
            call.pos,
            `Unexpected parameters (${call.args.map((a) => typeName(a.type)).join(', ')}) for function count. Expected: count(), count(T)`,
          );
        }
        return { sql: `count(${aggregateArgs(call, [arg.sql])})`, type: 'bigint' };
      },
    },
  ],
  [
    'sum',
    // DuckDB sums integers into HUGEINT; Trino's sum is BIGINT (and fails on overflow, as the cast does).
    aggregate([sig('bigint', 'bigint'), sig('double', 'double')], (args, _, s) =>
      s.returns === 'bigint' ? `CAST(sum(${args}) AS BIGINT)` : `sum(${args})`,
    ),
  ],
  ['avg', aggregate([sig('double', 'double')], (args) => `avg(${args})`)],
  ['min', extremum('min')],
  ['max', extremum('max')],
  [
    'approx_percentile',
    // Trino keeps BIGINT percentiles as data values (q-digest) and interpolates DOUBLE ones
    // (t-digest); DuckDB's exact quantile_disc / quantile_cont are the closest deterministic match.
    {
      aggregate: true,
      resolve: (call) => {
        if (call.distinct) throw syntaxError(call.pos, 'DISTINCT is not supported for approx_percentile');
        return overloaded(
          [sig('bigint', 'bigint', 'double'), sig('double', 'double', 'double')],
          ([x], c, s) =>
            s.returns === 'bigint'
              ? `CAST(quantile_disc(${x}, ${percentile(c)}) AS BIGINT)`
              : `quantile_cont(${x}, ${percentile(c)})`,
        )(call);
      },
    },
  ],
]);
