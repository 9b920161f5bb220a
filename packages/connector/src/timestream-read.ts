/**
 * The read path's Timestream side: which dimension columns the table has (a cached DESCRIBE),
 * every page of each query, and the rows gathered into Prometheus series.
 */

import { type ColumnInfo, QueryCommand, type TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import {
  type ChunkedReadSeries,
  compareUtf8,
  type FloatSample,
  type Label,
  METRIC_NAME_LABEL,
  type ReadQuery,
} from '@prometheus-timestream/codec';
import type { AuthMode } from './config.js';
import {
  BadRequestError,
  ConnectorError,
  DestinationMisconfiguredError,
  InvalidTimestreamAnswerError,
} from './errors.js';
import { type QueryPage, queryPageOf } from './query-answer.js';
import { buildReadSql, quoteIdentifier, type RegexDialect } from './read-query.js';
import { classifyTimestreamError, type Destination, sdkErrorOf } from './timestream-errors.js';
import { STALE_MARKER_DIMENSION } from './translate.js';

const MEASURE_NAME_COLUMN = 'measure_name';
const TIME_COLUMN = 'time';
const DOUBLE_COLUMN = 'measure_value::double';

/**
 * Least time between two DESCRIBEs prompted by a suspicion (a matcher on a label the cache does
 * not know, a marker column that may have appeared): a reader whose external labels are never
 * stored sends such a matcher with every query.
 */
const MIN_REFRESH_INTERVAL_MS = 5_000;

export interface TableColumns {
  /** Dimension columns that hold labels (never the staleness-marker column). */
  readonly dimensions: ReadonlySet<string>;
  /** The table holds staleness-marker records. */
  readonly staleMarkers: boolean;
  /** The table holds DOUBLE records at all; until it does, `measure_value::double` is no column. */
  readonly doubles: boolean;
}

export interface DimensionCache {
  /**
   * The table's columns for a query matching on `labelNames`: the cached list while it is
   * younger than the TTL and knows every name, else a fresh DESCRIBE.
   */
  readonly columnsFor: (
    client: TimestreamQueryClient,
    labelNames: readonly string[],
    signal: AbortSignal,
  ) => Promise<TableColumns>;
  /** A fresh DESCRIBE, whatever the cache holds (a query said a column does not exist). */
  readonly refresh: (client: TimestreamQueryClient, signal: AbortSignal) => Promise<TableColumns>;
  /**
   * Tells the cache the dimension names this process wrote (the staleness marker's included), so
   * a new label or the first marker is read at once.
   */
  readonly noteWritten: (dimensionNames: Iterable<string>) => void;
}

export interface DimensionCacheOptions {
  readonly ttlMs: number;
  /** Markers may be written (this deployment stores them): look for their column more often. */
  readonly expectMarkers: boolean;
  readonly now?: () => number;
}

/** Every page of a query, in order, until Timestream sends no NextToken (a page may be empty). */
const forEachPage = async (
  client: TimestreamQueryClient,
  sql: string,
  signal: AbortSignal,
  onPage: (page: QueryPage) => void,
): Promise<number> => {
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await client.send(
      new QueryCommand({ QueryString: sql, ...(nextToken === undefined ? {} : { NextToken: nextToken }) }),
      { abortSignal: signal },
    );
    pages++;
    const read = queryPageOf(page);
    onPage(read);
    nextToken = read.nextToken;
  } while (nextToken !== undefined);
  return pages;
};

const columnIndex = (columns: readonly ColumnInfo[], name: string): number =>
  columns.findIndex((column) => column.Name === name);

const describeTable = async (
  client: TimestreamQueryClient,
  destination: Destination,
  signal: AbortSignal,
): Promise<TableColumns> => {
  const dimensions = new Set<string>();
  let staleMarkers = false;
  let doubles = false;
  const sql = `DESCRIBE ${quoteIdentifier(destination.database)}.${quoteIdentifier(destination.table)}`;
  await forEachPage(client, sql, signal, (page) => {
    const nameAt = columnIndex(page.columns, 'Column');
    const kindAt = columnIndex(page.columns, 'Timestream attribute type');
    for (let row = 0; row < page.rowCount; row++) {
      const name = page.scalar(row, nameAt);
      const kind = page.scalar(row, kindAt);
      if (name === undefined) continue;
      if (kind === 'DIMENSION') {
        if (name === STALE_MARKER_DIMENSION) staleMarkers = true;
        else dimensions.add(name);
      } else if (name === DOUBLE_COLUMN) doubles = true;
    }
  });
  return { dimensions, staleMarkers, doubles };
};

