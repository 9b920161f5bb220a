/**
 * Remote-read query → Timestream SQL, with Prometheus's matcher semantics: an absent label equals
 * `""`, regexes are fully anchored RE2 with the reader's semantics (Prometheus 3's `.` matches a
 * newline, 2.x's does not), translated to the Java syntax Timestream's `regexp_like` speaks, and
 * no matcher value can change the statement.
 */
import type { LabelMatcher, ReadQuery } from '@prometheus-timestream/codec';
import { METRIC_NAME_LABEL } from '@prometheus-timestream/codec';
import { BadRequestError } from './errors.js';
import type { Destination } from './timestream-write.js';

/** Timestream timestamps span 1970 (negative times are errors) to 2262-04-11. */
const MAX_TIMESTREAM_MS = 9_223_372_036_854;

export const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;
/** Trino string literal: only `'` needs escaping (a backslash is an ordinary character). */
export const quoteLiteral = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/** RE2's POSIX classes, which Java writes as `\p{…}` (inside a class, `[:alpha:]` means other things to Java). */
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: 'Alnum',
  alpha: 'Alpha',
  ascii: 'ASCII',
  blank: 'Blank',
  cntrl: 'Cntrl',
  digit: 'Digit',
  graph: 'Graph',
  lower: 'Lower',
  print: 'Print',
  punct: 'Punct',
  space: 'Space',
  upper: 'Upper',
  xdigit: 'XDigit',
};

const untranslatable = (regex: string, what: string): never => {
  throw new BadRequestError(
    `cannot translate the regular expression ${JSON.stringify(regex)} for Timestream: ${what}`,
  );
};

/**
 * Rewrites the RE2 syntax Java reads differently. Whether a fully anchored match exists is all
 * that matters here, so named groups become plain groups and the ungreedy flag is dropped.
 *
 * @throws BadRequestError for RE2 constructs Java has no equivalent for
 */
export const toJavaRegex = (regex: string): string => {
  let out = '';
  let inClass = false;
  for (let i = 0; i < regex.length; i++) {
    const char = regex[i] as string;
    if (char === '\\') {
      const next = regex[i + 1];
      if (next === undefined) untranslatable(regex, 'it ends with a backslash');
      if (next === 'C') untranslatable(regex, '\\C (any byte) has no Java equivalent');
      if (next === 'Q') {
        // \Q…\E quotes literally in both dialects; copy it untouched.
        const end = regex.indexOf('\\E', i + 2);
        const stop = end < 0 ? regex.length : end + 2;
        out += regex.slice(i, stop);
        i = stop - 1;
        continue;
      }
      out += `\\${next}`;
      i++;
      continue;
    }
    if (inClass) {
      if (char === '[' && regex[i + 1] === ':') {
        const end = regex.indexOf(':]', i + 2);
        const body = end < 0 ? '' : regex.slice(i + 2, end);
        const negated = body.startsWith('^');
        const java = POSIX_CLASSES[negated ? body.slice(1) : body];
        if (body === 'word' || body === '^word') out += negated ? '\\W' : '\\w';
        else if (java === undefined) untranslatable(regex, `unknown character class [:${body}:]`);
        else out += `\\${negated ? 'P' : 'p'}{${java}}`;
        i = end + 1;
        continue;
      }
      // Java reads `[` as a nested class and `&&` as intersection; RE2 reads both literally.
      if (char === '[') out += '\\[';
      else if (char === '&' && regex[i + 1] === '&') out += '&\\';
      else out += char;
      if (char === ']') inClass = false;
      continue;
    }
    if (char === '[') {
      inClass = true;
      out += char;
      // A `]` (after an optional `^`) right at the start is a literal in both dialects.
      if (regex[i + 1] === '^') out += regex[++i];
      if (regex[i + 1] === ']') out += `\\${regex[++i]}`;
      continue;
    }
    if (char === '(' && regex[i + 1] === '?') {
      const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(regex.slice(i));
      if (named !== null) {
        out += '(';
        i += named[0].length - 1;
        continue;
      }
      const flags = /^\(\?([imsU]*)(?:-([imsU]*))?([:)])/.exec(regex.slice(i));
      if (flags !== null) {
        const on = (flags[1] ?? '').replace('U', '');
        const off = (flags[2] ?? '').replace('U', '');
        const group = flags[3] === ':';
        if (on === '' && off === '') out += group ? '(?:' : '';
        else out += `(?${on}${off === '' ? '' : `-${off}`}${flags[3]}`;
        i += flags[0].length - 1;
        continue;
      }
    }
    out += char;
  }
  return out;
};

/**
 * Whose regex semantics a matcher has. Prometheus 3 compiles a matcher as `^(?s:re)$`
 * (model/labels/regexp.go), so `.` matches a newline; 2.x compiled `^(?:re)$`, where it does not.
 * Neither filters what remote read returns (observed with 2.42 and 3.16), so the answer must
 * already be the reader's own: a looser or stricter match shows up in its query results.
 */
export type RegexDialect = 'prometheus3' | 'prometheus2';

