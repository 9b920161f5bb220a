import type { TimestreamError } from '../errors.js';
import { validationError } from '../errors.js';

/** A 1-based source position, counted the way Trino (ANTLR) counts it: only `\n` starts a line. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** The units of Timestream's interval literals (`15m`, `100ms`, ...). */
export type IntervalUnit = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h' | 'd';

export const INTERVAL_UNIT_NS: Readonly<Record<IntervalUnit, bigint>> = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
};

const isIntervalUnit = (text: string): text is IntervalUnit => Object.hasOwn(INTERVAL_UNIT_NS, text);

interface TokenBase {
  /** The token exactly as written, for error messages. */
  readonly text: string;
  readonly pos: Position;
}

export type Token =
  /** A bare word: a keyword or an unquoted identifier (`value` is the text as written). */
  | (TokenBase & { readonly kind: 'word'; readonly value: string })
  /** A double-quoted identifier (`value` is unescaped). */
  | (TokenBase & { readonly kind: 'quoted'; readonly value: string })
  /** A single-quoted string literal (`value` is unescaped). */
  | (TokenBase & { readonly kind: 'string'; readonly value: string })
  | (TokenBase & { readonly kind: 'integer'; readonly value: bigint })
  | (TokenBase & { readonly kind: 'decimal'; readonly value: number })
  /** A Timestream interval literal such as `15m`. */
  | (TokenBase & { readonly kind: 'interval'; readonly amount: bigint; readonly unit: IntervalUnit })
  | (TokenBase & { readonly kind: 'symbol'; readonly value: string })
  | (TokenBase & { readonly kind: 'eof' });

/** A ValidationException located at `pos`, in Trino's `line L:C: message` form. */
export const syntaxError = (pos: Position, message: string): TimestreamError =>
  validationError(`line ${pos.line}:${pos.column}: ${message}`);

// Longest first, so `<=` wins over `<`. `::`, `[`, `]`, `?`, `->` and `=>` are recognised only so
// the parser can name them in a useful error; none of them is part of the supported dialect.
const SYMBOLS = [
  '<>',
  '!=',
  '<=',
  '>=',
  '||',
  '::',
  '->',
  '=>',
  '(',
  ')',
  ',',
  '.',
  ';',
  '*',
  '/',
  '%',
  '+',
  '-',
  '=',
  '<',
  '>',
  '[',
  ']',
  '?',
] as const;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isIdentPart = (c: string | undefined): boolean => isIdentStart(c) || isDigit(c);

/** The bare `measure_value::<type>` column names Timestream accepts without quotes. */
const MEASURE_VALUE_SUFFIX = /^::([A-Za-z]+)/;

const INT64_MAX = 9223372036854775807n;

/** Maps string offsets to positions; built once per query so positions cost a binary search. */
const positionFinder = (source: string): ((offset: number) => Position) => {
  const lineStarts = [0];
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((lineStarts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - (lineStarts[low] as number) + 1 };
  };
};

/** Reads a quoted run starting at `start` (on the opening quote); the quote is escaped by doubling. */
const readQuoted = (
  source: string,
  start: number,
  quote: string,
): { value: string; end: number } | undefined => {
  let value = '';
  let i = start + 1;
  for (;;) {
    const close = source.indexOf(quote, i);
    if (close === -1) return undefined;
    value += source.slice(i, close);
    if (source[close + 1] === quote) {
      value += quote;
      i = close + 2;
    } else {
      return { value, end: close + 1 };
    }
  }
};

/**
 * Splits a query into tokens, skipping whitespace and `--` / `/* *\/` comments. Every token keeps
 * its position for error messages; literal and identifier values are unescaped here, so nothing
 * downstream ever sees (or copies) raw query text.
 */
