/**
 * Acceptance of the write path with real senders: Prometheus 2.42 and vmagent scrape
 * node-exporter and themselves every second for over a minute and remote-write to the connector
 * (passthrough auth) in front of the Timestream emulator. Afterwards every series of a window of
 * at least 60 s is compared with a reference store that received the same samples (Prometheus's
 * own TSDB, VictoriaMetrics): same series, same millisecond timestamps, same values — except what
 * the connector documents it does not store (non-finite values, staleness markers, label sets
 * Timestream cannot hold), which is taken out of the expected set explicitly.
 *
 * The peers come from Debian packages (prometheus, prometheus-node-exporter, victoria-metrics);
 * a missing binary fails the test and names the package to install.
 */
import {
  ACCESS_KEY_ID,
  type ConnectorStack,
  type ConnectorTarget,
  readTimestreamSamples,
  SECRET_ACCESS_KEY,
} from '../../../support/connector-stack.js';
import {
  type NodeExporter,
  PROMETHEUS_2,
  PROMETHEUS_3,
  type Prometheus,
  type PrometheusRelease,
  perUrl,
  problemLines,
  type RemoteWriteProtocol,
  readPrometheusSamples,
  readVictoriaMetricsSamples,
  startNodeExporter,
  startPrometheus,
  startVictoriaMetrics,
  startVmagent,
  type VictoriaMetrics,
  type Vmagent,
  Workspace,
  waitUntilPrometheusSentEverything,
  waitUntilVmagentSentEverything,
} from '../../../support/peers.js';
import { requireBinary, runUntil } from '../../../support/processes.js';
import {
  type Comparison,
  compareSeries,
  countSamples,
  type ExposedSample,
  inWindow,
  metricSum,
  metricValues,
  reportedSum,
  storableSamples,
} from '../../../support/samples.js';
import { startWireRecorder, type WireRecorder, type WriteExchange } from '../helpers/wire-recorder.js';

/** The compared window: at least this long, all of it scraped every second. */
const WINDOW_MS = 60_000;
/** Time after the senders are ready before the window opens: every target scraped a few times. */
const WARM_UP_MS = 5_000;
/** The window closes this long before scraping stops. */
const WINDOW_END_MARGIN_MS = 3_000;
const TEST_TIMEOUT_MS = 240_000;
const SETUP_TIMEOUT_MS = 60_000;

/** The connector's answers that were not 2xx, as `handler code → count`. */
const failedResponses = (metrics: readonly ExposedSample[]): Record<string, number> => {
  const failed: Record<string, number> = {};
  for (const sample of metricValues(metrics, 'timestream_connector_http_requests_total')) {
    if (!sample.labels.code?.startsWith('2'))
      failed[`${sample.labels.handler} ${sample.labels.code}`] = sample.value;
  }
  return failed;
};

const report = (sender: string, figures: Record<string, unknown>): void => {
  process.stdout.write(`\n[write-e2e] ${sender}: ${JSON.stringify(figures)}\n`);
};

const comparisonFigures = (comparison: Comparison) => ({
  mismatchingSeries: comparison.mismatchingSeries,
  firstMismatches: comparison.examples,
});

/** A sender the write suite runs: a Prometheus release speaking one remote-write protocol, or vmagent. */
export type WriteSender =
  | {
      readonly kind: 'prometheus';
      readonly release: PrometheusRelease;
      readonly protocol: RemoteWriteProtocol;
    }
  | { readonly kind: 'vmagent' };

export const WRITE_SENDERS = {
  prometheus2: { kind: 'prometheus', release: PROMETHEUS_2, protocol: '1.0' },
  prometheus3v1: { kind: 'prometheus', release: PROMETHEUS_3, protocol: '1.0' },
  prometheus3v2: { kind: 'prometheus', release: PROMETHEUS_3, protocol: '2.0' },
  vmagent: { kind: 'vmagent' },
} as const satisfies Record<string, WriteSender>;

const ALL_WRITE_SENDERS: readonly WriteSender[] = Object.values(WRITE_SENDERS);

