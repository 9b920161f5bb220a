/**
 * How the printer writes names and literals. Everything goes through here so the emitted SQL is
 * canonical: no text from the query is ever copied into it, only values re-quoted by these.
 */

/** A DuckDB identifier: always quoted, `"` doubled. */
export const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A DuckDB string literal: `'` doubled. Backslashes need nothing: DuckDB strings have no escapes. */
export const quoteString = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/**
 * A DOUBLE literal. DuckDB reads a plain `1.5` as DECIMAL(2,1), so doubles are written in exponent
 * form (`1.5e+0`), which DuckDB parses straight to the nearest DOUBLE; `toExponential()` gives the
 * shortest digits that round-trip. NaN and the infinities have no literal syntax.
 */
export const doubleLiteral = (value: number): string => {
  if (Number.isNaN(value)) return "CAST('NaN' AS DOUBLE)";
  if (value === Number.POSITIVE_INFINITY) return "CAST('Infinity' AS DOUBLE)";
  if (value === Number.NEGATIVE_INFINITY) return "CAST('-Infinity' AS DOUBLE)";
  return value.toExponential();
};

const NS_PER_SECOND = 1_000_000_000n;

/**
 * Nanoseconds since the epoch as Timestream prints a TIMESTAMP: `YYYY-MM-DD HH:MM:SS.fffffffff`,
 * UTC. Floor division keeps pre-1970 instants on the right second.
 */
export const formatTimestampNs = (ns: bigint): string => {
  let seconds = ns / NS_PER_SECOND;
  let fraction = ns % NS_PER_SECOND;
  if (fraction < 0n) {
    seconds -= 1n;
    fraction += NS_PER_SECOND;
  }
  const iso = new Date(Number(seconds) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${fraction.toString().padStart(9, '0')}`;
};

/** A TIMESTAMP_NS literal for an instant given in nanoseconds since the epoch. */
export const timestampLiteral = (ns: bigint): string => `TIMESTAMP_NS '${formatTimestampNs(ns)}'`;

/**
 * The timestamp literals Trino accepts, without a time zone: a date, optionally with hours and
 * minutes, seconds and up to nine fractional digits. DuckDB also reads `T` separators and UTC
 * offsets, so anything else is refused before DuckDB can read it differently.
 */
export const TIMESTAMP_LITERAL = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$/;
