/**
 * The Query operation: runs a translated statement on DuckDB and answers in the service's shape
 * (`ColumnInfo`, `Rows[].Data[]`, `QueryStatus`), one page at a time with `NextToken`.
 */
import { randomBytes } from 'node:crypto';
import { TimestreamError, validationError } from './errors.js';
import { MEASURE_VALUE_TYPE } from './schema.js';
import { formatTimestampNs } from './sql/format.js';
import { type Statement, translateQuery } from './sql/index.js';
import type { TimestreamStore } from './store.js';

export const MAX_ROWS_PER_PAGE = 1000;
/** Pages are capped at 1 MB of response data. */
const MAX_PAGE_BYTES = 1024 * 1024;
/** Legacy pricing metered at least 10 MB per query; real responses still carry this figure. */
const MIN_BYTES_METERED = 10_000_000;
/** How long an unread cursor is kept; the service's own limit is the 1 h query timeout. */
const CURSOR_TTL_MS = 60 * 60 * 1000;
const MAX_CURSORS = 1000;

type ColumnType =
  | { ScalarType: string }
  | { ArrayColumnInfo: { Type: ColumnType } }
  | { RowColumnInfo: { Name: string; Type: ColumnType }[] };
export interface ColumnInfo {
  readonly Name: string;
  readonly Type: ColumnType;
}
export type Datum =
  | { ScalarValue: string }
  | { NullValue: true }
  | { ArrayValue: Datum[] }
  | { RowValue: { Data: Datum[] } };
export interface Row {
  readonly Data: Datum[];
}

interface Cursor {
  readonly queryString: string;
  readonly queryId: string;
  readonly columnInfo: ColumnInfo[];
  readonly rows: Row[];
  readonly bytesScanned: number;
  offset: number;
  readonly expiresAt: number;
}

export interface QueryOptions {
  /** Answer the first page of every query with no rows and a NextToken, as the service sometimes does. */
  readonly emptyFirstPage?: boolean;
  /**
   * Rows per page when the request does not set MaxRows, to force pagination in tests.
   * @default pages filled up to 1 MB, as the service fills them
   */
  readonly pageRows?: number | undefined;
}

export interface QueryMetering {
  queries: number;
  bytesScanned: number;
  bytesMetered: number;
}

const queryId = (): string => randomBytes(12).toString('hex').toUpperCase();

const pad = (value: number | bigint, width: number): string => String(value).padStart(width, '0');

/**
 * Doubles as Java's `Double.toString` writes them (the service is Java): `1.0`, `72.19912056957318`,
 * `1.0E21`, `1.5E-7`. This is an assumption where AWS documents only examples.
 */
export const formatDouble = (value: number): string => {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  const magnitude = Math.abs(value);
  if (magnitude === 0 || (magnitude >= 1e-3 && magnitude < 1e7)) {
    const text = Object.is(value, -0) ? '-0' : String(value);
    return text.includes('.') ? text : `${text}.0`;
  }
  const [mantissa = '', exponent = ''] = value.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
};

const timestampNanos = (value: unknown): bigint | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  if ('nanos' in value) return (value as { nanos: bigint }).nanos;
  if ('micros' in value) return (value as { micros: bigint }).micros * 1000n;
  if ('millis' in value) return (value as { millis: bigint }).millis * 1_000_000n;
  if ('seconds' in value) return (value as { seconds: bigint }).seconds * 1_000_000_000n;
  return undefined;
};

/** Maps a DuckDB result type to the service's ScalarType. */
export const scalarTypeOf = (duckdbType: string): string => {
  if (duckdbType === 'VARCHAR') return 'VARCHAR';
  if (duckdbType === 'BOOLEAN') return 'BOOLEAN';
  if (['BIGINT', 'HUGEINT', 'UBIGINT', 'UINTEGER'].includes(duckdbType)) return 'BIGINT';
  if (['INTEGER', 'SMALLINT', 'TINYINT', 'USMALLINT', 'UTINYINT'].includes(duckdbType)) return 'INTEGER';
  if (duckdbType === 'DOUBLE' || duckdbType === 'FLOAT' || duckdbType.startsWith('DECIMAL')) return 'DOUBLE';
  if (duckdbType.startsWith('TIMESTAMP')) return 'TIMESTAMP';
  if (duckdbType === 'DATE') return 'DATE';
  if (duckdbType === 'TIME') return 'TIME';
  if (duckdbType === 'INTERVAL') return 'INTERVAL_DAY_TO_SECOND';
  return 'UNKNOWN';
};

