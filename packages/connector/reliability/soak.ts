/**
 * Fault-injection soak: real Prometheus 2.42 scrapes node-exporter and itself every second and
 * remote-writes to the connector (its CLI, a child process), which writes to the emulator through
 * a TCP proxy. In every cycle the emulator throttles 20 % of WriteRecords calls and fails 5 % with
 * 500s, adds 3 s latency spikes, and the proxy refuses connections for 10 s. Afterwards every
 * sample in Prometheus's own TSDB for the window must be in the emulator exactly once, and the
 * connector must never have answered a 4xx (Prometheus drops a batch for good on a 4xx).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Emulator } from '../support/cli-processes.js';
import { DATABASE, startConnectorProcess, startEmulatorProcess, TABLE } from '../support/cli-processes.js';
import { readTimestreamSamples } from '../support/connector-stack.js';
import {
  readPrometheusSamples,
  scrapeMetrics,
  startNodeExporter,
  startPrometheus,
  Workspace,
  waitUntilPrometheusSentEverything,
} from '../support/peers.js';
import { runUntil } from '../support/processes.js';
import {
  compareSeries,
  type ExposedSample,
  metricSum,
  metricValues,
  type SeriesSamples,
  storableSamples,
} from '../support/samples.js';

/** One cycle of faults; the bounded run has a few, the long run many. */
const CYCLE_MS = 60_000;
/** Offsets within a cycle. */
const FAULTS_FROM_MS = 10_000;
const SPIKE_AT_MS = 25_000;
const SPIKE_MS = 5_000;
const SPIKE_LATENCY_MS = 3_000;
const OUTAGE_AT_MS = 40_000;
const OUTAGE_MS = 10_000;
const THROTTLE_RATE = 0.2;
const ERROR_RATE = 0.05;
/** Every target scraped a few times before the compared window opens. */
const WARM_UP_MS = 5_000;
const WINDOW_END_MARGIN_MS = 3_000;

/** Credentials the soak's Prometheus sends (passthrough); the log scan looks for the secret. */
export const SOAK_ACCESS_KEY_ID = 'AKIDRELIABILITYSOAK';
export const SOAK_SECRET_ACCESS_KEY = 'soak-secret-7f3a9c1e5b';

/** A TCP proxy in front of the emulator that can refuse connections (nothing listens) for a while. */
export interface OutageProxy {
  readonly endpoint: string;
  readonly down: () => Promise<void>;
  readonly up: () => Promise<void>;
  readonly close: () => Promise<void>;
  readonly connections: () => number;
}

export const startOutageProxy = async (target: string): Promise<OutageProxy> => {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  let accepted = 0;
  const listen = (server: Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const newServer = (): Server =>
    createServer((client) => {
      accepted++;
      const server = connect(Number(upstream.port), upstream.hostname);
      for (const socket of [client, server]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          server.destroy();
        });
      }
      client.pipe(server).pipe(client);
    });
  let server: Server | undefined = newServer();
  const port = await listen(server, 0);
  const stop = async (): Promise<void> => {
    const closing = server;
    server = undefined;
    if (closing === undefined) return;
    const closed = new Promise<void>((resolve) => closing.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    down: stop,
    up: async () => {
      if (server !== undefined) return;
      server = newServer();
      await listen(server, port);
    },
    close: stop,
    connections: () => accepted,
  };
};

export interface SoakOptions {
  readonly cycles: number;
  readonly log: (line: string) => void;
  /** Keeps the workspace (logs, Prometheus TSDB) for inspection. */
  readonly keep?: boolean;
}

