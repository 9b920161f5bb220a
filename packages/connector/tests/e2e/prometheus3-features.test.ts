/**
 * What Prometheus 3 sends that 2.42 never did, through the real Prometheus 3 binary: UTF-8 metric
 * and label names, the `__type__`/`__unit__` labels of `type-and-unit-labels`, native histograms,
 * regex matchers whose `.` matches a newline, and remote write 2.0 batches with nothing to store.
 *
 * One connector (standalone server over the emulator) serves two Prometheus 3 writers scraping a
 * target in this process every second: writer 1 over remote write 1.0 (UTF-8 names, newlines in
 * label values, OpenMetrics types and units, its own native histograms), writer 2 over 2.0 (a
 * NaN-only series and a target that starts failing, each in a queue of its own, so some batches
 * hold nothing Timestream can store). A Prometheus 3 and a 2.42 read everything back through
 * remote read only.
 */
import {
  ACCESS_KEY_ID,
  type ConnectorStack,
  readTimestreamSamples,
  SECRET_ACCESS_KEY,
  startConnectorStack,
} from '../../support/connector-stack.js';
import { problemLines, scrapeMetrics, startPrometheusReader, Workspace } from '../../support/peers.js';
import { assertRunning, httpGet, runUntil, waitFor } from '../../support/processes.js';
import { compareSeries, metricSum, type SeriesSamples, storableSamples } from '../../support/samples.js';
import {
  type ExpositionTarget,
  instantQuery,
  OPENMETRICS_FORMAT,
  type RunningPrometheus,
  rawSamples,
  startExpositionTarget,
  startPrometheusWith,
} from './helpers/prometheus3.js';

const LONG_LABEL = 'l'.repeat(61);
/** Label values of `multiline_info{line}`: Prometheus 3's `.` matches their newlines, 2.x's does not. */
const LINES = ['a\nb', 'axb', 'ab\n', 'b\na'];

const UTF8_PAGE = [
  '# TYPE "http.server.request.duration" gauge',
  '{"http.server.request.duration","service.name"="checkout","http.route"="/pay"} 0.25',
  '{"http.server.request.duration","service.name"="cart","http.route"="/"} 0.5',
  // Label names Timestream cannot hold: skipped and counted, not written.
  '{"colon.metric","bad:label"="x"} 1',
  `{"long.label.metric","${LONG_LABEL}"="x"} 1`,
  '# TYPE multiline_info gauge',
  ...LINES.map((line) => `multiline_info{line=${JSON.stringify(line)}} 1`),
  '',
].join('\n');

const TYPED_PAGE = [
  '# TYPE request_latency_seconds gauge',
  '# UNIT request_latency_seconds seconds',
  'request_latency_seconds{path="/"} 0.125',
  '# EOF',
  '',
].join('\n');

/** Passthrough auth: the AWS key pair as basic auth. */
const basic_auth = { username: ACCESS_KEY_ID, password: SECRET_ACCESS_KEY };
const writerQueue = { batch_send_deadline: '1s', min_backoff: '30ms', max_backoff: '1s' };

const job = (name: string, target: string, path: string, extra: object = {}) => ({
  job_name: name,
  metrics_path: path,
  static_configs: [{ targets: [target] }],
  ...extra,
});

/**
 * The counters of Prometheus's remote-write queues that must stay 0, summed over the queues
 * (samples_dropped_total is not one: write_relabel_configs' drops count there).
 */
const FAILURE_COUNTERS = [
  'prometheus_remote_storage_samples_failed_total',
  'prometheus_remote_storage_histograms_failed_total',
  'prometheus_remote_storage_samples_retried_total',
  'prometheus_remote_storage_histograms_retried_total',
];
const FAILURE_LOG = /non-recoverable error|Failed to send batch|investigation needed/;

const failures = async (prometheus: RunningPrometheus): Promise<Record<string, number>> => {
  const metrics = await scrapeMetrics(`${prometheus.url}/metrics`);
  return Object.fromEntries(FAILURE_COUNTERS.map((name) => [name, metricSum(metrics, name)]));
};

