/**
 * A Query answer's body read straight from its bytes. The SDK's schema deserializer turns every
 * cell of every page into an object through the schema (half the CPU of a remote read); the
 * read path needs, per cell, only "is it a scalar", its text for labels, and a timestamp or a
 * double it can read without making a string. So a page is the body plus where each cell lies.
 *
 * The SDK client still sends the call (signing, retry, endpoint discovery) and still reads every
 * answer that is not a 2xx (its error types); `parseQueryAnswersDirectly` only takes over the body
 * of a successful QueryCommand.
 */
import type {
  ColumnInfo,
  Datum,
  QueryCommandOutput,
  QueryStatus,
  Row,
  TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';
import { printable } from '@prometheus-timestream/codec';
import { InvalidTimestreamAnswerError } from './errors.js';

/** One page of a Query answer, as the read path reads it. */
export interface QueryPage {
  readonly columns: readonly ColumnInfo[];
  readonly rowCount: number;
  readonly nextToken: string | undefined;
  /** The cell's ScalarValue; undefined for a NULL, a missing cell or a non-scalar datum. */
  readonly scalar: (row: number, column: number) => string | undefined;
  readonly isScalar: (row: number, column: number) => boolean;
  /** Both cells hold the same scalar, or neither holds one (a cheap test for "same series"). */
  readonly sameScalar: (rowA: number, rowB: number, column: number) => boolean;
  /** `sameScalar` for each of the columns `first`..`last` (one comparison where it can). */
  readonly sameScalars: (rowA: number, rowB: number, first: number, last: number) => boolean;
  /** The cell as a TIMESTAMP in epoch ms (see `parseTimestamp`). */
  readonly timestampMs: (row: number, column: number) => number;
  /** The cell as a DOUBLE (`Number` of its text, as before). */
  readonly double: (row: number, column: number) => number;
  /** The rows in the SDK's shape (only for code that wants them so). */
  readonly toRows: () => Row[];
}

/** Longest unreadable timestamp an answer repeats: a real one is 29 characters. */
const MAX_QUOTED_TIMESTAMP_CHARS = 40;
/** Longest piece of a malformed answer an error message repeats. */
const MAX_QUOTED_ANSWER_CHARS = 60;

/** `2021-05-06 06:35:38.123456789` (UTC, as Timestream writes TIMESTAMP values) → epoch ms. */
export const parseTimestamp = (text: string): number => {
  const ms =
    Date.UTC(
      Number(text.slice(0, 4)),
      Number(text.slice(5, 7)) - 1,
      Number(text.slice(8, 10)),
      Number(text.slice(11, 13)),
      Number(text.slice(14, 16)),
      Number(text.slice(17, 19)),
    ) + (text.length > 20 ? Number(text.slice(20, 23).padEnd(3, '0')) : 0);
  if (!Number.isSafeInteger(ms) || text[4] !== '-' || text[10] !== ' ')
    throw new InvalidTimestreamAnswerError(
      `Timestream returned the timestamp "${printable(text, MAX_QUOTED_TIMESTAMP_CHARS)}", not YYYY-MM-DD hh:mm:ss.fffffffff`,
    );
  return ms;
};

const everyColumn = (first: number, last: number, test: (column: number) => boolean): boolean => {
  for (let column = first; column <= last; column++) if (!test(column)) return false;
  return true;
};

/** A page of the SDK's shape (a fake client in tests, or a client without the direct parser). */
export const queryPageOfRows = (
  columns: readonly ColumnInfo[],
  rows: readonly Row[],
  nextToken?: string,
): QueryPage => {
  const scalar = (row: number, column: number): string | undefined => rows[row]?.Data?.[column]?.ScalarValue;
  const sameScalar = (a: number, b: number, column: number): boolean =>
    scalar(a, column) === scalar(b, column);
  return {
    columns,
    rowCount: rows.length,
    nextToken,
    scalar,
    isScalar: (row, column) => scalar(row, column) !== undefined,
    sameScalar,
    sameScalars: (a, b, first, last) => everyColumn(first, last, (column) => sameScalar(a, b, column)),
    timestampMs: (row, column) => parseTimestamp(scalar(row, column) ?? ''),
    double: (row, column) => Number(scalar(row, column)),
    toRows: () => [...rows],
  };
};

// Cell kinds, one per cell in `cells` (with the scalar's byte range, quotes excluded).
const ASCII = 0;
const UTF8 = 1;
/** A string with escapes: decoded by JSON.parse of the quoted range. */
const ESCAPED = 2;
const NULL = 3;
/** Another datum (TimeSeriesValue, ArrayValue, RowValue): `others[start]` holds it, parsed. */
const OTHER = 4;
const CELL_FIELDS = 3;
/** `{"NullValue":true}` and `{"ScalarValue":""}`, the shortest datums, and a comma. */
const MIN_COMPACT_DATUM_BYTES = 19;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const ZERO = 0x30;
const DOT = 0x2e;
const MINUS = 0x2d;

/** Largest count of decimal digits whose integer is exact in a double (< 2^53). */
const MAX_EXACT_DIGITS = 15;
/** Powers of ten that are exact doubles: m / 10^k is then correctly rounded (Clinger's fast path). */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

const malformed = (body: Buffer, pos: number, what: string): never => {
  const around = body.toString('utf8', Math.max(0, pos - 20), Math.min(body.length, pos + 40));
  throw new InvalidTimestreamAnswerError(
    `Timestream's Query answer is not valid JSON of its documented shape: ${what} at byte ${pos} (near "${printable(around, MAX_QUOTED_ANSWER_CHARS)}")`,
  );
};

const isWhitespace = (byte: number): boolean =>
  byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/** The scanner over one body: a cursor and the tables the cells go to. */
const scannerOf = (body: Buffer) => {
  let pos = 0;
  const skipWhitespace = (): void => {
    while (pos < body.length && isWhitespace(body[pos] as number)) pos++;
  };
  const expect = (byte: number, what: string): void => {
    skipWhitespace();
    if (body[pos] !== byte) malformed(body, pos, `expected ${what}`);
    pos++;
  };
  /** At the opening quote: moves past the closing one; returns the kind of its contents. */
  const skipString = (): number => {
    if (body[pos] !== QUOTE) malformed(body, pos, 'expected a string');
    pos++;
    let kind = ASCII;
    for (;;) {
      const byte = body[pos];
      if (byte === undefined) return malformed(body, pos, 'unterminated string');
      if (byte === QUOTE) break;
      if (byte === BACKSLASH) {
        kind = ESCAPED;
        pos++;
      } else if (byte >= 0x80 && kind === ASCII) kind = UTF8;
      pos++;
    }
    pos++;
    return kind;
  };
  const decodeString = (start: number, end: number, kind: number): string => {
    if (kind === ASCII) return body.toString('latin1', start, end);
    if (kind === UTF8) return body.toString('utf8', start, end);
    return JSON.parse(body.toString('utf8', start - 1, end + 1)) as string;
  };
  const readKey = (): string => {
    skipWhitespace();
    const start = pos + 1;
    const kind = skipString();
    const key = decodeString(start, pos - 1, kind);
    expect(COLON, '":"');
    return key;
  };
  /** Past any JSON value, without reading it (JSON.parse checks it when it is read). */
  const skipValue = (): void => {
    skipWhitespace();
    let depth = 0;
    do {
      const byte = body[pos];
      if (byte === undefined) malformed(body, pos, 'unexpected end');
      if (byte === QUOTE) {
        skipString();
        continue;
      }
      if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
      else if (depth === 0) {
        // A literal or number: up to the next delimiter.
        while (pos < body.length && !isDelimiter(body[pos] as number)) pos++;
        return;
      }
      pos++;
    } while (depth > 0);
  };
  const parseValue = (): unknown => {
    skipWhitespace();
    const start = pos;
    skipValue();
    try {
      return JSON.parse(body.toString('utf8', start, pos));
    } catch (error) {
      return malformed(body, start, error instanceof Error ? error.message : String(error));
    }
  };
  /** The items of an object or array until its closing byte. */
  const forEachItem = (open: number, close: number, what: string, onItem: () => void): void => {
    expect(open, what);
    skipWhitespace();
    if (body[pos] === close) {
      pos++;
      return;
    }
    for (;;) {
      onItem();
      skipWhitespace();
      if (body[pos] !== COMMA) break;
      pos++;
    }
    expect(close, `"," or "${String.fromCharCode(close)}"`);
  };
  /** Members of an object: `onMember` reads each value. */
  const forEachMember = (onMember: (key: string) => void): void =>
    forEachItem(OPEN_BRACE, CLOSE_BRACE, '"{"', () => onMember(readKey()));
  /** Elements of an array. */
  const forEachElement = (onElement: () => void): void =>
    forEachItem(OPEN_BRACKET, CLOSE_BRACKET, '"["', onElement);
  const atEnd = (): boolean => {
    skipWhitespace();
    return pos === body.length;
  };
  return {
    body,
    get pos() {
      return pos;
    },
    set pos(value: number) {
      pos = value;
    },
    skipWhitespace,
    skipString,
    decodeString,
    skipValue,
    parseValue,
    forEachMember,
    forEachElement,
    atEnd,
  };
};

const SCALAR_DATUM = Buffer.from('{"ScalarValue":');
const NULL_DATUM = Buffer.from('{"NullValue":true}');
const ROW_START = Buffer.from('{"Data":[');

const isDelimiter = (byte: number): boolean =>
  byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || isWhitespace(byte);

type Scanner = ReturnType<typeof scannerOf>;

type CellTable = ReturnType<typeof cellTable>;

/** Growable Int32 table of the cells, CELL_FIELDS a cell: kind, start, end. */
const cellTable = (bodyBytes: number) => {
  // Room for a compact body's every cell, so it never grows then.
  let cells = new Int32Array(CELL_FIELDS * Math.ceil(bodyBytes / MIN_COMPACT_DATUM_BYTES) + CELL_FIELDS);
  let length = 0;
  return {
    push: (kind: number, start: number, end: number): void => {
      if (length + CELL_FIELDS > cells.length) {
        const grown = new Int32Array(cells.length * 2);
        grown.set(cells);
        cells = grown;
      }
      cells[length++] = kind;
      cells[length++] = start;
      cells[length++] = end;
    },
    count: () => length / CELL_FIELDS,
    done: () => cells.subarray(0, length),
  };
};

const matchesAt = (body: Buffer, at: number, literal: Uint8Array): boolean => {
  if (at + literal.length > body.length) return false;
  for (let i = 0; i < literal.length; i++) if (body[at + i] !== literal[i]) return false;
  return true;
};

/**
 * The fast path: `Rows` as Timestream writes it (no whitespace, each datum a ScalarValue or
 * `"NullValue":true`), read with the cursor in a local. Returns the position after the list,
 * or -1 at the first byte laid out otherwise (the caller then reads the list member by member).
 */
const scanCompactRows = (body: Buffer, from: number, cells: CellTable, rowStarts: number[]): number => {
  let at = from;
  if (body[at++] !== OPEN_BRACKET) return -1;
  if (body[at] === CLOSE_BRACKET) return at + 1;
  for (;;) {
    rowStarts.push(cells.count());
    if (!matchesAt(body, at, ROW_START)) return -1;
    at += ROW_START.length;
    if (body[at] === CLOSE_BRACKET) at++;
    else
      for (;;) {
        if (matchesAt(body, at, SCALAR_DATUM)) {
          at += SCALAR_DATUM.length;
          if (body[at++] !== QUOTE) return -1;
          const start = at;
          let kind = ASCII;
          for (let byte = body[at]; byte !== QUOTE; byte = body[at]) {
            if (byte === undefined) return -1;
            if (byte === BACKSLASH) {
              kind = ESCAPED;
              at++;
            } else if (byte >= 0x80 && kind === ASCII) kind = UTF8;
            at++;
          }
          cells.push(kind, start, at);
          at++;
          if (body[at++] !== CLOSE_BRACE) return -1;
        } else if (matchesAt(body, at, NULL_DATUM)) {
          at += NULL_DATUM.length;
          cells.push(NULL, 0, 0);
        } else return -1;
        const next = body[at++];
        if (next === CLOSE_BRACKET) break;
        if (next !== COMMA) return -1;
      }
    if (body[at++] !== CLOSE_BRACE) return -1;
    const next = body[at++];
    if (next === CLOSE_BRACKET) return at;
    if (next !== COMMA) return -1;
  }
};

/** `Rows`: each row's cells into the tables; `rowStarts[r]` is row r's first cell. */
const scanRows = (scanner: Scanner, others: unknown[]) => {
  let cells = cellTable(scanner.body.length);
  let rowStarts: number[] = [];
  scanner.skipWhitespace();
  const end = scanCompactRows(scanner.body, scanner.pos, cells, rowStarts);
  if (end >= 0) {
    scanner.pos = end;
    rowStarts.push(cells.count());
    return { cells: cells.done(), rowStarts: Int32Array.from(rowStarts) };
  }
  cells = cellTable(scanner.body.length);
  rowStarts = [];
  const scanDatum = (): void => {
    let kind = NULL;
    let start = 0;
    let end = 0;
    scanner.forEachMember((key) => {
      if (key === 'ScalarValue') {
        scanner.skipWhitespace();
        start = scanner.pos + 1;
        kind = scanner.skipString();
        end = scanner.pos - 1;
      } else if (key === 'NullValue') {
        if (scanner.parseValue() !== true) malformed(scanner.body, scanner.pos, 'NullValue is not true');
        kind = NULL;
      } else {
        start = others.length;
        others.push({ [key]: scanner.parseValue() });
        kind = OTHER;
      }
    });
    cells.push(kind, start, end);
  };
  scanner.forEachElement(() => {
    rowStarts.push(cells.count());
    scanner.forEachMember((key) => {
      if (key === 'Data') scanner.forEachElement(scanDatum);
      else scanner.skipValue();
    });
  });
  rowStarts.push(cells.count());
  return { cells: cells.done(), rowStarts: Int32Array.from(rowStarts) };
};

/** Digits `from`..`from + count` of the text at `start` as a number; NaN if one is no digit. */
const digitsAt = (body: Buffer, start: number, from: number, count: number): number => {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const digit = (body[start + i] as number) - ZERO;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
};

/** Bytes of `YYYY-MM-DD hh` (the part of a timestamp the rows of a page mostly share). */
const DATE_HOUR_BYTES = 13;
const MS_PER_MINUTE = 60_000;
const MS_PER_SECOND = 1_000;

/**
 * Reads `YYYY-MM-DD hh:mm:ss.fffffffff` from the bytes; NaN when the text is laid out otherwise.
 * The rows of a page mostly share their date and hour: `Date.UTC` of the last one read is kept,
 * and used again when the next timestamp's first 13 bytes are the same (Date.UTC is linear in
 * minutes, seconds and milliseconds, so the sum is what it would give).
 */
const canonicalTimestampReader = (body: Buffer) => {
  let lastStart = -1;
  let lastDateHourMs = 0;
  const sameDateHour = (start: number): boolean => {
    if (lastStart < 0) return false;
    for (let i = 0; i < DATE_HOUR_BYTES; i++) if (body[start + i] !== body[lastStart + i]) return false;
    return true;
  };
  return (start: number, end: number): number => {
    if (end - start !== 29 || body[start + 4] !== MINUS || body[start + 7] !== MINUS) return Number.NaN;
    if (body[start + 10] !== 0x20 || body[start + 13] !== COLON || body[start + 16] !== COLON)
      return Number.NaN;
    if (body[start + 19] !== DOT) return Number.NaN;
    if (!sameDateHour(start)) {
      const dateHourMs = Date.UTC(
        digitsAt(body, start, 0, 4),
        digitsAt(body, start, 5, 2) - 1,
        digitsAt(body, start, 8, 2),
        digitsAt(body, start, 11, 2),
      );
      if (Number.isNaN(dateHourMs)) return Number.NaN;
      lastStart = start;
      lastDateHourMs = dateHourMs;
    }
    const ms =
      lastDateHourMs +
      digitsAt(body, start, 14, 2) * MS_PER_MINUTE +
      digitsAt(body, start, 17, 2) * MS_PER_SECOND +
      digitsAt(body, start, 20, 3);
    // The other six digits are below a millisecond, but must still be digits.
    return Number.isNaN(digitsAt(body, start, 23, 6)) ? Number.NaN : ms;
  };
};

/** `-?digits(.digits)?` with few enough digits to be exact; NaN for anything else. */
const simpleDecimal = (body: Buffer, start: number, end: number): number => {
  let i = start;
  const negative = body[i] === MINUS;
  if (negative) i++;
  let mantissa = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < end; i++) {
    const byte = body[i] as number;
    if (byte === DOT && fraction < 0) {
      fraction = 0;
      continue;
    }
    const digit = byte - ZERO;
    if (digit < 0 || digit > 9) return Number.NaN;
    mantissa = mantissa * 10 + digit;
    digits++;
    if (fraction >= 0) fraction++;
  }
  if (digits === 0 || digits > MAX_EXACT_DIGITS || fraction === 0) return Number.NaN;
  const value = fraction > 0 ? mantissa / (EXACT_POWERS_OF_TEN[fraction] as number) : mantissa;
  return negative ? -value : value;
};