export interface SoakFigures {
  readonly cycles: number;
  readonly faultSeconds: number;
  readonly window: { readonly from: number; readonly to: number; readonly seconds: number };
  readonly series: number;
  /** Samples of the window in Prometheus's TSDB that Timestream can store. */
  readonly samplesExpected: number;
  /** Excluded from the expectation as documented (non-finite values, unstorable series). */
  readonly samplesExcluded: number;
  readonly samplesStored: number;
  readonly samplesMissing: number;
  readonly samplesDuplicated: number;
  readonly samplesUnexpected: number;
  readonly mismatchingSeries: number;
  readonly mismatchExamples: readonly string[];
  readonly prometheus: {
    readonly samplesSent: number;
    readonly samplesRetried: number;
    readonly samplesFailed: number;
    readonly samplesDropped: number;
  };
  /** The connector's write answers, `code → count`. */
  readonly connectorWriteAnswers: Readonly<Record<string, number>>;
  readonly connectorWrite4xx: number;
  readonly emulator: {
    readonly throttled: number;
    readonly errors: number;
    readonly writeCalls: number;
    /** Records acknowledged, identical resends included. */
    readonly recordsAcknowledged: number;
    readonly recordsRejected: number;
  };
  readonly proxyConnections: number;
  readonly outages: number;
  readonly passed: boolean;
  /** The workspace holding every process's log, for the log scan. */
  readonly logs: readonly string[];
}

/** Samples repeated within a series (same timestamp twice): never expected from Timestream. */
const duplicatedSamples = (samples: SeriesSamples): number => {
  let duplicated = 0;
  for (const series of samples.values()) {
    const seen = new Set<number>();
    for (const sample of series) {
      if (seen.has(sample.t)) duplicated++;
      seen.add(sample.t);
    }
  }
  return duplicated;
};

/** Expected samples absent from `actual`, and samples of `actual` nobody expected. */
const missingAndUnexpected = (
  expected: SeriesSamples,
  actual: SeriesSamples,
): { missing: number; unexpected: number } => {
  let missing = 0;
  let unexpected = 0;
  for (const [key, want] of expected) {
    const got = new Set((actual.get(key) ?? []).map((sample) => sample.t));
    for (const sample of want) if (!got.has(sample.t)) missing++;
  }
  for (const [key, got] of actual) {
    const want = new Set((expected.get(key) ?? []).map((sample) => sample.t));
    for (const sample of new Set(got.map((s) => s.t))) if (!want.has(sample)) unexpected++;
  }
  return { missing, unexpected };
};

const writeAnswers = (metrics: readonly ExposedSample[]): Record<string, number> => {
  const answers: Record<string, number> = {};
  for (const sample of metricValues(metrics, 'timestream_connector_http_requests_total')) {
    if (sample.labels.handler === 'write') answers[sample.labels.code ?? '?'] = sample.value;
  }
  return answers;
};

interface Metering {
  readonly faults: { readonly throttled: number; readonly errors: number };
  readonly writes: {
    readonly calls: number;
    readonly recordsIngested: number;
    readonly recordsRejected: number;
  };
}