export const createDimensionCache = (
  destination: Destination,
  options: DimensionCacheOptions,
): DimensionCache => {
  const now = options.now ?? Date.now;
  let cached: TableColumns | undefined;
  let fetchedAt = 0;
  let outdated = false;

  const refresh = async (client: TimestreamQueryClient, signal: AbortSignal): Promise<TableColumns> => {
    const started = now();
    const columns = await describeTable(client, destination, signal);
    cached = columns;
    fetchedAt = started;
    outdated = false;
    return columns;
  };

  return {
    columnsFor: (client, labelNames, signal) => {
      const age = now() - fetchedAt;
      if (cached === undefined || age >= options.ttlMs) return refresh(client, signal);
      if (outdated) return refresh(client, signal);
      const known = cached;
      const suspect =
        // Until the first marker exists, one may be written by another Lambda container any time.
        (options.expectMarkers && !known.staleMarkers) ||
        labelNames.some((name) => name !== METRIC_NAME_LABEL && !known.dimensions.has(name));
      if (suspect && age >= MIN_REFRESH_INTERVAL_MS) return refresh(client, signal);
      return Promise.resolve(known);
    },
    refresh,
    noteWritten: (dimensionNames) => {
      if (cached === undefined || outdated) return;
      for (const name of dimensionNames) {
        const known = name === STALE_MARKER_DIMENSION ? cached.staleMarkers : cached.dimensions.has(name);
        if (!known) {
          outdated = true;
          return;
        }
      }
    },
  };
};

export { parseTimestamp } from './query-answer.js';

interface LabelColumn {
  readonly name: string;
  readonly index: number;
}

interface CollectedSeries {
  readonly labels: readonly Label[];
  readonly samples: FloatSample[];
}

const compareLabelSets = (a: readonly Label[], b: readonly Label[]): number => {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a[i] as Label;
    const y = b[i] as Label;
    const order = compareUtf8(x.name, y.name) || compareUtf8(x.value, y.value);
    if (order !== 0) return order;
  }
  return a.length - b.length;
};

/** Ascending by time, one sample per timestamp (a sample wins over a marker at the same time). */
const sortedUnique = (samples: FloatSample[]): FloatSample[] => {
  let sorted = true;
  for (let i = 1; i < samples.length && sorted; i++)
    sorted = (samples[i - 1] as FloatSample).timestampMs < (samples[i] as FloatSample).timestampMs;
  if (sorted) return samples;
  samples.sort((a, b) => a.timestampMs - b.timestampMs || Number(a.stale) - Number(b.stale));
  const unique: FloatSample[] = [];
  for (const sample of samples)
    if (unique.length === 0 || (unique[unique.length - 1] as FloatSample).timestampMs !== sample.timestampMs)
      unique.push(sample);
  return unique;
};

/** The label columns' indices as runs of neighbours, `[first, last, first, last, …]`. */
const columnRuns = (labelColumns: readonly LabelColumn[]): number[] => {
  const indices = labelColumns.map(({ index }) => index).sort((a, b) => a - b);
  const runs: number[] = [];
  for (const index of indices) {
    if (runs.length > 0 && runs[runs.length - 1] === index - 1) runs[runs.length - 1] = index;
    else runs.push(index, index);
  }
  return runs;
};

/** Samples one request may return, shared by its queries; markers count as samples. */
export interface SampleBudget {
  readonly limit: number;
  used: number;
}

/**
 * Gathers rows into series by their full label set, across all pages: `__name__` from
 * `measure_name`, a NULL dimension is an absent label, labels sorted by name. Rows without a
 * DOUBLE value (another writer's types) are not samples; marker rows become StaleNaN.
 */
export const createSeriesCollector = (budget: SampleBudget) => {
  const series = new Map<string, CollectedSeries>();

  const add = (page: QueryPage): void => {
    if (page.rowCount === 0) return;
    const { columns } = page;
    const timeAt = columnIndex(columns, TIME_COLUMN);
    const valueAt = columnIndex(columns, DOUBLE_COLUMN);
    const markerAt = columnIndex(columns, STALE_MARKER_DIMENSION);
    const labelColumns: LabelColumn[] = [];
    columns.forEach((column, index) => {
      const name = column.Name ?? '';
      if (name === MEASURE_NAME_COLUMN) labelColumns.push({ name: METRIC_NAME_LABEL, index });
      else if (name !== TIME_COLUMN && name !== DOUBLE_COLUMN && name !== STALE_MARKER_DIMENSION)
        labelColumns.push({ name, index });
    });
    labelColumns.sort((a, b) => compareUtf8(a.name, b.name));
    if (timeAt < 0 || valueAt < 0)
      throw new InvalidTimestreamAnswerError(
        `Timestream answered without the ${TIME_COLUMN} and ${DOUBLE_COLUMN} columns`,
      );
    const seriesOf = (row: number): CollectedSeries => {
      // Length-prefixed values keep the key unambiguous whatever characters a value holds.
      let key = '';
      for (const { index } of labelColumns) {
        const value = page.scalar(row, index);
        key += value === undefined ? '|' : `${value.length}:${value}`;
      }
      let entry = series.get(key);
      if (entry === undefined) {
        const labels: Label[] = [];
        for (const { name, index } of labelColumns) {
          const value = page.scalar(row, index);
          if (value !== undefined && value !== '') labels.push({ name, value });
        }
        entry = { labels, samples: [] };
        series.set(key, entry);
      }
      return entry;
    };
    const runs = columnRuns(labelColumns);
    const sameSeries = (a: number, b: number): boolean => {
      for (let i = 0; i < runs.length; i += 2)
        if (!page.sameScalars(a, b, runs[i] as number, runs[i + 1] as number)) return false;
      return true;
    };

    // Rows of one series mostly come one after another: the previous row's series is tried first.
    let previousRow = -1;
    let previous: CollectedSeries | undefined;
    for (let row = 0; row < page.rowCount; row++) {
      const stale = markerAt >= 0 && page.isScalar(row, markerAt);
      if (!stale && !page.isScalar(row, valueAt)) continue;
      const entry = previous !== undefined && sameSeries(previousRow, row) ? previous : seriesOf(row);
      previous = entry;
      previousRow = row;
      if (++budget.used > budget.limit) {
        throw new BadRequestError(
          `remote read would return more than ${budget.limit} samples, the connector's limit (max-read-samples); query a shorter time range or fewer series`,
        );
      }
      entry.samples.push({
        timestampMs: page.timestampMs(row, timeAt),
        value: stale ? Number.NaN : page.double(row, valueAt),
        stale,
        startTimestampMs: 0,
      });
    }
  };

  return {
    add,
    /** The series, sorted by label set, each with ascending, unique timestamps. */
    finish: (): ChunkedReadSeries[] =>
      [...series.values()]
        .map(({ labels, samples: collected }) => ({ labels, samples: sortedUnique(collected) }))
        .sort((a, b) => compareLabelSets(a.labels, b.labels)),
  };
};