/** The page over a parsed body. */
const pageOfCells = (
  body: Buffer,
  scanner: Scanner,
  tables: { cells: Int32Array; rowStarts: Int32Array },
  fields: { columns: readonly ColumnInfo[]; nextToken: string | undefined; others: readonly unknown[] },
): QueryPage => {
  const { cells, rowStarts } = tables;
  const rowCount = rowStarts.length - 1;
  /** The cell's offset in `cells`, or -1 when the row has no such cell. */
  const cellAt = (row: number, column: number): number => {
    const first = rowStarts[row] as number;
    return column >= 0 && first + column < (rowStarts[row + 1] as number)
      ? (first + column) * CELL_FIELDS
      : -1;
  };
  const isScalarAt = (at: number): boolean => at >= 0 && (cells[at] as number) <= ESCAPED;
  const canonicalTimestampMs = canonicalTimestampReader(body);
  const sameBytes = (startA: number, startB: number, length: number): boolean => {
    for (let i = 0; i < length; i++) if (body[startA + i] !== body[startB + i]) return false;
    return true;
  };
  const sameScalar = (rowA: number, rowB: number, column: number): boolean => {
    const a = cellAt(rowA, column);
    const b = cellAt(rowB, column);
    const scalarA = isScalarAt(a);
    if (scalarA !== isScalarAt(b)) return false;
    if (!scalarA) return true;
    const startA = cells[a + 1] as number;
    const startB = cells[b + 1] as number;
    const length = (cells[a + 2] as number) - startA;
    // Same bytes, same string; different bytes may still be the same string (escapes): the
    // caller then compares the strings.
    return length === (cells[b + 2] as number) - startB && sameBytes(startA, startB, length);
  };
  const scalar = (row: number, column: number): string | undefined => {
    const at = cellAt(row, column);
    if (!isScalarAt(at)) return undefined;
    return scanner.decodeString(cells[at + 1] as number, cells[at + 2] as number, cells[at] as number);
  };
  return {
    columns: fields.columns,
    rowCount,
    nextToken: fields.nextToken,
    scalar,
    isScalar: (row, column) => isScalarAt(cellAt(row, column)),
    sameScalar,
    sameScalars: (rowA, rowB, first, last) => {
      // Fast path: when the first and last cells are scalars in both rows, the bytes from the
      // first's value to the last's are the same exactly when every cell between is (the
      // scanner reads the same bytes the same way).
      const firstA = cellAt(rowA, first);
      const firstB = cellAt(rowB, first);
      const lastA = cellAt(rowA, last);
      const lastB = cellAt(rowB, last);
      if (isScalarAt(firstA) && isScalarAt(firstB) && isScalarAt(lastA) && isScalarAt(lastB)) {
        const startA = cells[firstA + 1] as number;
        const startB = cells[firstB + 1] as number;
        const length = (cells[lastA + 2] as number) - startA;
        if (length === (cells[lastB + 2] as number) - startB && sameBytes(startA, startB, length))
          return true;
      }
      return everyColumn(first, last, (column) => sameScalar(rowA, rowB, column));
    },
    timestampMs: (row, column) => {
      const at = cellAt(row, column);
      if (at >= 0 && cells[at] === ASCII) {
        const ms = canonicalTimestampMs(cells[at + 1] as number, cells[at + 2] as number);
        if (!Number.isNaN(ms)) return ms;
      }
      return parseTimestamp(scalar(row, column) ?? '');
    },
    double: (row, column) => {
      const at = cellAt(row, column);
      if (at >= 0 && cells[at] === ASCII) {
        const value = simpleDecimal(body, cells[at + 1] as number, cells[at + 2] as number);
        if (!Number.isNaN(value)) return value;
      }
      return Number(scalar(row, column));
    },
    toRows: () =>
      Array.from({ length: rowCount }, (_, row) => {
        const data: Datum[] = [];
        for (let cell = rowStarts[row] as number; cell < (rowStarts[row + 1] as number); cell++) {
          const at = cell * CELL_FIELDS;
          const kind = cells[at] as number;
          if (kind === NULL) data.push({ NullValue: true });
          else if (kind === OTHER) data.push(fields.others[cells[at + 1] as number] as Datum);
          else
            data.push({
              ScalarValue: scanner.decodeString(cells[at + 1] as number, cells[at + 2] as number, kind),
            });
        }
        return { Data: data };
      }),
  };
};