/** Runs `cycles` fault cycles, then checks that nothing was lost or stored twice. */
export const runSoak = async (options: SoakOptions): Promise<SoakFigures> => {
  const { log } = options;
  const workspace = new Workspace('reliability-soak');
  let proxy: OutageProxy | undefined;
  try {
    const emulator: Emulator = await startEmulatorProcess(workspace);
    proxy = await startOutageProxy(emulator.endpoint);
    const connector = await startConnectorProcess(workspace, { ...emulator, endpoint: proxy.endpoint }, [
      // Every request logged, label values of skipped series too: the log scan reads all of it.
      '--log.level=debug',
      // Three attempts per call instead of ten, so faults also reach Prometheus (503, the batch
      // resent, its records partly stored already) rather than all being absorbed by SDK retries.
      '--max-write-retries=3',
    ]);
    const nodeExporter = await startNodeExporter(workspace);
    const prometheus = await startPrometheus(
      workspace,
      { nodeExporter: nodeExporter.target },
      { url: `${connector.url}/write`, username: SOAK_ACCESS_KEY_ID, password: SOAK_SECRET_ACCESS_KEY },
    );
    const peers = [emulator.process, connector.process, nodeExporter.process, prometheus.process];
    const readyAt = Date.now();
    let outages = 0;
    const faults = (body: unknown) => emulator.admin('/__admin/faults', 'POST', body);
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      const start = Date.now();
      const at = (offset: number) => runUntil(start + offset, peers);
      await emulator.admin('/__admin/faults', 'DELETE');
      await at(FAULTS_FROM_MS);
      await faults({ operation: 'WriteRecords', throttleRate: THROTTLE_RATE, errorRate: ERROR_RATE });
      await at(SPIKE_AT_MS);
      await faults({
        operation: 'WriteRecords',
        throttleRate: THROTTLE_RATE,
        errorRate: ERROR_RATE,
        latencyMs: SPIKE_LATENCY_MS,
        durationMs: SPIKE_MS,
      });
      await at(OUTAGE_AT_MS);
      await proxy.down();
      outages++;
      await at(OUTAGE_AT_MS + OUTAGE_MS);
      await proxy.up();
      await at(CYCLE_MS);
      const metering = (await emulator.admin('/__admin/metering')) as Metering;
      const metrics = await scrapeMetrics(`${prometheus.url}/metrics`);
      log(
        `soak: cycle ${cycle + 1}/${options.cycles}: Prometheus sent ${metricSum(metrics, 'prometheus_remote_storage_samples_total')} samples, ` +
          `retried ${metricSum(metrics, 'prometheus_remote_storage_samples_retried_total')}, pending ${metricSum(metrics, 'prometheus_remote_storage_samples_pending')}; ` +
          `emulator throttled ${metering.faults.throttled}, failed ${metering.faults.errors} calls`,
      );
    }
    await emulator.admin('/__admin/faults', 'DELETE');
    const scrapingStopped = Date.now();
    await prometheus.stopScraping();
    const senderMetrics = await waitUntilPrometheusSentEverything(prometheus);
    const from = readyAt + WARM_UP_MS;
    const to = scrapingStopped - WINDOW_END_MARGIN_MS;

    const reference = await readPrometheusSamples(prometheus, from, to);
    const { expected, excluded } = storableSamples(reference);
    const actual = await readTimestreamSamples(emulator.endpoint, from, to, {
      database: DATABASE,
      table: TABLE,
    });
    const comparison = compareSeries(expected, actual);
    const { missing, unexpected } = missingAndUnexpected(expected, actual);
    const duplicated = duplicatedSamples(actual);
    const connectorMetrics = await scrapeMetrics(`${connector.url}/metrics`);
    const answers = writeAnswers(connectorMetrics);
    const write4xx = Object.entries(answers)
      .filter(([code]) => code.startsWith('4'))
      .reduce((sum, [, count]) => sum + count, 0);
    const metering = (await emulator.admin('/__admin/metering')) as Metering;
    const remote = { remote_name: 'timestream' };
    const prometheusFigures = {
      samplesSent: metricSum(senderMetrics, 'prometheus_remote_storage_samples_total', remote),
      samplesRetried: metricSum(senderMetrics, 'prometheus_remote_storage_samples_retried_total', remote),
      samplesFailed: metricSum(senderMetrics, 'prometheus_remote_storage_samples_failed_total', remote),
      samplesDropped: metricSum(senderMetrics, 'prometheus_remote_storage_samples_dropped_total', remote),
    };
    const passed =
      comparison.mismatchingSeries === 0 &&
      missing === 0 &&
      duplicated === 0 &&
      unexpected === 0 &&
      write4xx === 0 &&
      prometheusFigures.samplesFailed === 0 &&
      prometheusFigures.samplesDropped === 0 &&
      comparison.expectedSamples > 0;
    return {
      cycles: options.cycles,
      faultSeconds: (options.cycles * (CYCLE_MS - FAULTS_FROM_MS)) / 1000,
      window: { from, to, seconds: (to - from) / 1000 },
      series: expected.size,
      samplesExpected: comparison.expectedSamples,
      samplesExcluded: excluded.nonFinite + excluded.unstorableSamples,
      samplesStored: comparison.actualSamples,
      samplesMissing: missing,
      samplesDuplicated: duplicated,
      samplesUnexpected: unexpected,
      mismatchingSeries: comparison.mismatchingSeries,
      mismatchExamples: comparison.examples,
      prometheus: prometheusFigures,
      connectorWriteAnswers: answers,
      connectorWrite4xx: write4xx,
      emulator: {
        throttled: metering.faults.throttled,
        errors: metering.faults.errors,
        writeCalls: metering.writes.calls,
        recordsAcknowledged: metering.writes.recordsIngested,
        recordsRejected: metering.writes.recordsRejected,
      },
      proxyConnections: proxy.connections(),
      outages,
      passed,
      logs: [connector.process.log(), emulator.process.log(), prometheus.process.log()],
    };
  } finally {
    await proxy?.close();
    await workspace.stop(options.keep);
  }
};