const formatScalar = (value: unknown, scalarType: string): Datum => {
  if (value === null || value === undefined) return { NullValue: true };
  switch (scalarType) {
    case 'TIMESTAMP': {
      const ns = timestampNanos(value);
      return { ScalarValue: ns === undefined ? String(value) : formatTimestampNs(ns) };
    }
    case 'DOUBLE':
      return { ScalarValue: typeof value === 'number' ? formatDouble(value) : String(value) };
    case 'INTERVAL_DAY_TO_SECOND': {
      const interval = value as { days?: number; micros?: bigint };
      const micros = interval.micros ?? 0n;
      const seconds = micros / 1_000_000n;
      const hms = `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}`;
      return { ScalarValue: `${interval.days ?? 0} ${hms}.${pad((micros % 1_000_000n) * 1000n, 9)}` };
    }
    default:
      return { ScalarValue: String(value) };
  }
};

const rowBytes = (row: Row): number => Buffer.byteLength(JSON.stringify(row));

/** LIKE pattern (`%`, `_`) to an anchored regular expression. */
const likeToRegExp = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replaceAll('%', '.*')
      .replaceAll('_', '.')}$`,
    's',
  );

const VARCHAR: ColumnType = { ScalarType: 'VARCHAR' };

export class QueryService {
  private readonly cursors = new Map<string, Cursor>();
  public readonly metering: QueryMetering = { queries: 0, bytesScanned: 0, bytesMetered: 0 };

  public constructor(
    private readonly store: TimestreamStore,
    private readonly options: QueryOptions = {},
  ) {}

  public async query(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const queryString = request.QueryString;
    // Its length is checked by translateQuery, in code points as the service model counts them.
    if (typeof queryString !== 'string') {
      throw validationError(
        "1 validation error detected: Value null at 'queryString' failed to satisfy constraint: Member must not be null",
      );
    }
    const maxRows = request.MaxRows;
    if (
      maxRows !== undefined &&
      (typeof maxRows !== 'number' ||
        !Number.isInteger(maxRows) ||
        maxRows < 1 ||
        maxRows > MAX_ROWS_PER_PAGE)
    ) {
      throw validationError(
        `1 validation error detected: Value '${String(maxRows)}' at 'maxRows' failed to satisfy constraint: Member must have value between 1 and ${MAX_ROWS_PER_PAGE}`,
      );
    }
    const nextToken = request.NextToken;
    this.expireCursors();
    if (nextToken !== undefined) {
      const cursor = typeof nextToken === 'string' ? this.cursors.get(nextToken) : undefined;
      // A token is bound to its query string, as the service binds it.
      if (cursor === undefined || cursor.queryString !== queryString)
        throw validationError('Invalid pagination token');
      this.cursors.delete(nextToken as string);
      return this.page(cursor, maxRows as number | undefined, false);
    }

    const statement = translateQuery(
      queryString,
      this.store,
      BigInt(Math.trunc(this.store.now())) * 1_000_000n,
    );
    const { columnInfo, rows, bytesScanned } = await this.execute(statement);
    this.metering.queries++;
    this.metering.bytesScanned += bytesScanned;
    this.metering.bytesMetered += Math.max(MIN_BYTES_METERED, bytesScanned);
    const cursor: Cursor = {
      queryString,
      queryId: queryId(),
      columnInfo,
      rows,
      bytesScanned,
      offset: 0,
      expiresAt: this.store.now() + CURSOR_TTL_MS,
    };
    return this.page(cursor, maxRows as number | undefined, this.options.emptyFirstPage === true);
  }

  public cancelQuery(request: Record<string, unknown>): Record<string, unknown> {
    const id = request.QueryId;
    if (typeof id !== 'string' || !/^[a-zA-Z0-9]{1,64}$/.test(id)) {
      throw validationError(
        "1 validation error detected: Value at 'queryId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9]+",
      );
    }
    for (const [token, cursor] of this.cursors) if (cursor.queryId === id) this.cursors.delete(token);
    return { CancellationMessage: `Query ${id} was cancelled.` };
  }

  private page(cursor: Cursor, maxRows: number | undefined, empty: boolean): Record<string, unknown> {
    const rows: Row[] = [];
    if (!empty) {
      let bytes = 0;
      // Without MaxRows the service fills a page up to 1 MB, whatever the row count (timestream.md).
      const limit = maxRows ?? this.options.pageRows ?? Number.POSITIVE_INFINITY;
      while (cursor.offset < cursor.rows.length && rows.length < limit) {
        const row = cursor.rows[cursor.offset] as Row;
        const size = rowBytes(row);
        if (size > MAX_PAGE_BYTES) {
          throw validationError(
            'Query aborted as max page response size has been exceeded by the output result row',
          );
        }
        if (rows.length > 0 && bytes + size > MAX_PAGE_BYTES) break;
        rows.push(row);
        bytes += size;
        cursor.offset++;
      }
    }
    const done = cursor.offset >= cursor.rows.length && !empty;
    const response: Record<string, unknown> = {
      QueryId: cursor.queryId,
      Rows: rows,
      ColumnInfo: cursor.columnInfo,
      QueryStatus: {
        ProgressPercentage: done ? 100 : (100 * cursor.offset) / Math.max(1, cursor.rows.length),
        CumulativeBytesScanned: cursor.bytesScanned,
        CumulativeBytesMetered: Math.max(MIN_BYTES_METERED, cursor.bytesScanned),
      },
    };
    if (!done) {
      if (this.cursors.size >= MAX_CURSORS) this.cursors.delete(this.cursors.keys().next().value as string);
      const token = randomBytes(24).toString('base64url');
      this.cursors.set(token, cursor);
      response.NextToken = token;
    }
    return response;
  }

  private expireCursors(): void {
    const now = this.store.now();
    for (const [token, cursor] of this.cursors) if (cursor.expiresAt < now) this.cursors.delete(token);
  }

  private async execute(
    statement: Statement,
  ): Promise<{ columnInfo: ColumnInfo[]; rows: Row[]; bytesScanned: number }> {
    switch (statement.kind) {
      case 'describe': {
        const t = statement.table;
        const rows: [string, string, string][] = [
          ...t.dimensions.map((d): [string, string, string] => [d, 'varchar', 'DIMENSION']),
          ['measure_name', 'varchar', 'MEASURE_NAME'],
          ['time', 'timestamp', 'TIMESTAMP'],
          ...t.measureValueColumns.map((c): [string, string, string] => [
            c,
            MEASURE_VALUE_TYPE[c].toLowerCase(),
            'MEASURE_VALUE',
          ]),
          ...t.multiMeasureColumns.map((c): [string, string, string] => [
            c.name,
            c.type.toLowerCase(),
            'MULTI',
          ]),
        ];
        return {
          columnInfo: ['Column', 'Type', 'Timestream attribute type'].map((Name) => ({
            Name,
            Type: VARCHAR,
          })),
          rows: rows.map((r) => ({ Data: r.map((v) => ({ ScalarValue: v })) })),
          bytesScanned: 0,
        };
      }
      case 'show-measures': {
        const t = statement.table;
        const like = statement.like === undefined ? undefined : likeToRegExp(statement.like);
        const measures = this.store
          .measuresOf(t.database, t.table)
          .filter((m) => like === undefined || like.test(m.name));
        const dimensionRow: ColumnType = {
          RowColumnInfo: [
            { Name: 'dimension_name', Type: VARCHAR },
            { Name: 'data_type', Type: VARCHAR },
          ],
        };
        return {
          columnInfo: [
            { Name: 'measure_name', Type: VARCHAR },
            { Name: 'data_type', Type: VARCHAR },
            { Name: 'dimensions', Type: { ArrayColumnInfo: { Type: dimensionRow } } },
          ],
          rows: measures.map((m) => ({
            Data: [
              { ScalarValue: m.name },
              { ScalarValue: m.type },
              {
                ArrayValue: m.dimensions.map((d) => ({
                  RowValue: { Data: [{ ScalarValue: d }, { ScalarValue: 'varchar' }] },
                })),
              },
            ],
          })),
          bytesScanned: 0,
        };
      }
      case 'select': {
        const duckdb = await this.store.forReading();
        let result: Awaited<ReturnType<typeof duckdb.runAndReadAll>>;
        try {
          result = await duckdb.runAndReadAll(statement.sql);
        } catch (error) {
          // What DuckDB refuses at run time (an RE2 pattern Java would accept, a bad cast) is the
          // caller's query, not the service's fault: a ValidationException, never a 500.
          throw new TimestreamError(
            'ValidationException',
            `Query could not be executed: ${firstLine(error)}`,
          );
        }
        const names = result.columnNames();
        const types = result.columnTypes().map((type) => scalarTypeOf(String(type)));
        const columnInfo = names.map((Name, i) => ({ Name, Type: { ScalarType: types[i] as string } }));
        const rows = result
          .getRows()
          .map((values) => ({ Data: values.map((value, i) => formatScalar(value, types[i] as string)) }));
        const t = statement.table;
        const bytesScanned =
          t === undefined ? 0 : (this.store.tableStatistics(t.database, t.table)?.storedBytes ?? 0);
        return { columnInfo, rows, bytesScanned };
      }
    }
  }
}

const firstLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
