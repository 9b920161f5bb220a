/**
 * timestream-local: a local Amazon Timestream for LiveAnalytics for tests and for running the
 * connector without an AWS account. Start it in-process with `startTimestreamLocal`, or with the
 * `timestream-local` CLI.
 */
import { type FaultRule, type FaultSettings, NO_FAULTS, parseFaultRule } from './faults.js';
import { EmulatorServer, type LogLevel, type Metering, type RecentRequest } from './server.js';
import { TimestreamStore } from './store.js';

export { type FaultRule, type FaultSettings, parseFaultRule } from './faults.js';
export { formatDouble } from './query.js';
export type { LogLevel, Metering, RecentRequest } from './server.js';
export { formatTimestampNs as formatTimestamp } from './sql/format.js';

export interface TimestreamLocalOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 8000; 0 picks a free port */
  readonly port?: number;
  /** Directory to persist databases, tables and rows in; in memory when undefined. */
  readonly dataDir?: string;
  /** Tables to create at start (with their databases), as `db.table`. */
  readonly create?: readonly string[];
  /** @default no latency, throttling or errors */
  readonly faults?: Partial<FaultSettings>;
  /** Answer the first page of every query empty, with a NextToken, as the service sometimes does. @default false */
  readonly emptyFirstPage?: boolean;
  /** Rows per page when a query does not set MaxRows, to force pagination in tests. @default pages filled up to 1 MB, as the service does */
  readonly pageRows?: number | undefined;
  /** @default 'warn' */
  readonly logLevel?: LogLevel;
  /** The service's clock in epoch milliseconds (retention windows, ago(), now()). @default Date.now */
  readonly now?: () => number;
}

export interface TimestreamLocal {
  /** `http://host:port`: give it to the SDK clients as `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  /** Adds a fault rule, as `POST /__admin/faults` does. */
  readonly setFault: (rule: Partial<Omit<FaultRule, 'until'>> & { readonly durationMs?: number }) => void;
  readonly clearFaults: () => void;
  /** Requests seen, newest last, with the access key id each was signed with. */
  readonly requests: () => readonly RecentRequest[];
  readonly metering: () => Metering;
  readonly resetMetering: () => void;
  readonly stop: () => Promise<void>;
}

/** Starts the emulator and resolves once it listens. */
export const startTimestreamLocal = async (
  options: TimestreamLocalOptions = {},
): Promise<TimestreamLocal> => {
  const host = options.host ?? '127.0.0.1';
  const store = await TimestreamStore.open({
    dataDir: options.dataDir,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  for (const name of options.create ?? []) {
    const dot = name.indexOf('.');
    if (dot < 1 || dot === name.length - 1) throw new Error(`--create expects DB.TABLE, got "${name}"`);
    const database = name.slice(0, dot);
    const table = name.slice(dot + 1);
    if (store.lookup(database, table) === 'no-database') store.createDatabase(database, undefined);
    if (store.lookup(database, table) === 'no-table')
      await store.createTable({ DatabaseName: database, TableName: table });
  }
  const server = new EmulatorServer(store, {
    faults: { ...NO_FAULTS, ...options.faults },
    emptyFirstPage: options.emptyFirstPage ?? false,
    pageRows: options.pageRows,
    logLevel: options.logLevel ?? 'warn',
  });
  let address: { port: number };
  try {
    address = await server.listen(options.port ?? 8000, host);
  } catch (error) {
    store.close();
    throw error;
  }
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    endpoint: `http://${hostInUrl}:${address.port}`,
    port: address.port,
    setFault: (rule) => server.setFault(parseFaultRule({ ...rule }, store.now())),
    clearFaults: () => server.clearFaults(),
    requests: () => server.requests,
    metering: () => server.currentMetering,
    resetMetering: () => server.resetMetering(),
    stop: async () => {
      await server.close();
      store.close();
    },
  };
};
