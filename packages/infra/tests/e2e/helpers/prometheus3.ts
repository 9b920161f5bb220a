/**
 * Prometheus 3 (the release the e2e setup builds) for the IAM tests: it scrapes itself every second
 * under its own job name and remote-writes with SigV4 (`sigv4:` with `service_name: execute-api`,
 * the way it calls an API Gateway API authorized by IAM); optionally it remote-reads too. A reader
 * remote-reads only, with the bearer token (remote_read has no `sigv4`).
 */
import {
  launchPrometheus,
  PROMETHEUS_3,
  scrapeMetrics,
  type Workspace,
} from '../../../../connector/support/peers.js';
import { assertRunning, type ManagedProcess, waitFor } from '../../../../connector/support/processes.js';
import { type ExposedSample, metricSum } from '../../../../connector/support/samples.js';

/** The `sigv4:` block of a remote_write (prometheus/sigv4's SigV4Config). */
export interface SigV4 {
  readonly region: string;
  readonly access_key: string;
  readonly secret_key: string;
  readonly service_name: 'execute-api';
}

export interface Prometheus3 {
  readonly process: ManagedProcess;
  readonly url: string;
  readonly metrics: () => Promise<ExposedSample[]>;
}

/**
 * Starts Prometheus 3 as `name` (also its scrape job's name), writing to `writeUrl` signed with
 * `sigv4`, and reading every range from `readUrl` when given (unsigned: remote_read has no
 * `sigv4`). One shard, so the highest sent timestamp means every older sample was answered.
 */
export const startPrometheus3 = async (
  workspace: Workspace,
  name: string,
  options: { readonly writeUrl: string; readonly sigv4: SigV4; readonly readUrl?: string },
): Promise<Prometheus3> => {
  const { child, url } = await launchPrometheus(
    workspace,
    name,
    (port) =>
      JSON.stringify(
        {
          global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1m' },
          scrape_configs: [{ job_name: name, static_configs: [{ targets: [`127.0.0.1:${port}`] }] }],
          remote_write: [
            {
              url: options.writeUrl,
              name: 'timestream',
              remote_timeout: '30s',
              sigv4: options.sigv4,
              queue_config: {
                batch_send_deadline: '1s',
                min_backoff: '30ms',
                max_backoff: '1s',
                min_shards: 1,
                max_shards: 1,
              },
            },
          ],
          ...(options.readUrl === undefined
            ? {}
            : { remote_read: [{ url: options.readUrl, name: 'timestream', read_recent: true }] }),
        },
        null,
        2,
      ),
    { release: PROMETHEUS_3 },
  );
  return { process: child, url, metrics: () => scrapeMetrics(`${url}/metrics`) };
};

/**
 * Starts Prometheus 3 as `name` with no scrape jobs, whose only data is what `remote_read` from
 * `readUrl` answers (every range read remotely, `read_recent: true`), sending the bearer token in
 * `tokenFile` (`authorization: { type: Bearer, credentials_file }`), as a remote_read of an
 * `AuthMode=iam` stack must.
 */
export const startPrometheus3Reader = async (
  workspace: Workspace,
  name: string,
  options: { readonly readUrl: string; readonly tokenFile: string },
): Promise<Prometheus3> => {
  const { child, url } = await launchPrometheus(
    workspace,
    name,
    () =>
      JSON.stringify(
        {
          global: { scrape_interval: '1s', evaluation_interval: '1m' },
          remote_read: [
            {
              url: options.readUrl,
              name: 'timestream',
              read_recent: true,
              remote_timeout: '30s',
              authorization: { type: 'Bearer', credentials_file: options.tokenFile },
            },
          ],
        },
        null,
        2,
      ),
    { release: PROMETHEUS_3 },
  );
  return { process: child, url, metrics: () => scrapeMetrics(`${url}/metrics`) };
};

/** Waits until `metric` (summed) of `prometheus` reaches `atLeast`; returns its metrics then. */
export const waitForMetric = (
  prometheus: Prometheus3,
  metric: string,
  atLeast: number,
  timeoutMs = 60_000,
): Promise<ExposedSample[]> =>
  waitFor(
    `${prometheus.process.name}'s ${metric} to reach ${atLeast}`,
    async () => {
      assertRunning(prometheus.process);
      const metrics = await prometheus.metrics();
      return metricSum(metrics, metric) >= atLeast ? metrics : undefined;
    },
    { timeoutMs, intervalMs: 500, describe: () => prometheus.process.logTail() },
  );
