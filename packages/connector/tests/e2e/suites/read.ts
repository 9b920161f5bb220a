/**
 * Acceptance of the read path with real Prometheus: a writer scrapes itself and node-exporter
 * every second and remote-writes through the connector (staleness markers stored) into the
 * Timestream emulator; node-exporter is stopped midway. Readers have no scrape jobs and only
 * `remote_read` to the connector (`read_recent: true`). A battery of PromQL instant and range
 * queries must give the same series and values on each reader as on a Prometheus of the reader's
 * release holding the data itself — before, just after and well after the target stopped — within
 * floating-point tolerance. Writers and readers are Debian's 2.42 and the Prometheus 3 release
 * peers/build-prometheus3.sh builds, both ways (READ_SCENARIOS).
 *
 * A missing Debian peer fails the test and names the package to install.
 */
import {
  ACCESS_KEY_ID,
  type ConnectorStack,
  type ConnectorTarget,
  SECRET_ACCESS_KEY,
} from '../../../support/connector-stack.js';
import {
  type NodeExporter,
  PROMETHEUS_2,
  PROMETHEUS_3,
  type Prometheus,
  type PrometheusRelease,
  type RemoteWriteProtocol,
  startNodeExporter,
  startPrometheus,
  startPrometheusReader,
  startPrometheusReceiver,
  Workspace,
  waitUntilPrometheusSentEverything,
} from '../../../support/peers.js';
import { type ManagedProcess, requireBinary, runUntil } from '../../../support/processes.js';
import { metricValues, reportedSum } from '../../../support/samples.js';
import { startWireRecorder, type WireRecorder } from '../helpers/wire-recorder.js';

/** Scraping before node-exporter stops, and after. */
const BEFORE_STOP_MS = 35_000;
const AFTER_STOP_MS = 25_000;
const WARM_UP_MS = 5_000;
const RANGE_STEP_S = 2;
const TEST_TIMEOUT_MS = 300_000;
const SETUP_TIMEOUT_MS = 60_000;

/** Instant queries, each evaluated at three times around the node-exporter stop. */
const INSTANT_QUERIES = [
  'up',
  'up{job="node"}',
  'up{job!="node"}',
  'up{job=~"node|prometheus"}',
  'up{job!~"prom.*"}',
  'up{job=~"node"}',
  'up{nonexistent=""}',
  'up{nonexistent!=""}',
  'up{nonexistent=~".*"}',
  'up{nonexistent=~".+"}',
  'up{nonexistent!~"x|y"}',
  'up == 0',
  'node_load1',
  'node_cpu_seconds_total{mode="idle"}',
  'node_cpu_seconds_total{mode!="idle", cpu="0"}',
  'node_cpu_seconds_total{mode=~"user|system"}',
  'node_cpu_seconds_total{mode!~"idle|iowait"}',
  'node_network_receive_bytes_total{device="lo"}',
  '{__name__=~"node_memory_(MemFree|MemAvailable)_bytes"}',
  'count(node_cpu_seconds_total)',
  'count by (mode) (node_cpu_seconds_total)',
  'sum by (mode) (node_cpu_seconds_total)',
  'sum by (cpu) (rate(node_cpu_seconds_total[10s]))',
  'rate(prometheus_http_requests_total{handler="/metrics"}[10s])',
  'sum by (handler) (rate(prometheus_http_requests_total[15s]))',
  'histogram_quantile(0.9, sum by (le) (rate(prometheus_http_request_duration_seconds_bucket[15s])))',
  'histogram_quantile(0.5, rate(prometheus_http_request_duration_seconds_bucket{handler="/metrics"}[15s]))',
  'topk(5, node_cpu_seconds_total)',
  'topk(3, scrape_samples_scraped)',
  'node_memory_MemAvailable_bytes offset 10s',
  'up offset 20s',
  'count(up)',
  'count by (job) (scrape_duration_seconds)',
  'sum without (instance) (up)',
  'scrape_samples_scraped',
  'sum(scrape_samples_scraped)',
  'max_over_time(node_load1[30s])',
  'avg_over_time(scrape_duration_seconds[20s])',
  'increase(prometheus_tsdb_head_samples_appended_total[20s])',
  'delta(node_memory_MemFree_bytes[20s])',
  'changes(up[1m])',
  'count_over_time(up[30s])',
  'last_over_time(node_load1[1m])',
  'absent(up{job="node"})',
  'absent(nonexistent_metric)',
  'go_goroutines{job="prometheus"}',
  'process_cpu_seconds_total{job=~".+"}',
  'label_replace(up, "host", "$1", "instance", "(.*):.*")',
  'timestamp(up)',
  'prometheus_tsdb_head_series',
];

