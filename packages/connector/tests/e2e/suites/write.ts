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
} from '../helpers/connector.js';
import {
  type NodeExporter,
  type Prometheus,
  perUrl,
  problemLines,
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
} from '../helpers/peers.js';
import { requireBinary, runUntil } from '../helpers/processes.js';
import {
  type Comparison,
  compareSeries,
  type ExposedSample,
  metricSum,
  metricValues,
  reportedSum,
  storableSamples,
} from '../helpers/samples.js';

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

export const describeWriteE2E = (target: ConnectorTarget): void => {
  describe(`remote write from Prometheus 2.42 to ${target.name}`, () => {
    let workspace: Workspace | undefined;
    let stack: ConnectorStack | undefined;
    let nodeExporter: NodeExporter;
    let prometheus: Prometheus;
    let readyAt: number;

    beforeAll(async () => {
      requireBinary('prometheus');
      requireBinary('prometheus-node-exporter');
      workspace = new Workspace('write-e2e-prometheus');
      stack = await target.start();
      nodeExporter = await startNodeExporter(workspace);
      prometheus = await startPrometheus(
        workspace,
        { nodeExporter: nodeExporter.target },
        { url: stack.writeUrl, username: ACCESS_KEY_ID, password: SECRET_ACCESS_KEY },
      );
      readyAt = Date.now();
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      // Senders first, so nothing retries against a stopped connector; the connector last.
      await workspace?.stop();
      await stack?.stop();
    }, SETUP_TIMEOUT_MS);

    test(
      'stores every sample Prometheus scraped in a 60 s window, exactly',
      async () => {
        const connector = stack as ConnectorStack;
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
        const actual = await readTimestreamSamples(connector.emulator.endpoint, from, to);
        const comparison = compareSeries(expected, actual);

        const metrics = await connector.metrics();
        const metering = connector.emulator.metering();
        const remote = { remote_name: 'timestream' };
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
          prometheusRemoteWriteProblems: problemLines(prometheus.process.log()).filter((line) =>
            /remote|queue/i.test(line),
          ),
          connectorFailedResponses: failedResponses(metrics),
          connectorWarnings: connector.warnings.slice(0, 10),
          timestreamRecordsRejected: metering.writes.recordsRejected,
          ...comparisonFigures(comparison),
        };
        report('Prometheus 2.42', {
          window: { from, to, seconds: (to - from) / 1000 },
          scrapedSeconds: scrapedMs / 1000,
          testSeconds: (Date.now() - started) / 1000,
          referenceSeries: reference.size,
          excluded,
          comparedSeries: comparison.expectedSeries,
          comparedSamples: comparison.expectedSamples,
          timestreamSeries: comparison.actualSeries,
          timestreamSamples: comparison.actualSamples,
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
          prometheusSamplesFailed: 0,
          prometheusSamplesDropped: 0,
          prometheusSamplesRetried: 0,
          prometheusMetadataFailed: 0,
          prometheusMetadataRetried: 0,
          prometheusRemoteWriteProblems: [],
          connectorFailedResponses: {},
          connectorWarnings: [],
          timestreamRecordsRejected: 0,
          mismatchingSeries: 0,
          firstMismatches: [],
        });
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
        // The metadata-only requests (every 10 s) were answered too.
        expect(metricSum(senderMetrics, 'prometheus_remote_storage_metadata_total', remote)).toBeGreaterThan(
          0,
        );
      },
      TEST_TIMEOUT_MS,
    );
  });

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