/** Prometheus 2.x's regex matching: anchored, `.` does not match a newline. */
const matches2x = (regex: string, value: string): boolean => new RegExp(`^(?:${regex})$`, 'u').test(value);

describe('Prometheus 3 features through the connector', () => {
  const workspace = new Workspace('e2e-prometheus3-features');
  let stack: ConnectorStack;
  let target: ExpositionTarget;
  let writer1: RunningPrometheus;
  let writer2: RunningPrometheus;
  let reader3: RunningPrometheus;
  let reader2: RunningPrometheus;
  let started: number;
  /** A time every writer has sent everything up to, for instant queries. */
  /** When /gone started failing (epoch ms): its series end with staleness markers after it. */
  let goneAt = 0;
  let queryTime: number;

  beforeAll(async () => {
    stack = await startConnectorStack();
    target = await startExpositionTarget();
    target.serve('/utf8', UTF8_PAGE);
    target.serve('/typed', TYPED_PAGE, OPENMETRICS_FORMAT);
    target.serve('/nan', 'nan_only{kind="always"} NaN\n');
    target.serve('/gone', 'gone_gauge 1\n');
    const global = { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1m' };
    started = Date.now();
    writer1 = await startPrometheusWith(
      workspace,
      'writer1',
      (port) => ({
        global,
        scrape_configs: [
          job('utf8', target.target, '/utf8'),
          job('typed', target.target, '/typed'),
          // Prometheus 3's own /metrics has native histograms (prometheus_http_request_duration_seconds).
          job('self', `127.0.0.1:${port}`, '/metrics', { scrape_native_histograms: true }),
        ],
        remote_write: [
          {
            url: stack.writeUrl,
            basic_auth,
            name: 'rw1',
            send_native_histograms: true,
            queue_config: writerQueue,
          },
        ],
      }),
      ['--enable-feature=type-and-unit-labels'],
    );
    const settled = { source_labels: ['__name__'], regex: 'nan_only|gone_gauge' };
    writer2 = await startPrometheusWith(
      workspace,
      'writer2',
      () => ({
        global,
        scrape_configs: [
          job('typed2', target.target, '/typed'),
          job('nan', target.target, '/nan'),
          job('gone', target.target, '/gone'),
        ],
        remote_write: [
          // Only NaNs and, once /gone fails, staleness markers: batches with nothing to store.
          {
            url: stack.writeUrl,
            basic_auth,
            name: 'nothing-to-store',
            protobuf_message: 'io.prometheus.write.v2.Request',
            queue_config: writerQueue,
            write_relabel_configs: [{ ...settled, action: 'keep' }],
          },
          {
            url: stack.writeUrl,
            basic_auth,
            name: 'the-rest',
            protobuf_message: 'io.prometheus.write.v2.Request',
            queue_config: writerQueue,
            write_relabel_configs: [{ ...settled, action: 'drop' }],
          },
        ],
      }),
      ['--enable-feature=type-and-unit-labels'],
    );
    const remoteRead = {
      url: stack.readUrl,
      basic_auth,
      name: 'timestream',
      read_recent: true,
      remote_timeout: '30s',
    };
    reader3 = await startPrometheusWith(workspace, 'reader3', () => ({ global, remote_read: [remoteRead] }));
    reader2 = await startPrometheusReader(workspace, {
      url: stack.readUrl,
      username: ACCESS_KEY_ID,
      password: SECRET_ACCESS_KEY,
    });
    const processes = [writer1.process, writer2.process];
    await runUntil(Date.now() + 8_000, processes);
    // The target of job "gone" fails from now on: Prometheus ends its series with staleness markers.
    target.serve('/gone', 'broken\n', 'text/plain', 500);
    goneAt = Date.now();
    await runUntil(Date.now() + 6_000, processes);
    queryTime = Date.now() - 2_000;
    for (const writer of [writer1, writer2])
      await waitFor(
        `${writer.process.name} to send everything up to the query time`,
        async () => {
          assertRunning(writer.process);
          const metrics = await scrapeMetrics(`${writer.url}/metrics`);
          const sent = metricValuesMin(metrics);
          return sent * 1000 > queryTime + 1_000 ? true : undefined;
        },
        { timeoutMs: 60_000, describe: () => writer.process.logTail() },
      );
  }, 180_000);

  afterAll(async () => {
    await workspace.stop();
    await target?.close();
    await stack?.stop();
  });

  describe('UTF-8 metric and label names (the 3.x default)', () => {
    it('stores OTel-style dotted names and reads them back exactly with a quoted selector', async () => {
      const selector = '{"http.server.request.duration","service.name"="checkout"}';
      const local = await instantQuery(writer1, selector, queryTime);
      const remote = await instantQuery(reader3, selector, queryTime);
      expect(local).toHaveLength(1);
      expect(JSON.parse(local[0]?.labels ?? '[]')).toEqual(
        expect.arrayContaining([
          ['__name__', 'http.server.request.duration'],
          ['service.name', 'checkout'],
          ['http.route', '/pay'],
        ]),
      );
      expect(remote).toEqual(local);
      // Every dotted series of the window is in Timestream under its exact names.
      const stored = await readTimestreamSamples(stack.emulator.endpoint, started, queryTime);
      const names = [...stored.keys()].filter((key) => key.includes('http.server.request.duration'));
      expect(names).toHaveLength(2);
    });

    it('skips and counts names Timestream cannot hold (":" in a label name, over 60 bytes)', async () => {
      const metrics = await stack.metrics();
      const skipped = (reason: string) =>
        metricSum(metrics, 'timestream_connector_skipped_samples_total', { reason });
      expect(skipped('reserved_label_name')).toBeGreaterThan(0);
      expect(skipped('label_name_too_long')).toBeGreaterThan(0);
      const stored = await readTimestreamSamples(stack.emulator.endpoint, started, queryTime);
      expect([...stored.keys()].filter((key) => /colon\.metric|long\.label\.metric/.test(key))).toEqual([]);
      // Prometheus 3 holds them, so the skip is the connector's, not the scrape's.
      expect(await instantQuery(writer1, '{"colon.metric"}', queryTime)).toHaveLength(1);
    });
  });

  describe('type-and-unit-labels: __type__ and __unit__ are stored like any label', () => {
    it.each([
      { protocol: 'remote write 1.0', jobName: 'typed' },
      { protocol: 'remote write 2.0', jobName: 'typed2' },
    ])('over $protocol, and remote read returns them', async ({ jobName }) => {
      const selector = `request_latency_seconds{job="${jobName}"}`;
      const local = await instantQuery(jobName === 'typed' ? writer1 : writer2, selector, queryTime);
      expect(JSON.parse(local[0]?.labels ?? '[]')).toEqual(
        expect.arrayContaining([
          ['__type__', 'gauge'],
          ['__unit__', 'seconds'],
        ]),
      );
      expect(await instantQuery(reader3, selector, queryTime)).toEqual(local);
      expect(
        await instantQuery(
          reader3,
          `{__name__="request_latency_seconds",__type__="gauge",__unit__="seconds",job="${jobName}"}`,
          queryTime,
        ),
      ).toEqual(local);
    });
  });

  describe('native histograms scraped by Prometheus 3', () => {
    it('are counted as unstored while every float sample of the same scrapes is stored, with no failure in Prometheus', async () => {
      const from = started + 3_000;
      const to = queryTime;
      const reference = await rawSamples(writer1, '{job="self"}', from, to);
      expect(reference.histograms).toBeGreaterThan(0);
      const { expected } = storableSamples(reference.floats);
      const stored = await readTimestreamSamples(stack.emulator.endpoint, from, to);
      const self: SeriesSamples = new Map([...stored].filter(([key]) => key.includes('["job","self"]')));
      const comparison = compareSeries(expected, self);
      expect(comparison.examples).toEqual([]);
      expect(comparison.actualSamples).toBe(comparison.expectedSamples);
      const writerMetrics = await scrapeMetrics(`${writer1.url}/metrics`);
      expect(metricSum(writerMetrics, 'prometheus_remote_storage_histograms_total')).toBeGreaterThan(0);
      expect(
        metricSum(await stack.metrics(), 'timestream_connector_unstored_total', { kind: 'histogram' }),
      ).toBeGreaterThan(0);
      expect(await failures(writer1)).toEqual(Object.fromEntries(FAILURE_COUNTERS.map((name) => [name, 0])));
      expect(
        writer1.process
          .log()
          .split('\n')
          .filter((line) => FAILURE_LOG.test(line)),
      ).toEqual([]);
    });
  });

  describe('regex matchers on the read path: Prometheus 3 semantics, and 2.42 still right', () => {
    it.each([
      { matcher: '=~', regex: 'a.b' },
      { matcher: '!~', regex: 'a.*' },
      { matcher: '=~', regex: '.*' },
      { matcher: '=~', regex: 'ab.' },
    ])('line$matcher"$regex"', async ({ matcher, regex }) => {
      const selector = `multiline_info{line${matcher}${JSON.stringify(regex)}}`;
      // Prometheus 3 reading remotely answers as Prometheus 3 holding the data locally.
      const local = await instantQuery(writer1, selector, queryTime);
      expect(await instantQuery(reader3, selector, queryTime)).toEqual(local);
      // 2.42 reading remotely answers by 2.x's semantics, where `.` does not match a newline.
      const lines2x = LINES.filter((line) => matches2x(regex, line) === (matcher === '=~')).sort();
      const answer2x = await instantQuery(reader2, selector, queryTime);
      expect(
        answer2x
          .map(({ labels }) => Object.fromEntries(JSON.parse(labels) as [string, string][]).line)
          .sort(),
      ).toEqual(lines2x);
    });
  });

  describe('remote write 2.0 batches with nothing Timestream can store (NaN only, staleness markers only)', () => {
    it('are answered as written: no failed or retried samples, no error log, and later samples keep flowing', async () => {
      const metrics = await stack.metrics();
      const skipped = (reason: string) =>
        metricSum(metrics, 'timestream_connector_skipped_samples_total', { reason });
      expect(skipped('non_finite_value')).toBeGreaterThan(0);
      expect(skipped('stale_marker')).toBeGreaterThan(0);
      const writerMetrics = await scrapeMetrics(`${writer2.url}/metrics`);
      const sentByQueue = (name: string) =>
        metricSum(writerMetrics, 'prometheus_remote_storage_samples_total', { remote_name: name });
      expect(sentByQueue('nothing-to-store')).toBeGreaterThan(0);
      // That queue went on past /gone's end: its marker-only and NaN-only batches were answered.
      const highestSent = metricSum(
        writerMetrics,
        'prometheus_remote_storage_queue_highest_sent_timestamp_seconds',
        { remote_name: 'nothing-to-store' },
      );
      expect(highestSent * 1000).toBeGreaterThan(goneAt + 2_000);
      expect(await failures(writer2)).toEqual(Object.fromEntries(FAILURE_COUNTERS.map((name) => [name, 0])));
      expect(problemLines(writer2.process.log()).filter((line) => FAILURE_LOG.test(line))).toEqual([]);
      // The other queue's samples after /gone failed are stored: nothing is held up.
      const stored = await readTimestreamSamples(stack.emulator.endpoint, queryTime - 3_000, queryTime);
      const up = [...stored].filter(([key]) => key.includes('"up"') && key.includes('["job","nan"]'));
      expect(up.flatMap(([, samples]) => samples).length).toBeGreaterThan(0);
      await httpGet(`${writer2.url}/-/healthy`);
    });
  });
});

/** The lowest `queue_highest_sent_timestamp_seconds` over a writer's queues (seconds). */
const metricValuesMin = (metrics: Awaited<ReturnType<typeof scrapeMetrics>>): number => {
  const values = metrics
    .filter((sample) => sample.name === 'prometheus_remote_storage_queue_highest_sent_timestamp_seconds')
    .map((sample) => sample.value);
  return values.length === 0 ? 0 : Math.min(...values);
};