export interface ReadOptions {
  readonly destination: Destination;
  readonly dimensions: DimensionCache;
  readonly auth: AuthMode;
  readonly signal: AbortSignal;
  /** Samples the whole request may return. */
  readonly maxSamples: number;
  /** The reader's regex semantics. @default 'prometheus3' */
  readonly regexDialect?: RegexDialect;
}

export interface ReadOutcome {
  /** One entry per query, in query order. */
  readonly results: readonly (readonly ChunkedReadSeries[])[];
  readonly samples: number;
  readonly pages: number;
}

const COLUMN_MISSING = /Column '.*' does not exist/;
const DESTINATION_MISSING = /Requested database .* not found|Table '.*' does not exist/;

/** A Query or DESCRIBE failure as the answer Prometheus shows (a query warning). */
export const classifyReadError = (
  error: unknown,
  destination: Destination,
  auth: AuthMode,
): ConnectorError => {
  const classified = classifyTimestreamError(error, destination, auth, 'read');
  if (classified !== undefined) return classified;
  const message = sdkErrorOf(error).message ?? String(error);
  if (DESTINATION_MISSING.test(message)) {
    return new DestinationMisconfiguredError(
      `Timestream table "${destination.table}" of database "${destination.database}" does not exist; create it or fix default-database/default-table (${message})`,
      { cause: error },
    );
  }
  return new BadRequestError(`Timestream refused the query: ${message}`, { cause: error });
};

const isColumnMissing = (error: unknown): boolean => {
  const shape = sdkErrorOf(error);
  return shape.name === 'ValidationException' && COLUMN_MISSING.test(shape.message ?? '');
};

/**
 * Answers each remote-read query with one Timestream query, every page read, within the
 * request's budget. A query naming a column the table no longer has (a stale cache) is run once
 * more after a fresh DESCRIBE.
 *
 * @throws ConnectorError 400 for an untranslatable regex, a query Timestream refuses or a blown
 *   budget; 503 for throttling, failures, a passed deadline or a misconfigured destination
 */
export const readQueries = async (
  client: TimestreamQueryClient,
  queries: readonly ReadQuery[],
  options: ReadOptions,
): Promise<ReadOutcome> => {
  const { destination, auth, signal } = options;
  const results: ChunkedReadSeries[][] = [];
  const budget: SampleBudget = { limit: options.maxSamples, used: 0 };
  let pages = 0;
  const run = async (query: ReadQuery, columns: TableColumns): Promise<ChunkedReadSeries[]> => {
    // Without any DOUBLE record the table has no value column yet: nothing to read.
    if (!columns.doubles) return [];
    const collector = createSeriesCollector(budget);
    const sql = buildReadSql(
      query,
      destination,
      columns.dimensions,
      columns.staleMarkers ? STALE_MARKER_DIMENSION : undefined,
      options.regexDialect,
    );
    if (sql === undefined) return [];
    const used = budget.used;
    try {
      pages += await forEachPage(client, sql, signal, collector.add);
    } catch (error) {
      // The query may run again (a stale column): what it gathered so far is not returned.
      budget.used = used;
      throw error;
    }
    return collector.finish();
  };
  try {
    for (const query of queries) {
      const labelNames = query.matchers.map((matcher) => matcher.name);
      const columns = await options.dimensions.columnsFor(client, labelNames, signal);
      let result: ChunkedReadSeries[];
      try {
        result = await run(query, columns);
      } catch (error) {
        if (!isColumnMissing(error)) throw error;
        result = await run(query, await options.dimensions.refresh(client, signal));
      }
      results.push(result);
    }
  } catch (error) {
    if (error instanceof ConnectorError) throw error;
    throw classifyReadError(error, destination, auth);
  }
  return { results, samples: budget.used, pages };
};