/**
 * The dialect of a remote-read client by its `User-Agent` (`Prometheus/2.42.0`): Prometheus 1.x
 * and 2.x get theirs, everything else (3.x, other clients) Prometheus 3's.
 */
export const regexDialectOf = (userAgent: string | undefined): RegexDialect =>
  /^Prometheus\/[12]\./.test(userAgent ?? '') ? 'prometheus2' : 'prometheus3';

/**
 * The anchored pattern in the reader's dialect. For Prometheus 3, Java needs DOTALL (`(?s)`):
 * without it Java's `.` also refuses `\r`, U+0085, U+2028 and U+2029, which RE2's `.` accepts.
 * For 2.x Java's `.` is kept, which differs from RE2's only on those four rare characters.
 * `\z`, not `$`, because Java's `$` also matches before a final newline.
 */
export const anchoredPattern = (regex: string, dialect: RegexDialect = 'prometheus3'): string =>
  `^(?${dialect === 'prometheus3' ? 's' : ''}:${toJavaRegex(regex)})\\z`;

/** A predicate, or a constant when the matcher's outcome is known without looking at a row. */
type Predicate = string | boolean;

const matcherPredicate = (
  matcher: LabelMatcher,
  dimensions: ReadonlySet<string>,
  dialect: RegexDialect,
): Predicate => {
  const { type, name, value } = matcher;
  const isRegex = type === 'RE' || type === 'NRE';
  const pattern = isRegex ? quoteLiteral(anchoredPattern(value, dialect)) : '';
  if (name === METRIC_NAME_LABEL) {
    // measure_name is never NULL or empty.
    switch (type) {
      case 'EQ':
        return value === '' ? false : `measure_name = ${quoteLiteral(value)}`;
      case 'NEQ':
        return value === '' ? true : `measure_name <> ${quoteLiteral(value)}`;
      case 'RE':
        return `regexp_like(measure_name, ${pattern})`;
      case 'NRE':
        return `NOT regexp_like(measure_name, ${pattern})`;
    }
  }
  if (!dimensions.has(name)) {
    // Never written: every series has the label as "". The regex is still evaluated by
    // Timestream, on the empty string, so its dialect decides exactly as it would for a row.
    switch (type) {
      case 'EQ':
        return value === '';
      case 'NEQ':
        return value !== '';
      case 'RE':
        return `regexp_like('', ${pattern})`;
      case 'NRE':
        return `NOT regexp_like('', ${pattern})`;
    }
  }
  const column = quoteIdentifier(name);
  switch (type) {
    case 'EQ':
      return value === '' ? `(${column} IS NULL OR ${column} = '')` : `${column} = ${quoteLiteral(value)}`;
    case 'NEQ':
      return value === ''
        ? `(${column} IS NOT NULL AND ${column} <> '')`
        : `(${column} IS NULL OR ${column} <> ${quoteLiteral(value)})`;
    case 'RE':
      return `regexp_like(coalesce(${column}, ''), ${pattern})`;
    case 'NRE':
      return `NOT regexp_like(coalesce(${column}, ''), ${pattern})`;
  }
};

/**
 * The SQL for one remote-read query over the table's known dimension columns, or `undefined`
 * when no row can match (an empty time range, a matcher that is false for every series). The
 * staleness-marker column, when the table has one, is selected but never matched: it is no label.
 *
 * @throws BadRequestError for a regex that cannot be translated
 * @example
 * ```ts
 * buildReadSql({ startTimestampMs: 0, endTimestampMs: 60_000, matchers: [{ type: 'EQ', name: '__name__', value: 'up' }], hints: null }, { database: 'db', table: 't' }, new Set(['job']));
 * // SELECT "job", measure_name, time, "measure_value::double" FROM "db"."t" WHERE time BETWEEN from_milliseconds(0) AND from_milliseconds(60000) AND measure_name = 'up'
 * ```
 */
export const buildReadSql = (
  query: ReadQuery,
  destination: Destination,
  dimensions: ReadonlySet<string>,
  markerColumn?: string,
  dialect: RegexDialect = 'prometheus3',
): string | undefined => {
  const start = Math.max(0, query.startTimestampMs);
  const end = Math.min(MAX_TIMESTREAM_MS, query.endTimestampMs);
  if (end < start) return undefined;
  const predicates: string[] = [];
  for (const matcher of query.matchers) {
    const predicate = matcherPredicate(matcher, dimensions, dialect);
    if (predicate === false) return undefined;
    if (predicate !== true) predicates.push(predicate);
  }
  const columns = [
    ...[...dimensions].sort().map(quoteIdentifier),
    ...(markerColumn === undefined ? [] : [quoteIdentifier(markerColumn)]),
    'measure_name',
    'time',
    '"measure_value::double"',
  ];
  return [
    `SELECT ${columns.join(', ')}`,
    `FROM ${quoteIdentifier(destination.database)}.${quoteIdentifier(destination.table)}`,
    `WHERE time BETWEEN from_milliseconds(${start}) AND from_milliseconds(${end})`,
    ...predicates.map((predicate) => `AND ${predicate}`),
  ].join(' ');
};