/** What a Query answer holds besides its rows. */
export interface QueryAnswerFields {
  readonly QueryId?: string;
  readonly NextToken?: string;
  readonly ColumnInfo: ColumnInfo[];
  readonly QueryStatus?: QueryStatus;
  readonly [member: string]: unknown;
}

/**
 * A successful Query answer's body → its page and its other members (as the SDK would give them).
 *
 * @throws InvalidTimestreamAnswerError when the body is not JSON of the documented shape
 */
export const parseQueryAnswer = (bytes: Uint8Array): { page: QueryPage; fields: QueryAnswerFields } => {
  const body = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const scanner = scannerOf(body);
  const members: Record<string, unknown> = {};
  const others: unknown[] = [];
  let tables = { cells: new Int32Array(0), rowStarts: Int32Array.of(0) };
  scanner.forEachMember((key) => {
    if (key === 'Rows') tables = scanRows(scanner, others);
    else members[key] = scanner.parseValue();
  });
  if (!scanner.atEnd()) malformed(body, scanner.pos, 'more after the answer');
  const { ColumnInfo: columns = [], NextToken: nextToken = undefined } = members;
  if (!Array.isArray(columns) || columns.some((column) => typeof column !== 'object' || column === null))
    malformed(body, 0, 'ColumnInfo is not a list of columns');
  if (nextToken !== undefined && nextToken !== null && typeof nextToken !== 'string')
    malformed(body, 0, 'NextToken is not a string');
  const fields = { ...members, ColumnInfo: columns as ColumnInfo[] } as QueryAnswerFields;
  const token = typeof nextToken === 'string' ? nextToken : undefined;
  return {
    page: pageOfCells(body, scanner, tables, { columns: fields.ColumnInfo, nextToken: token, others }),
    fields,
  };
};