const sum = (exchanges: readonly WriteExchange[], count: (exchange: WriteExchange) => number): number =>
  exchanges.reduce((total, exchange) => total + count(exchange), 0);

/**
 * What the connector answered each remote-write request, checked against what the request held:
 * remote write 1.0 answers carry no `*-Written` headers (1.0 defines none; Prometheus 3 trusts a
 * 2xx without them as all written); 2.0 answers carry all three, the samples count being exactly
 * the samples of that request the connector stores plus the staleness markers and NaN/±Inf values
 * it settles by policy (never samples of series Timestream cannot hold, which relabeling could
 * fix: the answer does not claim those).
 */
const answerProblems = (exchanges: readonly WriteExchange[]): string[] =>
  exchanges.flatMap((exchange, i) => {
    const { written } = exchange;
    const expected =
      exchange.version === '1.0'
        ? { samples: undefined, histograms: undefined, exemplars: undefined }
        : { samples: exchange.storable + exchange.settled, histograms: 0, exemplars: 0 };
    return JSON.stringify(written) === JSON.stringify(expected)
      ? []
      : [
          `request ${i} (${exchange.version}, ${exchange.samples} samples): answered ${JSON.stringify(written)}, expected ${JSON.stringify(expected)}`,
        ];
  });

/**
 * Remote write 2.0 in Prometheus 3 (`storage/remote/queue_manager.go`, `updateMetrics`): a 2xx
 * whose `Samples-Written` is below the samples sent adds the difference to
 * `prometheus_remote_storage_samples_failed_total` and logs "we got 2xx status code from the
 * Receiver yet statistics indicate some data was not written"; a 2xx with every count 0 for a
 * request with data is a non-recoverable error (logged, counted failed, not retried). The
 * connector counts settled samples (staleness markers, NaN/±Inf) as written, so only samples of
 * series Timestream cannot hold would count as failed: the expected count is exactly what the
 * answers said was not written. For 1.0, nothing fails.
 */
const expectedPrometheusFailures = (
  exchanges: readonly WriteExchange[],
): { readonly samples: number; readonly shortAnswers: number } => {
  const short = exchanges.filter(
    (exchange) => exchange.version === '2.0' && (exchange.written.samples ?? 0) < exchange.samples,
  );
  return {
    samples: sum(short, (exchange) => exchange.samples - (exchange.written.samples ?? 0)),
    shortAnswers: short.length,
  };
};

const WRITTEN_COUNT_LOG =
  /statistics indicate some data was not written|PRW 2\.0 response header statistics indicate/;

const senderName = (sender: Extract<WriteSender, { kind: 'prometheus' }>): string =>
  `${sender.release.name} (remote write ${sender.protocol})`;

