/**
 * What the Prometheus 3 feature cases need beside the shared peers: a scrape target served from
 * the test process (each path's exposition text and content type set by the test), Prometheus 3
 * started from a configuration object, and its PromQL and raw-sample APIs.
 */

import { createServer, type Server } from 'node:http';
import {
  launchPrometheus,
  PROMETHEUS_3,
  type PrometheusRelease,
  type Workspace,
} from '../../../support/peers.js';
import { httpGet, type ManagedProcess } from '../../../support/processes.js';
import {
  addSample,
  parseGoFloat,
  type SeriesSamples,
  seriesKey,
  sortSamples,
} from '../../../support/samples.js';

export const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_FORMAT = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export interface ExpositionTarget {
  /** `127.0.0.1:port` */
  readonly target: string;
  /** Serves `body` at `path`; `status` other than 200 makes the scrape fail (staleness markers). */
  readonly serve: (path: string, body: string, contentType?: string, status?: number) => void;
  readonly close: () => Promise<void>;
}

/** An HTTP scrape target in this process: each path answers what `serve` last set, else 404. */
export const startExpositionTarget = async (): Promise<ExpositionTarget> => {
  const pages = new Map<string, { body: string; contentType: string; status: number }>();
  const server: Server = createServer((request, response) => {
    const page = pages.get((request.url ?? '').split('?', 1)[0] ?? '');
    if (page === undefined) {
      response.writeHead(404).end('not found\n');
      return;
    }
    response.writeHead(page.status, { 'Content-Type': page.contentType }).end(page.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    target: `127.0.0.1:${port}`,
    serve: (path, body, contentType = TEXT_FORMAT, status = 200) =>
      pages.set(path, { body, contentType, status }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

export interface RunningPrometheus {
  readonly process: ManagedProcess;
  readonly url: string;
}

/**
 * Starts Prometheus (3 unless `release` says otherwise) as `name` with `config(port)` (an object,
 * written as JSON, which is YAML too) and the extra `flags`.
 */
export const startPrometheusWith = async (
  workspace: Workspace,
  name: string,
  config: (port: number) => object,
  flags: readonly string[] = [],
  release: PrometheusRelease = PROMETHEUS_3,
): Promise<RunningPrometheus> => {
  const { child, url } = await launchPrometheus(
    workspace,
    name,
    (port) => JSON.stringify(config(port), null, 2),
    {
      release,
      args: flags,
    },
  );
  return { process: child, url };
};

export interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** An instant query's answer, series sorted by their labels; warnings (remote-read errors) throw. */
export const instantQuery = async (
  prometheus: RunningPrometheus,
  query: string,
  timeMs: number,
): Promise<{ readonly labels: string; readonly value: string }[]> => {
  const params = new URLSearchParams({ query, time: (timeMs / 1000).toFixed(3) });
  const body = JSON.parse(await httpGet(`${prometheus.url}/api/v1/query?${params}`, 60_000)) as {
    status: string;
    warnings?: string[];
    data: { resultType: string; result: VectorSample[] };
  };
  if (body.status !== 'success' || body.data.resultType !== 'vector')
    throw new Error(`unexpected answer to ${query}: ${JSON.stringify(body).slice(0, 500)}`);
  if ((body.warnings ?? []).length > 0)
    throw new Error(`${query} answered with warnings: ${body.warnings?.join('; ')}`);
  return body.data.result
    .map((sample) => ({ labels: seriesKey(sample.metric), value: sample.value[1] }))
    .sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0));
};

/**
 * Every raw float sample in Prometheus's TSDB matching `selector` with `from <= t <= to`; native
 * histogram samples (`histograms` in the answer) are returned apart, counted per series.
 */
export const rawSamples = async (
  prometheus: RunningPrometheus,
  selector: string,
  from: number,
  to: number,
): Promise<{ readonly floats: SeriesSamples; readonly histograms: number }> => {
  const rangeSeconds = Math.ceil((to - from) / 1000) + 2;
  const params = new URLSearchParams({
    query: `${selector}[${rangeSeconds}s]`,
    time: (to / 1000).toFixed(3),
  });
  const body = JSON.parse(await httpGet(`${prometheus.url}/api/v1/query?${params}`, 60_000)) as {
    status: string;
    data: {
      resultType: string;
      result: {
        metric: Record<string, string>;
        values?: [number, string][];
        histograms?: [number, unknown][];
      }[];
    };
  };
  if (body.status !== 'success' || body.data.resultType !== 'matrix')
    throw new Error(`unexpected Prometheus answer: ${JSON.stringify(body).slice(0, 500)}`);
  const floats: SeriesSamples = new Map();
  let histograms = 0;
  for (const series of body.data.result) {
    const key = seriesKey(series.metric);
    for (const [seconds, value] of series.values ?? []) {
      const t = Math.round(seconds * 1000);
      if (t >= from && t <= to) addSample(floats, key, { t, v: parseGoFloat(value) });
    }
    for (const [seconds] of series.histograms ?? []) {
      const t = Math.round(seconds * 1000);
      if (t >= from && t <= to) histograms++;
    }
  }
  return { floats: sortSamples(floats), histograms };
};