/** Range queries over the whole run, step 2 s. */
const RANGE_QUERIES = [
  'up',
  'up{job="node"}',
  'node_load1',
  'rate(node_cpu_seconds_total{mode="idle"}[10s])',
  'sum by (mode) (rate(node_cpu_seconds_total[10s]))',
  'histogram_quantile(0.9, sum by (le) (rate(prometheus_http_request_duration_seconds_bucket[15s])))',
  'count by (job) (up)',
  'topk(3, node_cpu_seconds_total)',
  'node_memory_MemFree_bytes offset 10s',
  'max_over_time(node_load1[20s])',
  'scrape_duration_seconds{job="node"}',
  'absent(up{job="node"})',
  '{__name__=~"node_network_(receive|transmit)_bytes_total", device="lo"}',
];

interface ApiResult {
  readonly status: string;
  readonly warnings?: string[];
  readonly error?: string;
  readonly data?: {
    readonly resultType: 'vector' | 'matrix' | 'scalar' | 'string';
    readonly result: unknown;
  };
}

type Points = Map<string, [number, string][]>;

/** The answer as series key → points, whatever its result type. */
const pointsOf = (answer: ApiResult): Points => {
  const points: Points = new Map();
  const data = answer.data;
  if (data === undefined) return points;
  const key = (metric: Record<string, string>) =>
    JSON.stringify(Object.entries(metric).sort(([a], [b]) => (a < b ? -1 : 1)));
  if (data.resultType === 'scalar') points.set('scalar', [data.result as [number, string]]);
  else if (data.resultType === 'vector')
    for (const { metric, value } of data.result as {
      metric: Record<string, string>;
      value: [number, string];
    }[])
      points.set(key(metric), [value]);
  else
    for (const { metric, values } of data.result as {
      metric: Record<string, string>;
      values: [number, string][];
    }[])
      points.set(key(metric), values);
  return points;
};

const close = (a: string, b: string): boolean => {
  if (a === b) return true;
  const x = Number(a);
  const y = Number(b);
  return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y)) || Math.abs(x - y) <= 1e-12;
};

/** Differences between A's and B's answer, as readable lines (empty when they agree). */
const differences = (a: ApiResult, b: ApiResult): string[] => {
  if (a.status !== 'success' || b.status !== 'success')
    return [`status A=${a.status} (${a.error ?? ''}), B=${b.status} (${b.error ?? ''})`];
  if ((b.warnings ?? []).length > 0) return [`B warned: ${b.warnings?.join('; ')}`];
  if (a.data?.resultType !== b.data?.resultType)
    return [`result type A=${a.data?.resultType}, B=${b.data?.resultType}`];
  const pa = pointsOf(a);
  const pb = pointsOf(b);
  const lines: string[] = [];
  for (const [key, points] of pa) {
    const other = pb.get(key);
    if (other === undefined) lines.push(`only on A: ${key}`);
    else if (
      other.length !== points.length ||
      points.some(([t, v], i) => other[i]?.[0] !== t || !close(v, other[i]?.[1] ?? ''))
    )
      lines.push(
        `differs: ${key}: A=${JSON.stringify(points.slice(0, 5))}… B=${JSON.stringify(other.slice(0, 5))}…`,
      );
  }
  for (const key of pb.keys()) if (!pa.has(key)) lines.push(`only on B: ${key}`);
  return lines;
};

const api = async (baseUrl: string, path: string, params: Record<string, string>): Promise<ApiResult> => {
  const response = await fetch(`${baseUrl}${path}?${new URLSearchParams(params)}`, {
    signal: AbortSignal.timeout(60_000),
  });
  return (await response.json()) as ApiResult;
};

/**
 * A writer (scraping, remote-writing to the connector) and the readers that read its data back
 * through the connector. Each reader's answers are compared with those of a Prometheus of the
 * same release holding the data itself: the writer when it is that release; otherwise a
 * remote-write receiver of the reader's release fed by a second queue of the writer (so PromQL
 * differences between 2.42 and 3.x, such as 3.x's left-open range selectors, never count as the
 * connector's).
 */
export interface ReadScenario {
  readonly writer: PrometheusRelease;
  /** The writer's protocol towards the connector. */
  readonly protocol: RemoteWriteProtocol;
  readonly readers: readonly PrometheusRelease[];
}

export const READ_SCENARIOS = {
  /** Data written by 2.42 (remote write 1.0), read by 2.42 (SAMPLES) and by 3.x (STREAMED_XOR_CHUNKS). */
  fromPrometheus2: { writer: PROMETHEUS_2, protocol: '1.0', readers: [PROMETHEUS_2, PROMETHEUS_3] },
  /** Data written by 3.x (remote write 2.0), read by 3.x and by 2.42. */
  fromPrometheus3: { writer: PROMETHEUS_3, protocol: '2.0', readers: [PROMETHEUS_3, PROMETHEUS_2] },
} as const satisfies Record<string, ReadScenario>;