const describePrometheusWrite = (
  target: ConnectorTarget,
  sender: Extract<WriteSender, { kind: 'prometheus' }>,
): void => {
  describe(`remote write from ${senderName(sender)} to ${target.name}`, () => {
    let workspace: Workspace | undefined;
    let stack: ConnectorStack | undefined;
    let recorder: WireRecorder | undefined;
    let nodeExporter: NodeExporter;
    let prometheus: Prometheus;
    let readyAt: number;

    beforeAll(async () => {
      sender.release.binary();
      requireBinary('prometheus-node-exporter');
      workspace = new Workspace(`write-e2e-prometheus${sender.release.major}-rw${sender.protocol}`);
      stack = await target.start();
      recorder = await startWireRecorder(stack);
      nodeExporter = await startNodeExporter(workspace);
      prometheus = await startPrometheus(
        workspace,
        { nodeExporter: nodeExporter.target },
        {
          url: `${recorder.url}/write`,
          username: ACCESS_KEY_ID,
          password: SECRET_ACCESS_KEY,
          protocol: sender.protocol,
        },
        { release: sender.release },
      );
      readyAt = Date.now();
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      // Senders first, so nothing retries against a stopped connector; the connector last.
      await workspace?.stop();
      await recorder?.stop();
      await stack?.stop();
    }, SETUP_TIMEOUT_MS);

    test(
      'stores every sample Prometheus scraped in a 60 s window, exactly',
      async () => {
        const connector = stack as ConnectorStack;
        const wire = recorder as WireRecorder;
        const started = Date.now();
        const from = readyAt + WARM_UP_MS;
        await runUntil(from + WINDOW_MS + WINDOW_END_MARGIN_MS, [nodeExporter.process, prometheus.process]);
        const to = Date.now() - WINDOW_END_MARGIN_MS;
        // Stop scraping (the remote-write queue keeps running) so that "sent everything" is a state
        // Prometheus reaches, rather than a race against the next scrape.
        await prometheus.stopScraping();
        const scrapedMs = Date.now() - readyAt;
        const senderMetrics = await waitUntilPrometheusSentEverything(prometheus);

        const reference = await readPrometheusSamples(prometheus, from, to);
        // Out of the expected set, as the connector documents: NaN/±Inf samples (summaries without
        // observations report NaN quantiles) and series Timestream cannot store. Staleness markers
        // never show in Prometheus's query answers.
        const { expected, excluded } = storableSamples(reference);
        // Everything the table holds (the whole run), and the window of it.
        const stored = await readTimestreamSamples(
          connector.emulator.endpoint,
          readyAt - 3_600_000,
          Date.now(),
        );
        const actual = inWindow(stored, from, to);
        const comparison = compareSeries(expected, actual);

        const metrics = await connector.metrics();
        const metering = connector.emulator.metering();
        const remote = { remote_name: 'timestream' };
        const exchanges = wire.writes;
        const failures = expectedPrometheusFailures(exchanges);
        const remoteProblems = problemLines(prometheus.process.log(), 1_000).filter((line) =>
          /remote|queue/i.test(line),
        );
        const outcome = {
          prometheusSamplesFailed: metricSum(
            senderMetrics,
            'prometheus_remote_storage_samples_failed_total',
            remote,
          ),
          prometheusSamplesDropped: metricSum(
            senderMetrics,
            'prometheus_remote_storage_samples_dropped_total',
            remote,
          ),
          prometheusSamplesRetried: metricSum(
            senderMetrics,
            'prometheus_remote_storage_samples_retried_total',
            remote,
          ),
          prometheusHistogramsSent: metricSum(
            senderMetrics,
            'prometheus_remote_storage_histograms_total',
            remote,
          ),
          prometheusMetadataFailed: metricSum(
            senderMetrics,
            'prometheus_remote_storage_metadata_failed_total',
            remote,
          ),
          prometheusMetadataRetried: metricSum(
            senderMetrics,
            'prometheus_remote_storage_metadata_retried_total',
            remote,
          ),
          // Prometheus 3's remote write 2.0 logs answers whose Written counts fall short (its remote
          // storage logger drops repeats of a line for a minute, storage.go: so not one per answer).
          prometheusLoggedShortWrittenCounts: remoteProblems.some((line) => WRITTEN_COUNT_LOG.test(line)),
          prometheusRemoteWriteProblems: remoteProblems
            .filter((line) => !WRITTEN_COUNT_LOG.test(line))
            .slice(0, 10),
          protocolsSent: [...new Set(exchanges.map((exchange) => exchange.version))],
          answersNotAsExpected: answerProblems(exchanges).slice(0, 10),
          recorderProblems: wire.problems.slice(0, 10),
          connectorFailedResponses: failedResponses(metrics),
          connectorWarnings: connector.warnings.slice(0, 10),
          timestreamRecordsRejected: metering.writes.recordsRejected,
          // Every sample the connector was sent and documents it stores is in the table, once.
          timestreamRowsStored: countSamples(stored),
          ...comparisonFigures(comparison),
        };
        const storableSent = sum(exchanges, (exchange) => exchange.storable);
        const writtenAnswered =
          sender.protocol === '2.0' ? sum(exchanges, (exchange) => exchange.written.samples ?? 0) : undefined;
        report(senderName(sender), {
          window: { from, to, seconds: (to - from) / 1000 },
          scrapedSeconds: scrapedMs / 1000,
          testSeconds: (Date.now() - started) / 1000,
          referenceSeries: reference.size,
          excluded,
          comparedSeries: comparison.expectedSeries,
          comparedSamples: comparison.expectedSamples,
          timestreamSeries: comparison.actualSeries,
          timestreamSamples: comparison.actualSamples,
          missingSamples: comparison.missingSamples,
          extraSamples: comparison.extraSamples,
          wrongSamples: comparison.wrongSamples,
          samplesSentByPrometheus: metricSum(
            senderMetrics,
            'prometheus_remote_storage_samples_total',
            remote,
          ),
          metadataSentByPrometheus: metricSum(
            senderMetrics,
            'prometheus_remote_storage_metadata_total',
            remote,
          ),
          wire: {
            requests: exchanges.length,
            samples: sum(exchanges, (exchange) => exchange.samples),
            staleMarkers: sum(exchanges, (exchange) => exchange.staleMarkers),
            nonFinite: sum(exchanges, (exchange) => exchange.nonFinite),
            settled: sum(exchanges, (exchange) => exchange.settled),
            unstorable: sum(exchanges, (exchange) => exchange.unstorable),
            storable: storableSent,
            metadata: sum(exchanges, (exchange) => exchange.metadata),
            withStartTimestamp: sum(exchanges, (exchange) => exchange.withStartTimestamp),
            writtenAnswered,
          },
          prometheusSamplesFailed: outcome.prometheusSamplesFailed,
          timestreamRowsStored: outcome.timestreamRowsStored,
          connectorRequests: metricSum(metrics, 'timestream_connector_http_requests_total'),
          connectorWritten: reportedSum(metrics, 'timestream_connector_written_samples_total'),
          connectorSkipped: Object.fromEntries(
            metricValues(metrics, 'timestream_connector_skipped_samples_total').map((s) => [
              s.labels.reason,
              s.value,
            ]),
          ),
          mismatchingSeries: comparison.mismatchingSeries,
        });

        expect(outcome).toEqual({
          prometheusSamplesFailed: failures.samples,
          prometheusSamplesDropped: 0,
          prometheusSamplesRetried: 0,
          prometheusHistogramsSent: 0,
          prometheusMetadataFailed: 0,
          prometheusMetadataRetried: 0,
          prometheusLoggedShortWrittenCounts: failures.shortAnswers > 0,
          prometheusRemoteWriteProblems: [],
          protocolsSent: [sender.protocol],
          answersNotAsExpected: [],
          recorderProblems: [],
          connectorFailedResponses: {},
          connectorWarnings: [],
          timestreamRecordsRejected: 0,
          timestreamRowsStored: storableSent,
          mismatchingSeries: 0,
          firstMismatches: [],
        });
        // These targets expose no series Timestream cannot hold, and the connector answers settled
        // NaN and markers as written: Prometheus counts no failed sample, in either protocol.
        expect(sum(exchanges, (exchange) => exchange.unstorable)).toBe(0);
        expect(failures.samples).toBe(0);
        if (sender.protocol === '2.0')
          expect(sum(exchanges, (exchange) => exchange.settled)).toBeGreaterThan(0);
        // Passthrough auth: every WriteRecords call was signed with the key Prometheus sent as its
        // basic-auth username (the test's reader signs its queries with its own).
        expect(Object.keys(metering.accessKeys).filter((key) => key !== 'AKIDE2EREADER')).toEqual([
          ACCESS_KEY_ID,
        ]);
        expect(to - from).toBeGreaterThanOrEqual(WINDOW_MS);
        // A meaningful comparison: node-exporter and Prometheus expose hundreds of series each.
        expect(comparison.expectedSeries).toBeGreaterThan(500);
        expect(comparison.expectedSamples).toBeGreaterThan(10_000);
        expect(comparison.actualSamples).toBe(comparison.expectedSamples);
        if (sender.protocol === '1.0') {
          // The metadata-only requests (every 10 s) were answered too.
          expect(
            metricSum(senderMetrics, 'prometheus_remote_storage_metadata_total', remote),
          ).toBeGreaterThan(0);
        } else {
          // Remote write 2.0 carried metadata with its series, and start timestamps (Prometheus's
          // own counters expose their created time in PrometheusProto), and the connector took them.
          expect(sum(exchanges, (exchange) => exchange.metadata)).toBeGreaterThan(500);
          expect(sum(exchanges, (exchange) => exchange.withStartTimestamp)).toBeGreaterThan(100);
          // The answers claimed what was stored, plus what was settled by policy, nothing more.
          expect(writtenAnswered).toBe(
            outcome.timestreamRowsStored + sum(exchanges, (exchange) => exchange.settled),
          );
        }
        expect(sum(exchanges, (exchange) => exchange.metadata)).toBeGreaterThan(0);
      },
      TEST_TIMEOUT_MS,
    );
  });
};

