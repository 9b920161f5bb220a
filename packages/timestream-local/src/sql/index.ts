import { validationError } from '../errors.js';
import type { Catalog, TableSchema } from '../schema.js';
import { parse } from './parser.js';
import { tokenize } from './tokens.js';
import { lookupTable, translateSelect } from './translate.js';

/**
 * Timestream SQL → DuckDB SQL.
 *
 * The supported dialect is a whitelist: a tokenizer, a recursive-descent parser for the subset
 * below, and a printer that re-quotes every identifier and literal itself. Anything outside the
 * subset is a ValidationException with Trino's `line L:C:` prefix, never SQL that DuckDB would
 * run with different meaning.
 *
 * - `SELECT [DISTINCT] items [FROM "db"."table" [[AS] alias]] [WHERE] [GROUP BY] [HAVING]
 *   [ORDER BY ... [ASC|DESC] [NULLS FIRST|LAST]] [LIMIT n|ALL]`, one statement, optional `;`.
 * - `DESCRIBE "db"."table"` and `SHOW MEASURES FROM "db"."table" [LIKE 'pattern']`.
 * - Expressions: literals (string, integer, double, boolean, NULL, `15m`-style and
 *   `INTERVAL '15' MINUTE` intervals, `TIMESTAMP '...'`), arithmetic, `||`, comparisons,
 *   AND/OR/NOT, [NOT] IN / BETWEEN / LIKE, IS [NOT] NULL, IS [NOT] DISTINCT FROM, CASE,
 *   CAST / TRY_CAST, and the functions in `functions.ts`.
 *
 * Known differences from Timestream, kept because each either fails loudly or is out of reach:
 * - Error wordings follow Trino where known; the missing-database one is the real Timestream
 *   text, the rest (missing table, unsupported features, syntax errors) are best-effort.
 * - Intervals exist only as literals (so `timestamp - timestamp` is refused) and must be whole
 *   microseconds; `INTERVAL 'n' unit` takes whole DAY/HOUR/MINUTE/SECOND counts only.
 * - regexp_like runs on RE2, with Java's POSIX classes (`\p{Alpha}`) rewritten into RE2's: other
 *   Java-only syntax fails in DuckDB (the executor reports it);
 *   constructs RE2 would silently read differently are refused here (see functions.ts). `.`
 *   and `$` treat `\r`, U+0085, U+2028 and U+2029 as ordinary characters, unlike Java.
 * - DuckDB raises errors where Trino returns NaN/-Infinity (sqrt, ln, log10 of values outside
 *   their domain), treats NaN as equal to itself and largest, prints doubles cast to varchar
 *   as `1e+20` rather than `1.0E20`, reads more strings as booleans and numbers in CAST, and
 *   returns the whole string for `substr(s, 0)` where Trino returns ''.
 * - approx_percentile is exact (quantile_disc / quantile_cont), not a sketch.
 * - Names are case-sensitive, quoted or not (`goos` and `GOOS` are two columns), as Timestream's
 *   names are; AWS does not document whether its SQL folds the case of unquoted identifiers.
 */
export type Statement =
  /** DuckDB SQL to run, and the table it reads (undefined for a FROM-less SELECT such as `SELECT 1`). */
  | { readonly kind: 'select'; readonly sql: string; readonly table: TableSchema | undefined }
  | { readonly kind: 'describe'; readonly table: TableSchema }
  | { readonly kind: 'show-measures'; readonly table: TableSchema; readonly like: string | undefined };

/** The Query API's limit on `QueryString`, in characters. */
export const MAX_QUERY_STRING_LENGTH = 262144;

/** Characters as the service model counts them (code points), not UTF-16 units. */
const characterCount = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

/**
 * Translates one Timestream query for the DuckDB tables described by `catalog`.
 *
 * @param queryString - the `QueryString` of the Query request
 * @param catalog - resolves `"db"."table"` to its schema
 * @param nowNs - the instant `now()` and `ago()` refer to, in nanoseconds since the epoch, so one
 *   query sees one consistent now
 * @throws TimestreamError ValidationException for anything invalid or outside the dialect
 *
 * @example
 * ```ts
 * const statement = translateQuery(`SELECT * FROM "prom"."samples" WHERE time > ago(5m)`, catalog, nowNs);
 * if (statement.kind === 'select') await connection.runAndReadAll(statement.sql);
 * ```
 */
export const translateQuery = (queryString: string, catalog: Catalog, nowNs: bigint): Statement => {
  // The length check is cheap on UTF-16 units first: code points are never more than those.
  if (queryString.length > MAX_QUERY_STRING_LENGTH && characterCount(queryString) > MAX_QUERY_STRING_LENGTH) {
    throw validationError(
      `1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length less than or equal to ${MAX_QUERY_STRING_LENGTH}`,
    );
  }
  if (queryString.length === 0) {
    throw validationError(
      "1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  const statement = parse(tokenize(queryString));
  switch (statement.kind) {
    case 'select': {
      const { sql, table } = translateSelect(statement, catalog, nowNs);
      return { kind: 'select', sql, table };
    }
    case 'describe':
      return { kind: 'describe', table: lookupTable(statement.table, catalog) };
    case 'show-measures':
      return { kind: 'show-measures', table: lookupTable(statement.table, catalog), like: statement.like };
  }
};