/** Where the page of a directly parsed answer rides on the SDK's output. */
const PAGE = Symbol('queryPage');

/** The page of a QueryCommand's output: the direct parser's, or one over the SDK's rows. */
export const queryPageOf = (output: QueryCommandOutput): QueryPage =>
  (output as { [PAGE]?: QueryPage })[PAGE] ??
  queryPageOfRows(output.ColumnInfo ?? [], output.Rows ?? [], output.NextToken);

type Middleware = Parameters<TimestreamQueryClient['middlewareStack']['addRelativeTo']>[0];
interface HttpResponseLike {
  statusCode: number;
  body?: unknown;
}

/**
 * Has the client read a successful QueryCommand's body with `parseQueryAnswer`: inside the SDK's
 * deserializer, the body is taken and parsed (the SDK then reads an empty body: its metadata);
 * around it, the parsed answer becomes the output, `Rows` made only if asked for. Answers that
 * are not 2xx reach the SDK's error handling untouched.
 */
export const parseQueryAnswersDirectly = (client: TimestreamQueryClient): TimestreamQueryClient => {
  const parsed = new WeakMap<object, ReturnType<typeof parseQueryAnswer>>();
  client.middlewareStack.addRelativeTo(
    ((next: (args: unknown) => Promise<{ response: HttpResponseLike }>, context: { commandName?: string }) =>
      async (args: unknown) => {
        const result = await next(args);
        const { response } = result;
        if (context.commandName !== 'QueryCommand' || response.statusCode < 200 || response.statusCode >= 300)
          return result;
        const bytes = await client.config.streamCollector(response.body);
        parsed.set(context, parseQueryAnswer(bytes));
        response.body = new Uint8Array(0);
        return result;
      }) as Middleware,
    { name: 'queryAnswerParser', relation: 'after', toMiddleware: 'deserializerMiddleware', override: true },
  );
  client.middlewareStack.addRelativeTo(
    ((next: (args: unknown) => Promise<{ response: unknown; output: object }>, context: object) =>
      async (args: unknown) => {
        const result = await next(args);
        const answer = parsed.get(context);
        if (answer === undefined) return result;
        parsed.delete(context);
        const { page, fields } = answer;
        const output = { ...result.output, ...fields };
        let rows: Row[] | undefined;
        Object.defineProperty(output, 'Rows', { enumerable: true, get: () => (rows ??= page.toRows()) });
        Object.defineProperty(output, PAGE, { value: page });
        return { ...result, output };
      }) as Middleware,
    { name: 'queryAnswerOutput', relation: 'before', toMiddleware: 'deserializerMiddleware', override: true },
  );
  return client;
};
