/**
 * The system under test: the Timestream emulator (database and table created) and a connector in
 * front of it. The end-to-end suites take the connector as a target: here the standalone server,
 * in-process, built exactly as the CLI builds it (flags → frozen config → client pool, logger,
 * metrics, core handler, node:http server); the infra package adds the deployed Lambda asset.
 */
import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { startTimestreamLocal, type TimestreamLocal } from '@prometheus-timestream/timestream-local';
import { type ClientPool, createClientPool } from '../src/clients.js';
import { readFlags } from '../src/config.js';
import { createConnector } from '../src/handler.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { startServer } from '../src/server.js';
import { httpGet } from './processes.js';
import {
  addSample,
  type ExposedSample,
  parseExposition,
  type SeriesSamples,
  seriesKey,
  sortSamples,
} from './samples.js';

export const DATABASE = 'PrometheusE2E';
export const TABLE = 'Samples';

/** Passthrough auth: the sender's basic-auth username and password are the AWS key pair. */
export const ACCESS_KEY_ID = 'AKIDE2EWRITEPATH';
export const SECRET_ACCESS_KEY = 'e2e-secret-access-key';

export interface ConnectorStack {
  readonly emulator: TimestreamLocal;
  /** `<connector>/write` */
  readonly writeUrl: string;
  /** `<connector>/read` */
  readonly readUrl: string;
  /** Connector log lines at warn and above (each request answered 4xx or 5xx logs one). */
  readonly warnings: string[];
  /**
   * The connector's metrics, at least `timestream_connector_http_requests_total{handler,code}`
   * (`handler` is `write` or `read`).
   */
  readonly metrics: () => Promise<ExposedSample[]>;
  readonly stop: () => Promise<void>;
}

/** A way to run the connector that the end-to-end suites drive. */
export interface ConnectorTarget {
  /** Named in the suites' titles. */
  readonly name: string;
  /** @param flags - the connector's command-line options beyond destination, endpoints, address and log level */
  readonly start: (flags?: readonly string[]) => Promise<ConnectorStack>;
}

/** The emulator with the suites' database and table. */
export const startE2EEmulator = (): Promise<TimestreamLocal> =>
  startTimestreamLocal({ port: 0, create: [`${DATABASE}.${TABLE}`], logLevel: 'error' });

export const startConnectorStack = async (flags: readonly string[] = []): Promise<ConnectorStack> => {
  const emulator = await startE2EEmulator();
  let clients: ClientPool | undefined;
  try {
    const config = readFlags(
      [
        `--default-database=${DATABASE}`,
        `--default-table=${TABLE}`,
        `--write-base-endpoint=${emulator.endpoint}`,
        `--query-base-endpoint=${emulator.endpoint}`,
        '--web.listen-address=127.0.0.1:0',
        '--log.level=warn',
        ...flags,
      ],
      {},
    );
    const warnings: string[] = [];
    const logger = createLogger({
      level: config.logLevel,
      format: config.logFormat,
      enabled: config.enableLogging,
      write: (line) => warnings.push(line),
    });
    const metrics = createMetrics();
    clients = createClientPool(config);
    const pool = clients;
    const server = await startServer(config, {
      connector: createConnector(config, { clients: pool, logger, metrics }),
      logger,
      metrics,
    });
    return {
      emulator,
      writeUrl: `${server.url}/write`,
      readUrl: `${server.url}/read`,
      warnings,
      metrics: async () => parseExposition(await httpGet(`${server.url}/metrics`)),
      stop: async () => {
        await server.close(5_000);
        pool.destroy();
        await emulator.stop();
      },
    };
  } catch (error) {
    clients?.destroy();
    await emulator.stop();
    throw error;
  }
};

export const standaloneServer: ConnectorTarget = {
  name: 'the standalone server',
  start: startConnectorStack,
};

/** `YYYY-MM-DD HH:MM:SS.fffffffff` (UTC) → epoch ms; throws for sub-millisecond digits. */
export const parseTimestreamTime = (text: string): number => {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})(\d{6})$/.exec(text);
  if (match === null) throw new Error(`unexpected Timestream time "${text}"`);
  const [, year, month, day, hour, minute, second, ms, rest] = match.map(Number) as number[];
  if (rest !== 0) throw new Error(`Timestream time "${text}" is not a whole millisecond`);
  return (
    Date.UTC(
      year as number,
      (month as number) - 1,
      day as number,
      hour as number,
      minute as number,
      second as number,
    ) + (ms as number)
  );
};

const TIMESTREAM_COLUMNS = new Set(['measure_name', 'time', 'measure_value::double']);

/**
 * Every sample the emulator holds with `from <= time <= to` (ms), read back through the real
 * Timestream Query SDK with `SELECT *`, paginated: series keyed by their labels (`measure_name` as
 * `__name__`, every non-NULL dimension column as a label).
 */
export const readTimestreamSamples = async (
  endpoint: string,
  from: number,
  to: number,
  destination: { readonly database: string; readonly table: string } = { database: DATABASE, table: TABLE },
): Promise<SeriesSamples> => {
  const client = new TimestreamQueryClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDE2EREADER', secretAccessKey: 'reader-secret' },
  });
  const samples: SeriesSamples = new Map();
  try {
    const query = `SELECT * FROM "${destination.database}"."${destination.table}" WHERE time BETWEEN from_milliseconds(${from}) AND from_milliseconds(${to})`;
    let nextToken: string | undefined;
    do {
      const page = await client.send(new QueryCommand({ QueryString: query, NextToken: nextToken }));
      const columns = (page.ColumnInfo ?? []).map((column) => column.Name ?? '');
      for (const column of columns) {
        if (column.startsWith('measure_value::') && column !== 'measure_value::double')
          throw new Error(`unexpected measure column ${column}: the connector writes only DOUBLE measures`);
      }
      for (const row of page.Rows ?? []) {
        const labels: Record<string, string> = {};
        let time: string | undefined;
        let value: string | undefined;
        (row.Data ?? []).forEach((datum, i) => {
          const column = columns[i] as string;
          const text = datum.NullValue === true ? undefined : datum.ScalarValue;
          if (column === 'time') time = text;
          else if (column === 'measure_value::double') value = text;
          else if (column === 'measure_name') {
            if (text !== undefined) labels.__name__ = text;
          } else if (!TIMESTREAM_COLUMNS.has(column) && text !== undefined) labels[column] = text;
        });
        if (time === undefined || value === undefined)
          throw new Error(`row without time or double value: ${JSON.stringify(row)}`);
        addSample(samples, seriesKey(labels), { t: parseTimestreamTime(time), v: Number(value) });
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
  } finally {
    client.destroy();
  }
  return sortSamples(samples);
};
