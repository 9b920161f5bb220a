/**
 * The real peers of the end-to-end tests: node-exporter (something to scrape), Prometheus 2.42,
 * Prometheus 3 and vmagent (the senders), and Prometheus's TSDB and VictoriaMetrics (the reference
 * stores), with what it takes to read their samples back and to know they have sent everything.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertRunning,
  freePort,
  httpGet,
  type ManagedProcess,
  requireBinary,
  requirePrometheus3,
  startProcess,
  waitFor,
  waitForHttp,
} from './processes.js';
import {
  addSample,
  type ExposedSample,
  metricSum,
  metricValues,
  parseExposition,
  parseGoFloat,
  type SeriesSamples,
  seriesKey,
  sortSamples,
} from './samples.js';

/** A temporary directory and the processes started in it, stopped in reverse order. */
export class Workspace {
  public readonly dir: string;
  private readonly processes: ManagedProcess[] = [];

  public constructor(prefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  }

  public path(name: string): string {
    return join(this.dir, name);
  }

  public start(
    name: string,
    command: string,
    args: readonly string[],
    options: { readonly cwd?: string; readonly group?: boolean } = {},
  ): ManagedProcess {
    const child = startProcess(name, command, args, {
      cwd: options.cwd ?? this.dir,
      logFile: this.path(`${name}.log`),
      ...(options.group === undefined ? {} : { group: options.group }),
    });
    this.processes.push(child);
    return child;
  }