/**
 * The write path against `senders` (default: every one — Prometheus 2.42 with remote write 1.0,
 * Prometheus 3 with 1.0 and with 2.0, vmagent).
 */
export const describeWriteE2E = (
  target: ConnectorTarget,
  senders: readonly WriteSender[] = ALL_WRITE_SENDERS,
): void => {
  for (const sender of senders) if (sender.kind === 'prometheus') describePrometheusWrite(target, sender);
  if (senders.some((sender) => sender.kind === 'vmagent')) describeVmagentWrite(target);
};

const describeVmagentWrite = (target: ConnectorTarget): void => {
  /**
   * VictoriaMetrics keeps values as decimals (`lib/decimal`: an int64 mantissa converted with 12
   * significant digits, 15 above 1e6, then scaled to one exponent per block), so a value with more
   * significant digits comes back rounded (e.g. 2^64 from `process_virtual_memory_max_bytes` comes
   * back as 18446744073709548000). Integers up to 2^53, the bulk of the samples, come back exact
   * and must match exactly; other values must match to VictoriaMetrics' precision. Exact storage of
   * every double is what the Prometheus test above checks.
   */
  const VICTORIA_METRICS_RELATIVE_PRECISION = 2e-12;
  const sameToVictoriaMetricsPrecision = (stored: number, timestream: number): boolean =>
    !Number.isSafeInteger(timestream) &&
    Number.isFinite(timestream) &&
    Math.abs(stored - timestream) <=
      VICTORIA_METRICS_RELATIVE_PRECISION * Math.max(Math.abs(stored), Math.abs(timestream));

  describe(`remote write from vmagent to ${target.name} and to VictoriaMetrics`, () => {
    let workspace: Workspace | undefined;
    let stack: ConnectorStack | undefined;
    let nodeExporter: NodeExporter;
    let victoriaMetrics: VictoriaMetrics;
    let vmagent: Vmagent;
    let readyAt: number;

    beforeAll(async () => {
      requireBinary('victoria-metrics');
      requireBinary('vmagent');
      requireBinary('prometheus-node-exporter');
      workspace = new Workspace('write-e2e-vmagent');
      stack = await target.start();
      nodeExporter = await startNodeExporter(workspace);
      victoriaMetrics = await startVictoriaMetrics(workspace);
      vmagent = await startVmagent(workspace, { nodeExporter: nodeExporter.target }, [
        { url: stack.writeUrl, username: ACCESS_KEY_ID, password: SECRET_ACCESS_KEY },
        { url: `${victoriaMetrics.url}/api/v1/write` },
      ]);
      readyAt = Date.now();
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      await workspace?.stop();
      await stack?.stop();
    }, SETUP_TIMEOUT_MS);

    test(
      'stores every sample vmagent sent in a 60 s window, as VictoriaMetrics did',
      async () => {
        const connector = stack as ConnectorStack;
        const started = Date.now();
        const from = readyAt + WARM_UP_MS;
        await runUntil(from + WINDOW_MS + WINDOW_END_MARGIN_MS, [
          nodeExporter.process,
          victoriaMetrics.process,
          vmagent.process,
        ]);
        const to = Date.now() - WINDOW_END_MARGIN_MS;
        await vmagent.stopScraping();
        const scrapedMs = Date.now() - readyAt;
        const senderMetrics = await waitUntilVmagentSentEverything(vmagent);

        const reference = await readVictoriaMetricsSamples(victoriaMetrics, from, to);
        // Out of the expected set, as the connector documents: NaN/±Inf samples (VictoriaMetrics
        // also stores staleness markers, which are NaNs) and series Timestream cannot store.
        const { expected, excluded } = storableSamples(reference);
        const actual = await readTimestreamSamples(connector.emulator.endpoint, from, to);
        const comparison = compareSeries(expected, actual, sameToVictoriaMetricsPrecision);

        const metrics = await connector.metrics();
        const metering = connector.emulator.metering();
        const requests = perUrl(senderMetrics, 'vmagent_remotewrite_requests_total');
        const outcome = {
          vmagentRequestsNot2xx: Object.fromEntries(
            Object.entries(requests).filter(([key]) => !key.endsWith(' 2XX')),
          ),
          vmagentErrors: metricSum(senderMetrics, 'vmagent_remotewrite_errors_total'),
          vmagentRetries: metricSum(senderMetrics, 'vmagent_remotewrite_retries_count_total'),
          vmagentPacketsDropped: metricSum(senderMetrics, 'vmagent_remotewrite_packets_dropped_total'),
          vmagentLogProblems: problemLines(vmagent.process.log()),
          connectorFailedResponses: failedResponses(metrics),
          connectorWarnings: connector.warnings.slice(0, 10),
          timestreamRecordsRejected: metering.writes.recordsRejected,
          ...comparisonFigures(comparison),
        };
        report('vmagent 1.79', {
          window: { from, to, seconds: (to - from) / 1000 },
          scrapedSeconds: scrapedMs / 1000,
          testSeconds: (Date.now() - started) / 1000,
          referenceSeries: reference.size,
          excluded,
          comparedSeries: comparison.expectedSeries,
          comparedSamples: comparison.expectedSamples,
          timestreamSeries: comparison.actualSeries,
          timestreamSamples: comparison.actualSamples,
          missingSamples: comparison.missingSamples,
          extraSamples: comparison.extraSamples,
          wrongSamples: comparison.wrongSamples,
          valuesRoundedByVictoriaMetrics: comparison.inexactValues,
          vmagentRequests: requests,
          vmagentRowsPushed: perUrl(senderMetrics, 'vmagent_remotewrite_rows_pushed_after_relabel_total'),
          connectorWritten: reportedSum(metrics, 'timestream_connector_written_samples_total'),
          connectorSkipped: Object.fromEntries(
            metricValues(metrics, 'timestream_connector_skipped_samples_total').map((s) => [
              s.labels.reason,
              s.value,
            ]),
          ),
          mismatchingSeries: comparison.mismatchingSeries,
        });

        expect(outcome).toEqual({
          vmagentRequestsNot2xx: {},
          vmagentErrors: 0,
          vmagentRetries: 0,
          vmagentPacketsDropped: 0,
          vmagentLogProblems: [],
          connectorFailedResponses: {},
          connectorWarnings: [],
          timestreamRecordsRejected: 0,
          mismatchingSeries: 0,
          firstMismatches: [],
        });
        expect(Object.keys(metering.accessKeys).filter((key) => key !== 'AKIDE2EREADER')).toEqual([
          ACCESS_KEY_ID,
        ]);
        // Both destinations were written to, through Prometheus remote write (vmagent 1.79 has no
        // other protocol); vmagent labels its per-URL metrics `<position>:<url>`.
        expect(Object.keys(requests).sort()).toEqual([
          `1:${connector.writeUrl} 2XX`,
          `2:${victoriaMetrics.url}/api/v1/write 2XX`,
        ]);
        expect(to - from).toBeGreaterThanOrEqual(WINDOW_MS);
        expect(comparison.expectedSeries).toBeGreaterThan(500);
        expect(comparison.expectedSamples).toBeGreaterThan(10_000);
        expect(comparison.actualSamples).toBe(comparison.expectedSamples);
      },
      TEST_TIMEOUT_MS,
    );
  });
};
