import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import {
  compressSnappyBlock,
  encodeReadRequest,
  encodeWriteRequestV1,
  encodeWriteRequestV2,
  type ReadRequestInput,
  type SeriesInput,
  WRITE_CONTENT_TYPES,
} from '@prometheus-timestream/codec';
import {
  startTimestreamLocal,
  type TimestreamLocal,
  type TimestreamLocalOptions,
} from '@prometheus-timestream/timestream-local';
import { createClientPool } from '../src/clients.js';
import { type ConnectorConfig, readFlags } from '../src/config.js';
import { type Connector, type CoreRequest, type CoreResponse, createConnector } from '../src/handler.js';
import type { Logger } from '../src/logger.js';
import { type ConnectorMetrics, createMetrics } from '../src/metrics.js';
import { capturingLogger } from './logs.js';

export const DATABASE = 'prom';
export const TABLE = 'metrics';

export const basicAuth = (accessKeyId = 'AKIDCALLER1', password = 'secret-1'): string =>
  `Basic ${Buffer.from(`${accessKeyId}:${password}`).toString('base64')}`;

export interface Harness {
  readonly emulator: TimestreamLocal;
  readonly config: ConnectorConfig;
  readonly connector: Connector;
  readonly metrics: ConnectorMetrics;
  readonly logger: Logger;
  /** Every log line the connector wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  /** POSTs to the core handler with the headers Prometheus sends, routed as Lambda routes (`stage-prefix`). */
  readonly post: (
    body: Uint8Array,
    headers?: Record<string, string | undefined>,
    path?: string,
  ) => Promise<CoreResponse>;
  readonly handle: (request: CoreRequest, deadlineMs?: number) => Promise<CoreResponse>;
  /** Runs Timestream SQL against the emulator through the real query client, every page. */
  readonly query: (sql: string) => Promise<Record<string, string | null>[]>;
  readonly stop: () => Promise<void>;
}

export interface HarnessOptions {
  readonly flags?: readonly string[];
  readonly emulator?: TimestreamLocalOptions;
  /** Points the connector at this endpoint instead of the emulator (a proxy, a closed port). */
  readonly writeEndpoint?: (emulatorEndpoint: string) => string;
}

export const startHarness = async (options: HarnessOptions = {}): Promise<Harness> => {
  const emulator = await startTimestreamLocal({
    port: 0,
    logLevel: 'error',
    create: [`${DATABASE}.${TABLE}`],
    ...options.emulator,
  });
  const endpoint = options.writeEndpoint?.(emulator.endpoint) ?? emulator.endpoint;
  const config = readFlags(
    [
      `--default-database=${DATABASE}`,
      `--default-table=${TABLE}`,
      `--write-base-endpoint=${endpoint}`,
      `--query-base-endpoint=${emulator.endpoint}`,
      // The SDK's backoff makes 10 attempts slow; 2 keep fault tests quick and still retry once.
      '--max-write-retries=2',
      ...(options.flags ?? []),
    ],
    {},
  );
  const { logger, logs } = capturingLogger();
  const metrics = createMetrics();
  const clients = createClientPool(config, {
    ownCredentials: { accessKeyId: 'AKIDCONNECTOR', secretAccessKey: 'own' },
  });
  const connector = createConnector(config, { clients, logger, metrics });
  const queryClient = new TimestreamQueryClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDREADER', secretAccessKey: 'reader' },
  });
  const handle = (request: CoreRequest, deadlineMs = 30_000) =>
    connector.handle(request, {
      requestId: 'test',
      deadline: Date.now() + deadlineMs,
      routing: 'stage-prefix',
    });
  return {
    emulator,
    config,
    connector,
    metrics,
    logger,
    logs,
    handle,
    post: (body, headers = {}, path = '/write') =>
      handle({
        method: 'POST',
        path,
        headers: {
          ...V1_HEADERS,
          authorization: basicAuth(),
          ...headers,
        },
        body,
      }),
    query: async (sql) => {
      const rows: Record<string, string | null>[] = [];
      let nextToken: string | undefined;
      do {
        const page = await queryClient.send(
          new QueryCommand({ QueryString: sql, ...(nextToken ? { NextToken: nextToken } : {}) }),
        );
        const columns = (page.ColumnInfo ?? []).map((c) => c.Name ?? '');
        for (const row of page.Rows ?? []) {
          rows.push(Object.fromEntries(columns.map((name, i) => [name, row.Data?.[i]?.ScalarValue ?? null])));
        }
        nextToken = page.NextToken;
      } while (nextToken !== undefined);
      return rows;
    },
    stop: async () => {
      clients.destroy();
      queryClient.destroy();
      await emulator.stop();
    },
  };
};

/** A remote write 1.0 body as Prometheus sends it: snappy block of a WriteRequest. */
export const writeBody = (series: readonly SeriesInput[]): Uint8Array =>
  compressSnappyBlock(encodeWriteRequestV1({ series }));

export const writeBodyV2 = (series: readonly SeriesInput[]): Uint8Array =>
  compressSnappyBlock(encodeWriteRequestV2({ series }));

/** What Prometheus 2.42 sends with a remote-write 1.0 body. */
export const V1_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
};

/** What Prometheus sends with a remote-read request. */
export const READ_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-read-version': '0.1.0',
};

/** POSTs `request` to `/read` through the core handler, as Prometheus would (basic auth by default). */
export const postRead = (
  h: Harness,
  request: ReadRequestInput,
  headers: Record<string, string> = { ...READ_HEADERS, authorization: basicAuth() },
): Promise<CoreResponse> =>
  h.handle({ method: 'POST', path: '/read', headers, body: encodeReadRequest(request) });

export const V2_HEADERS = {
  'content-type': WRITE_CONTENT_TYPES['2.0'],
  'x-prometheus-remote-write-version': '2.0.0',
};

/** `count` node_exporter-like series, one sample each at `timestampMs`, values i * 1.5. */
export const nodeSeries = (count: number, timestampMs: number, job = 'node'): SeriesInput[] =>
  Array.from({ length: count }, (_, i) => ({
    labels: [
      { name: '__name__', value: `node_metric_${i % 7}` },
      { name: 'cpu', value: String(i) },
      { name: 'instance', value: 'host-1:9100' },
      { name: 'job', value: job },
    ],
    samples: [{ timestampMs, value: i * 1.5 }],
  }));

export const text = (response: CoreResponse): string =>
  typeof response.body === 'string' ? response.body : Buffer.from(response.body).toString('utf8');