export const tokenize = (source: string): Token[] => {
  const positionOf = positionFinder(source);
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    const start = i;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '-' && source[i + 1] === '-') {
      const end = source.indexOf('\n', i);
      i = end === -1 ? source.length : end + 1;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      if (end === -1) throw syntaxError(positionOf(start), 'unterminated comment');
      i = end + 2;
      continue;
    }
    const pos = positionOf(start);
    if (c === "'") {
      const read = readQuoted(source, i, "'");
      if (read === undefined) throw syntaxError(pos, 'unterminated string literal');
      // DuckDB strings are NUL-terminated in places; refusing NUL keeps the emitted SQL exact.
      if (read.value.includes('\0'))
        throw syntaxError(pos, 'string literals must not contain NUL characters');
      i = read.end;
      tokens.push({ kind: 'string', value: read.value, text: source.slice(start, i), pos });
      continue;
    }
    if (c === '"') {
      const read = readQuoted(source, i, '"');
      if (read === undefined) throw syntaxError(pos, 'unterminated quoted identifier');
      if (read.value === '') throw syntaxError(pos, 'Zero-length delimited identifier not allowed');
      if (read.value.includes('\0')) throw syntaxError(pos, 'identifiers must not contain NUL characters');
      i = read.end;
      tokens.push({ kind: 'quoted', value: read.value, text: source.slice(start, i), pos });
      continue;
    }
    if (c === '`') {
      throw syntaxError(
        pos,
        'backquoted identifiers are not supported; use double quotes to quote identifiers',
      );
    }
    if (isIdentStart(c)) {
      while (isIdentPart(source[i])) i++;
      let value = source.slice(start, i);
      // `measure_value::double` is a column name that Timestream lets queries write unquoted.
      const suffix =
        value.toLowerCase() === 'measure_value' ? MEASURE_VALUE_SUFFIX.exec(source.slice(i)) : null;
      if (suffix !== null && !isIdentPart(source[i + suffix[0].length])) {
        i += suffix[0].length;
        value = source.slice(start, i);
      }
      tokens.push({ kind: 'word', value, text: value, pos });
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(source[i + 1]))) {
      while (isDigit(source[i])) i++;
      let decimal = false;
      if (source[i] === '.') {
        decimal = true;
        i++;
        while (isDigit(source[i])) i++;
      }
      if (
        (source[i] === 'e' || source[i] === 'E') &&
        (isDigit(source[i + 1]) || /^[+-]\d/.test(source.slice(i + 1, i + 3)))
      ) {
        decimal = true;
        i += 2;
        while (isDigit(source[i])) i++;
      }
      const number = source.slice(start, i);
      if (isIdentPart(source[i])) {
        const suffixStart = i;
        while (isIdentPart(source[i])) i++;
        const unit = source.slice(suffixStart, i);
        const text = source.slice(start, i);
        if (!isIntervalUnit(unit)) {
          throw syntaxError(
            pos,
            'identifiers must not start with a digit; surround the identifier with double quotes',
          );
        }
        if (decimal)
          throw syntaxError(pos, `interval literal '${text}' must be a whole number followed by its unit`);
        const amount = BigInt(number);
        if (amount * INTERVAL_UNIT_NS[unit] > INT64_MAX)
          throw syntaxError(pos, `interval literal '${text}' is out of range`);
        tokens.push({ kind: 'interval', amount, unit, text, pos });
        continue;
      }
      if (decimal) {
        const value = Number(number);
        if (!Number.isFinite(value)) throw syntaxError(pos, `Invalid numeric literal: ${number}`);
        tokens.push({ kind: 'decimal', value, text: number, pos });
      } else {
        const value = BigInt(number);
        if (value > INT64_MAX) throw syntaxError(pos, `Invalid numeric literal: ${number}`);
        tokens.push({ kind: 'integer', value, text: number, pos });
      }
      continue;
    }
    const symbol = SYMBOLS.find((s) => source.startsWith(s, i));
    if (symbol === undefined) {
      const char = String.fromCodePoint(source.codePointAt(i) as number);
      throw syntaxError(pos, `token recognition error at: '${char}'`);
    }
    i += symbol.length;
    tokens.push({ kind: 'symbol', value: symbol, text: symbol, pos });
  }
  tokens.push({ kind: 'eof', text: '<EOF>', pos: positionOf(source.length) });
  return tokens;
};