const ALL_READ_SCENARIOS: readonly ReadScenario[] = Object.values(READ_SCENARIOS);

/** What a reader is compared with: a Prometheus of its release that holds the writer's samples. */
interface Reference {
  readonly name: string;
  readonly url: string;
}

interface Reader {
  readonly release: PrometheusRelease;
  readonly process: ManagedProcess;
  readonly url: string;
  readonly reference: Reference;
  readonly recorder: WireRecorder;
}

/**
 * What a reader's release asks for and what the connector must answer: 3.x lists
 * STREAMED_XOR_CHUNKS then SAMPLES and gets chunks; 2.42 lists none, which means SAMPLES.
 */
const responseTypes = (release: PrometheusRelease): { readonly accepted: string; readonly answer: string } =>
  release.major >= 3
    ? { accepted: 'STREAMED_XOR_CHUNKS,SAMPLES', answer: 'STREAMED_XOR_CHUNKS' }
    : { accepted: '', answer: 'SAMPLES' };

/**
 * The read path for each of `scenarios` (default: 2.42 writing, 2.42 and 3.x reading; 3.x writing
 * with remote write 2.0, 3.x and 2.42 reading).
 */
export const describeReadE2E = (
  target: ConnectorTarget,
  scenarios: readonly ReadScenario[] = ALL_READ_SCENARIOS,
): void => {
  for (const scenario of scenarios) describeReadScenario(target, scenario);
};