  /** Stops every process (senders first: they were started last), then removes the directory. */
  public async stop(keep = process.env.E2E_KEEP_TMP !== undefined): Promise<void> {
    for (const child of [...this.processes].reverse()) await child.stop();
    this.processes.length = 0;
    if (keep) process.stderr.write(`e2e: kept ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Scrape every second: 60 s of scraping gives each series about 60 samples. */
export const SCRAPE_INTERVAL = '1s';

export interface NodeExporter {
  readonly process: ManagedProcess;
  /** `127.0.0.1:port` */
  readonly target: string;
}

export const startNodeExporter = async (workspace: Workspace): Promise<NodeExporter> => {
  const binary = requireBinary('prometheus-node-exporter');
  const port = await freePort();
  const child = workspace.start('node-exporter', binary, [
    `--web.listen-address=127.0.0.1:${port}`,
    // Needs systemd's D-Bus, which containers lack: it only logs an error on every scrape.
    '--no-collector.systemd',
    '--log.level=warn',
  ]);
  await waitForHttp(child, `http://127.0.0.1:${port}/metrics`);
  return { process: child, target: `127.0.0.1:${port}` };
};

/** The peer's `/metrics`, parsed. */
export const scrapeMetrics = async (url: string): Promise<ExposedSample[]> =>
  parseExposition(await httpGet(url, 10_000));

/** Lines of `log` that report a warning or an error, for failure messages. */
export const problemLines = (log: string, limit = 20): string[] =>
  log
    .split('\n')
    .filter((line) => /level=(warn|error)|\t(warn|error)\t/i.test(line))
    .slice(0, limit);

// ---------------------------------------------------------------------------------------------
// Prometheus: Debian's 2.42 and the 3.x release built by tests/e2e/peers/build-prometheus3.sh

/** A Prometheus release the suites run: its name in titles and reports, and its binary. */
export interface PrometheusRelease {
  readonly name: string;
  readonly major: 2 | 3;
  readonly binary: () => string;
}

export const PROMETHEUS_2: PrometheusRelease = {
  name: 'Prometheus 2.42',
  major: 2,
  binary: () => requireBinary('prometheus'),
};

/** The version build-prometheus3.sh pinned, read from the directory it built into. */
export const prometheus3Version = (): string =>
  /prometheus-(\d+\.\d+\.\d+)$/.exec(process.env.PROMETHEUS3_DIR ?? '')?.[1] ?? '3';

/**
 * Prometheus 3 with its defaults, which differ from 2.42's in ways that do not touch what the
 * suites compare (the reference is always that Prometheus's own TSDB, or a TSDB of the same
 * release): `scrape_protocols` prefers OpenMetrics (so OpenMetrics targets' `_created` series are
 * ingested as ordinary samples, on both sides); `scrape_native_histograms` is false, so
 * histograms are scraped as classic buckets only and none is sent (the write suite asserts it);
 * `metric_name_validation_scheme` is `utf8`, and every name node-exporter and Prometheus expose is
 * a legacy name anyway (UTF-8 names have their own test); PromQL range selectors are left-open, so
 * its query answers are only compared with those of the same release.
 */
export const PROMETHEUS_3: PrometheusRelease = {
  name: `Prometheus ${prometheus3Version()}`,
  major: 3,
  binary: () => requirePrometheus3('prometheus'),
};

export type RemoteWriteProtocol = '1.0' | '2.0';

export interface RemoteWriteTarget {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** Remote write 1.0 unless 2.0 (`protobuf_message: io.prometheus.write.v2.Request`, Prometheus 3 only). */
  readonly protocol?: RemoteWriteProtocol;
  /** The queue's `name` (`remote_name` in Prometheus's metrics). @default 'timestream' */
  readonly name?: string;
}

/**
 * What Prometheus 3 needs to put metadata and start timestamps into remote write 2.0 (3.16's
 * `cmd/prometheus/main.go`, `storage/remote/queue_manager.go`): `metadata-wal-records` keeps
 * metadata in the WAL, from which 2.0 ships it with each series (`metadata_config.send` is
 * ignored for 2.0, with a warning); `st-storage` keeps each sample's start timestamp in the WAL
 * (SamplesV2 records, XOR2 chunks), from which 2.0 ships it as `Sample.start_timestamp` — without
 * it every start timestamp sent is 0. `st-storage` also makes scraping prefer PrometheusProto,
 * the format whose counters carry their created timestamps (Prometheus's own do).
 */
export const REMOTE_WRITE_2_FEATURES = ['metadata-wal-records', 'st-storage'] as const;

export interface Prometheus {
  readonly release: PrometheusRelease;
  readonly process: ManagedProcess;
  readonly url: string;
  /** The `name` of each remote_write queue. */
  readonly queues: readonly string[];
  /** Rewrites the configuration without scrape jobs and reloads it (SIGHUP): no new samples. */
  readonly stopScraping: () => Promise<void>;
}

const remoteWriteQueue = (remoteWrite: RemoteWriteTarget) => ({
  url: remoteWrite.url,
  name: remoteWrite.name ?? 'timestream',
  remote_timeout: '30s',
  // Debian's 2.42 ignores `headers:` and `sigv4:`; basic_auth is what passthrough auth reads.
  basic_auth: { username: remoteWrite.username, password: remoteWrite.password },
  queue_config: { batch_send_deadline: '1s', min_backoff: '30ms', max_backoff: '1s' },
  ...(remoteWrite.protocol === '2.0'
    ? // 2.0 sends metadata with the series (REMOTE_WRITE_2_FEATURES), native histograms always;
      // `metadata_config.send` defaults to true and, left so, logs a warning that 2.0 ignores it.
      { protobuf_message: 'io.prometheus.write.v2.Request', metadata_config: { send: false } }
    : // Metadata-only requests (no samples) go out every 10 s and must be accepted too.
      { metadata_config: { send: true, send_interval: '10s' } }),
});

/** Prometheus's configuration as JSON, which is YAML too. */
const prometheusConfig = (
  scrapeTargets: Readonly<Record<string, string>>,
  remoteWrite: readonly RemoteWriteTarget[],
): string =>
  JSON.stringify(
    {
      global: {
        scrape_interval: SCRAPE_INTERVAL,
        scrape_timeout: SCRAPE_INTERVAL,
        evaluation_interval: '1m',
      },
      scrape_configs: Object.entries(scrapeTargets).map(([job, target]) => ({
        job_name: job,
        static_configs: [{ targets: [target] }],
      })),
      remote_write: remoteWrite.map(remoteWriteQueue),
    },
    null,
    2,
  );

/**
 * Starts a Prometheus of `release` as `name`, its configuration written for the port it will
 * listen on (JSON is YAML too), its data in the workspace, and waits until it is ready.
 */
export const launchPrometheus = async (
  workspace: Workspace,
  name: string,
  config: (port: number) => string,
  options: { readonly release: PrometheusRelease; readonly args?: readonly string[] },
): Promise<{ readonly child: ManagedProcess; readonly url: string; readonly configFile: string }> => {
  const binary = options.release.binary();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = workspace.path(`${name}.yml`);
  writeFileSync(configFile, config(port));
  mkdirSync(workspace.path(`${name}-data`));
  const child = workspace.start(name, binary, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${workspace.path(`${name}-data`)}`,
    '--storage.tsdb.retention.time=1d',
    `--web.listen-address=127.0.0.1:${port}`,
    ...(options.args ?? []),
  ]);
  await waitForHttp(child, `${url}/-/ready`);
  return { child, url, configFile };
};

/**
 * A Prometheus of `release` (default 2.42) scraping itself and node-exporter every second and
 * remote-writing to each of `remoteWrite` (one queue each).
 */
export const startPrometheus = async (
  workspace: Workspace,
  scrape: { readonly nodeExporter: string },
  remoteWrite: RemoteWriteTarget | readonly RemoteWriteTarget[],
  options: { readonly release?: PrometheusRelease; readonly name?: string } = {},
): Promise<Prometheus> => {
  const release = options.release ?? PROMETHEUS_2;
  const queues = Array.isArray(remoteWrite) ? remoteWrite : [remoteWrite as RemoteWriteTarget];
  const protocol2 = queues.some((queue) => queue.protocol === '2.0');
  if (protocol2 && release.major < 3)
    throw new Error(`${release.name} cannot send remote write 2.0 (it rejects protobuf_message)`);
  const { child, url, configFile } = await launchPrometheus(
    workspace,
    options.name ?? 'prometheus',
    (port) => prometheusConfig({ prometheus: `127.0.0.1:${port}`, node: scrape.nodeExporter }, queues),
    { release, args: protocol2 ? [`--enable-feature=${REMOTE_WRITE_2_FEATURES.join(',')}`] : [] },
  );
  return {
    release,
    process: child,
    url,
    queues: queues.map((queue) => queue.name ?? 'timestream'),
    stopScraping: async () => {
      const metrics = await scrapeMetrics(`${url}/metrics`);
      const before = metricSum(metrics, 'prometheus_config_last_reload_success_timestamp_seconds');
      // The same global and remote_write sections: the remote-write queues keep running.
      writeFileSync(configFile, prometheusConfig({}, queues));
      child.signal('SIGHUP');
      await waitFor(
        'Prometheus to reload its configuration',
        async () => {
          assertRunning(child);
          const now = await scrapeMetrics(`${url}/metrics`);
          if (metricSum(now, 'prometheus_config_last_reload_success_timestamp_seconds') <= before)
            return undefined;
          if (metricSum(now, 'prometheus_config_last_reload_successful') !== 1)
            throw new Error('Prometheus could not reload its configuration');
          return true;
        },
        { timeoutMs: 30_000, describe: () => child.logTail() },
      );
    },
  };
};

/**
 * A Prometheus with no scrape jobs whose only data is what `remote_read` answers: every range is
 * read remotely (`read_recent: true`), so its query answers can be compared with those of a
 * Prometheus of the same release holding the data itself.
 */
export const startPrometheusReader = async (
  workspace: Workspace,
  remoteRead: RemoteWriteTarget,
  options: { readonly release?: PrometheusRelease; readonly name?: string } = {},
): Promise<{
  readonly release: PrometheusRelease;
  readonly process: ManagedProcess;
  readonly url: string;
}> => {
  const release = options.release ?? PROMETHEUS_2;
  const { child, url } = await launchPrometheus(
    workspace,
    options.name ?? 'prometheus-reader',
    () =>
      JSON.stringify({
        global: { scrape_interval: SCRAPE_INTERVAL, evaluation_interval: '1m' },
        remote_read: [
          {
            url: remoteRead.url,
            name: 'timestream',
            read_recent: true,
            remote_timeout: '30s',
            basic_auth: { username: remoteRead.username, password: remoteRead.password },
          },
        ],
      }),
    { release },
  );
  return { release, process: child, url };
};

/**
 * A Prometheus of `release` with no scrape jobs that receives remote write
 * (`--web.enable-remote-write-receiver`, in 2.42 and 3.x): fed by a writer's second queue, its
 * TSDB holds exactly the samples the writer sent, staleness markers included, for PromQL answers
 * of that release over the writer's data.
 */
export const startPrometheusReceiver = async (
  workspace: Workspace,
  release: PrometheusRelease,
  name = 'prometheus-receiver',
): Promise<{
  readonly release: PrometheusRelease;
  readonly process: ManagedProcess;
  readonly url: string;
  readonly writeUrl: string;
}> => {
  const { child, url } = await launchPrometheus(
    workspace,
    name,
    () => JSON.stringify({ global: { scrape_interval: SCRAPE_INTERVAL, evaluation_interval: '1m' } }),
    { release, args: ['--web.enable-remote-write-receiver'] },
  );
  return { release, process: child, url, writeUrl: `${url}/api/v1/write` };
};

/**
 * Waits until Prometheus has sent all it ever will: scraping has stopped (`stopScraping`), so once
 * every queue's highest sent timestamp has caught up with the highest timestamp written to the
 * WAL, nothing is pending, and no counter moves for 5 s, every sample (and the end-of-run
 * staleness markers) has been answered by every remote-write destination.
 */
export const waitUntilPrometheusSentEverything = async (prometheus: Prometheus): Promise<ExposedSample[]> => {
  let last = '';
  let stableSince = Date.now();
  const started = Date.now();
  return waitFor(
    'Prometheus to send every sample to the connector',
    async () => {
      assertRunning(prometheus.process);
      const metrics = await scrapeMetrics(`${prometheus.url}/metrics`);
      const highestIn = metricSum(metrics, 'prometheus_remote_storage_highest_timestamp_in_seconds');
      const highestSent = prometheus.queues.map((queue) =>
        metricSum(metrics, 'prometheus_remote_storage_queue_highest_sent_timestamp_seconds', {
          remote_name: queue,
        }),
      );
      const pending = metricSum(metrics, 'prometheus_remote_storage_samples_pending');
      const state = JSON.stringify([
        highestIn,
        highestSent,
        pending,
        metricSum(metrics, 'prometheus_remote_storage_samples_in_total'),
        metricSum(metrics, 'prometheus_remote_storage_samples_total'),
        metricSum(metrics, 'prometheus_remote_storage_samples_failed_total'),
        metricSum(metrics, 'prometheus_remote_storage_samples_dropped_total'),
      ]);
      if (state !== last) {
        last = state;
        stableSince = Date.now();
      }
      const caughtUp = highestIn > 0 && highestSent.every((sent) => sent >= highestIn) && pending === 0;
      return caughtUp && Date.now() - stableSince >= 5_000 && Date.now() - started >= 5_000
        ? metrics
        : undefined;
    },
    {
      timeoutMs: 120_000,
      intervalMs: 500,
      describe: () =>
        `last state [highest in, highest sent per queue, pending, in, sent, failed, dropped]: ${last}`,
    },
  );
};

/**
 * Every raw sample in Prometheus's own TSDB with `from <= t <= to`: a range-vector selector
 * evaluated at `to` answers raw samples, not evaluated steps (staleness markers never appear).
 */
export const readPrometheusSamples = async (
  prometheus: Pick<Prometheus, 'url'>,
  from: number,
  to: number,
): Promise<SeriesSamples> => {
  const rangeSeconds = Math.ceil((to - from) / 1000) + 2;
  const params = new URLSearchParams({
    query: `{__name__=~".+"}[${rangeSeconds}s]`,
    time: (to / 1000).toFixed(3),
  });
  const body = JSON.parse(await httpGet(`${prometheus.url}/api/v1/query?${params}`, 60_000)) as {
    status: string;
    data: {
      resultType: string;
      result: { metric: Record<string, string>; values: [number, string][] }[];
    };
  };
  if (body.status !== 'success' || body.data.resultType !== 'matrix')
    throw new Error(`unexpected Prometheus answer: ${JSON.stringify(body).slice(0, 500)}`);
  const samples: SeriesSamples = new Map();
  for (const series of body.data.result) {
    const key = seriesKey(series.metric);
    for (const [seconds, value] of series.values) {
      const t = Math.round(seconds * 1000);
      if (t >= from && t <= to) addSample(samples, key, { t, v: parseGoFloat(value) });
    }
  }
  return sortSamples(samples);
};

// ---------------------------------------------------------------------------------------------
// VictoriaMetrics and vmagent (Debian's victoria-metrics 1.79)

export interface VictoriaMetrics {
  readonly process: ManagedProcess;
  readonly url: string;
}

export const startVictoriaMetrics = async (workspace: Workspace): Promise<VictoriaMetrics> => {
  const binary = requireBinary('victoria-metrics');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = workspace.start('victoria-metrics', binary, [
    `-storageDataPath=${workspace.path('victoria-metrics-data')}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    '-retentionPeriod=100y',
    // Make samples visible as soon as they are flushed, and never answer from a cache.
    '-search.latencyOffset=0s',
    '-search.disableCache',
    // Keep every sample (deduplication is off unless this is > 0) and every label (default 30).
    '-dedup.minScrapeInterval=0s',
    '-maxLabelsPerTimeseries=1000',
    '-loggerLevel=WARN',
  ]);
  await waitForHttp(child, `${url}/health`);
  return { process: child, url };
};

/**
 * Every sample VictoriaMetrics holds with `from <= t <= to`, raw, from `/api/v1/export` (after
 * `/internal/force_flush`, which makes just-ingested samples searchable). NaN values (staleness
 * markers, which VictoriaMetrics stores) and infinities come back as JSON-invalid bare words.
 */
export const readVictoriaMetricsSamples = async (
  vm: VictoriaMetrics,
  from: number,
  to: number,
): Promise<SeriesSamples> => {
  await httpGet(`${vm.url}/internal/force_flush`);
  const params = new URLSearchParams({
    'match[]': '{__name__=~".+"}',
    start: String(Math.floor(from / 1000) - 1),
    end: String(Math.ceil(to / 1000) + 1),
  });
  const body = await httpGet(`${vm.url}/api/v1/export?${params}`, 60_000);
  const samples: SeriesSamples = new Map();
  for (const line of body.split('\n')) {
    if (line.trim() === '') continue;
    const quoted = line.replace(/(?<=[[,])\s*([+-]?Inf|NaN)\s*(?=[,\]])/g, '"$1"');
    const series = JSON.parse(quoted) as {
      metric: Record<string, string>;
      values: (number | string)[];
      timestamps: number[];
    };
    if (series.values.length !== series.timestamps.length)
      throw new Error(
        `export line with ${series.values.length} values and ${series.timestamps.length} timestamps`,
      );
    const key = seriesKey(series.metric);
    series.timestamps.forEach((t, i) => {
      const value = series.values[i] as number | string;
      if (t >= from && t <= to)
        addSample(samples, key, { t, v: typeof value === 'number' ? value : parseGoFloat(value) });
    });
  }
  return sortSamples(samples);
};

export interface Vmagent {
  readonly process: ManagedProcess;
  readonly url: string;
  /** Rewrites the scrape configuration without jobs and reloads it (SIGHUP): no new samples. */
  readonly stopScraping: () => Promise<void>;
}

/**
 * vmagent's own `go_info_ext{GOARCH, GOOS}` and node-exporter's `node_exporter_build_info{goarch,
 * goos}` land in one table with dimension names that differ only in letter case: Timestream holds
 * both, and so must the emulator (issue 16, point 9), so nothing is dropped at scrape time.
 */
const vmagentScrapeConfig = (targets: Readonly<Record<string, string>>): string =>
  JSON.stringify(
    {
      global: { scrape_interval: SCRAPE_INTERVAL, scrape_timeout: SCRAPE_INTERVAL },
      scrape_configs: Object.entries(targets).map(([job, target]) => ({
        job_name: job,
        static_configs: [{ targets: [target] }],
      })),
    },
    null,
    2,
  );

/**
 * vmagent scraping node-exporter and itself, remote-writing every sample to each of `destinations`
 * (the connector with basic auth, VictoriaMetrics without). Debian's vmagent 1.79 predates the
 * VictoriaMetrics remote-write protocol (zstd, v1.88+) and its `-remoteWrite.forcePromProto`
 * flag: it only speaks Prometheus remote write 1.0 (snappy protobuf), to every URL.
 */
export const startVmagent = async (
  workspace: Workspace,
  scrape: { readonly nodeExporter: string },
  destinations: readonly (RemoteWriteTarget | { readonly url: string })[],
): Promise<Vmagent> => {
  const binary = requireBinary('vmagent');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = workspace.path('vmagent.yml');
  writeFileSync(configFile, vmagentScrapeConfig({ vmagent: `127.0.0.1:${port}`, node: scrape.nodeExporter }));
  // Per-URL flags are positional: the n-th -remoteWrite.basicAuth.* belongs to the n-th URL.
  const perUrl = destinations.flatMap((destination) => [
    `-remoteWrite.url=${destination.url}`,
    `-remoteWrite.basicAuth.username=${'username' in destination ? destination.username : ''}`,
    `-remoteWrite.basicAuth.password=${'password' in destination ? destination.password : ''}`,
  ]);
  const child = workspace.start('vmagent', binary, [
    `-promscrape.config=${configFile}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    `-remoteWrite.tmpDataPath=${workspace.path('vmagent-queue')}`,
    '-remoteWrite.flushInterval=1s',
    // Label the per-URL metrics with the URL instead of "1:secret-url".
    '-remoteWrite.showURL',
    ...perUrl,
    '-loggerLevel=WARN',
  ]);
  await waitForHttp(child, `${url}/health`);
  return {
    process: child,
    url,
    stopScraping: async () => {
      const reloads = metricSum(await scrapeMetrics(`${url}/metrics`), 'vm_promscrape_config_reloads_total');
      writeFileSync(configFile, vmagentScrapeConfig({}));
      child.signal('SIGHUP');
      await waitFor(
        'vmagent to reload its scrape configuration and drop its targets',
        async () => {
          assertRunning(child);
          const metrics = await scrapeMetrics(`${url}/metrics`);
          if (metricSum(metrics, 'vm_promscrape_config_reloads_total') <= reloads) return undefined;
          return metricSum(metrics, 'vm_promscrape_targets') === 0 ? true : undefined;
        },
        { timeoutMs: 30_000, describe: () => child.logTail() },
      );
    },
  };
};

/**
 * Waits until vmagent has sent all it ever will: scraping has stopped (`stopScraping`), so once
 * nothing is pending in memory or on disk for any URL, every block created has been sent, and no
 * counter moves for 5 s, every destination has answered every sample.
 */
export const waitUntilVmagentSentEverything = async (vmagent: Vmagent): Promise<ExposedSample[]> => {
  let last = '';
  let stableSince = Date.now();
  const started = Date.now();
  return waitFor(
    'vmagent to send every sample to every destination',
    async () => {
      assertRunning(vmagent.process);
      const metrics = await scrapeMetrics(`${vmagent.url}/metrics`);
      const pendingBytes = metricSum(metrics, 'vmagent_remotewrite_pending_data_bytes');
      const pendingBlocks = metricSum(metrics, 'vmagent_remotewrite_pending_inmemory_blocks');
      const created = metricSum(metrics, 'vmagent_remotewrite_block_size_rows_count');
      const sent = metricSum(metrics, 'vmagent_remotewrite_blocks_sent_total');
      const dropped = metricSum(metrics, 'vmagent_remotewrite_packets_dropped_total');
      const state = JSON.stringify([
        pendingBytes,
        pendingBlocks,
        created,
        sent,
        dropped,
        metricSum(metrics, 'vmagent_remotewrite_rows_pushed_after_relabel_total'),
        metricSum(metrics, 'vmagent_remotewrite_requests_total'),
      ]);
      if (state !== last) {
        last = state;
        stableSince = Date.now();
      }
      const drained = pendingBytes === 0 && pendingBlocks === 0 && created > 0 && sent + dropped >= created;
      return drained && Date.now() - stableSince >= 5_000 && Date.now() - started >= 5_000
        ? metrics
        : undefined;
    },
    {
      timeoutMs: 120_000,
      intervalMs: 500,
      describe: () =>
        `last state [pending bytes, pending blocks, blocks created, sent, dropped, rows pushed, requests]: ${last}`,
    },
  );
};

/** Per-URL values of a vmagent metric labelled `url` (with `-remoteWrite.showURL`). */
export const perUrl = (metrics: readonly ExposedSample[], name: string): Record<string, number> => {
  const values: Record<string, number> = {};
  for (const sample of metricValues(metrics, name)) {
    const url = sample.labels.url ?? '';
    const status = sample.labels.status_code;
    const key = status === undefined ? url : `${url} ${status}`;
    values[key] = (values[key] ?? 0) + sample.value;
  }
  return values;
};