const describeReadScenario = (target: ConnectorTarget, scenario: ReadScenario): void => {
  const readerNames = scenario.readers.map((release) => release.name).join(' and ');
  describe(`remote read: ${readerNames} reading through ${target.name} what ${scenario.writer.name} wrote (remote write ${scenario.protocol}) answer as Prometheus holding it`, () => {
    let workspace: Workspace | undefined;
    let stack: ConnectorStack | undefined;
    let nodeExporter: NodeExporter;
    let writer: Prometheus;
    const readers: Reader[] = [];
    let readyAt: number;

    beforeAll(async () => {
      scenario.writer.binary();
      for (const release of scenario.readers) release.binary();
      requireBinary('prometheus-node-exporter');
      workspace = new Workspace(`read-e2e-prometheus${scenario.writer.major}`);
      stack = await target.start(['--store-staleness-markers']);
      const connector = stack;
      nodeExporter = await startNodeExporter(workspace);
      const credentials = { username: ACCESS_KEY_ID, password: SECRET_ACCESS_KEY };
      // A receiver of each other release, fed by a queue of its own (remote write 1.0, which 2.42 takes).
      const receivers = new Map<PrometheusRelease, { readonly url: string; readonly writeUrl: string }>();
      for (const release of scenario.readers)
        if (release !== scenario.writer && !receivers.has(release))
          receivers.set(
            release,
            await startPrometheusReceiver(workspace, release, `prometheus${release.major}-receiver`),
          );
      writer = await startPrometheus(
        workspace,
        { nodeExporter: nodeExporter.target },
        [
          { url: connector.writeUrl, ...credentials, protocol: scenario.protocol },
          ...[...receivers.entries()].map(([release, receiver]) => ({
            url: receiver.writeUrl,
            ...credentials,
            name: `receiver${release.major}`,
          })),
        ],
        { release: scenario.writer },
      );
      for (const [i, release] of scenario.readers.entries()) {
        const recorder = await startWireRecorder(connector);
        const reader = await startPrometheusReader(
          workspace,
          { url: `${recorder.url}/read`, ...credentials },
          { release, name: `prometheus${release.major}-reader${i}` },
        );
        const receiver = receivers.get(release);
        readers.push({
          release,
          process: reader.process,
          url: reader.url,
          recorder,
          reference:
            receiver === undefined
              ? { name: `the writer (${scenario.writer.name})`, url: writer.url }
              : { name: `a ${release.name} receiving the writer's remote write`, url: receiver.url },
        });
      }
      readyAt = Date.now();
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      await workspace?.stop();
      for (const reader of readers) await reader.recorder.stop();
      await stack?.stop();
    }, SETUP_TIMEOUT_MS);

    test(
      `${INSTANT_QUERIES.length} instant queries at 3 times and ${RANGE_QUERIES.length} range queries agree for each reader, across a target stopped midway`,
      async () => {
        // Prepare: scrape, stop node-exporter, scrape on, then stop scraping and let A send it all.
        const from = readyAt + WARM_UP_MS;
        await runUntil(from + BEFORE_STOP_MS, [nodeExporter.process, writer.process]);
        const stoppedAt = Date.now();
        await nodeExporter.process.stop();
        await runUntil(stoppedAt + AFTER_STOP_MS, [writer.process]);
        const to = Date.now() - 3_000;
        await writer.stopScraping();
        await waitUntilPrometheusSentEverything(writer);
        const seconds = (ms: number) => (ms / 1000).toFixed(3);
        const instants = [stoppedAt - 5_000, stoppedAt + 4_000, to];

        const outcomes: Record<string, unknown> = {};
        const expected: Record<string, unknown> = {};
        for (const reader of readers) {
          // Act
          const mismatches: Record<string, string[]> = {};
          let nonEmpty = 0;
          let compared = 0;
          const compare = async (title: string, path: string, params: Record<string, string>) => {
            const [a, b] = await Promise.all([
              api(reader.reference.url, path, params),
              api(reader.url, path, params),
            ]);
            compared++;
            if (pointsOf(a).size > 0) nonEmpty++;
            const diff = differences(a, b);
            if (diff.length > 0) mismatches[title] = diff.slice(0, 4);
          };
          for (const query of INSTANT_QUERIES)
            for (const time of instants)
              await compare(`${query} @${seconds(time - stoppedAt)}s`, '/api/v1/query', {
                query,
                time: seconds(time),
              });
          for (const query of RANGE_QUERIES)
            await compare(`range ${query}`, '/api/v1/query_range', {
              query,
              start: seconds(from + 10_000),
              end: seconds(to),
              step: String(RANGE_STEP_S),
            });
          // The stop shows: node-exporter's series end on the reader too.
          const after = await api(reader.url, '/api/v1/query', {
            query: 'node_load1',
            time: seconds(stoppedAt + 4_000),
          });

          // Assess
          const exchanges = reader.recorder.reads;
          const key = `${reader.release.name} reading`;
          outcomes[key] = {
            mismatches,
            compared,
            // Guard against an agreement on empty answers: only node-exporter's series after its
            // stop and the deliberately empty selectors answer nothing (125 of 163 in a run).
            enoughNonEmpty: nonEmpty >= compared * 0.7,
            nodeLoadAfterStop: pointsOf(after).size,
            accepted: [...new Set(exchanges.map((exchange) => exchange.accepted.join(',')))],
            answeredAs: [...new Set(exchanges.map((exchange) => exchange.answeredAs))],
            readStatuses: [...new Set(exchanges.map((exchange) => exchange.status))],
            recorderProblems: reader.recorder.problems.slice(0, 10),
          };
          expected[key] = {
            mismatches: {},
            compared: INSTANT_QUERIES.length * instants.length + RANGE_QUERIES.length,
            enoughNonEmpty: true,
            nodeLoadAfterStop: 0,
            // Prometheus 3 asks for STREAMED_XOR_CHUNKS first, and gets it; 2.42 gets SAMPLES.
            accepted: [responseTypes(reader.release).accepted],
            answeredAs: [responseTypes(reader.release).answer],
            readStatuses: [200],
            recorderProblems: [],
          };
          process.stdout.write(
            `\n[read-e2e] ${JSON.stringify({
              writer: `${scenario.writer.name} (remote write ${scenario.protocol})`,
              reader: reader.release.name,
              reference: reader.reference.name,
              comparedQueries: compared,
              nonEmptyOnReference: nonEmpty,
              mismatching: Object.keys(mismatches).length,
              readRequests: exchanges.length,
              acceptedResponseTypes: [...new Set(exchanges.map((exchange) => exchange.accepted.join(',')))],
              answeredAs: [...new Set(exchanges.map((exchange) => exchange.answeredAs))],
              nodeExporterStoppedAfterSeconds: (stoppedAt - readyAt) / 1000,
            })}\n`,
          );
        }
        const metrics = await (stack as ConnectorStack).metrics();
        const reads = metricValues(metrics, 'timestream_connector_http_requests_total').filter(
          (s) => s.labels.handler === 'read',
        );
        process.stdout.write(
          `\n[read-e2e] connector: ${JSON.stringify({
            readRequests: Object.fromEntries(reads.map((s) => [s.labels.code, s.value])),
            samplesRead: reportedSum(metrics, 'timestream_connector_read_samples_total'),
          })}\n`,
        );
        expect(outcomes).toEqual(expected);
        expect(reads.map((s) => s.labels.code)).toEqual(['200']);
      },
      TEST_TIMEOUT_MS,
    );
  });
};
