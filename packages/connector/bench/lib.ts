/**
 * What every benchmark section shares: statistics, CPU time of a process from /proc, the
 * request bodies (node_exporter-like label sets from Prometheus 2.42 captures, fresh
 * timestamps), a load generator, and the processes under test (the connector's CLI and the
 * emulator's, each a child process of its own, so their CPU is measured apart).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import {
  compressSnappyBlock,
  decodeWriteRequest,
  encodeWriteRequestV1,
  type Label,
} from '@prometheus-timestream/codec';
import type { Workspace } from '../tests/e2e/helpers/peers.js';
import { freePort, type ManagedProcess, waitForHttp } from '../tests/e2e/helpers/processes.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DATABASE = 'BenchDatabase';
export const TABLE = 'BenchTable';
/** Passthrough: the emulator accepts any key pair. */
const CREDENTIALS = { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'bench-secret' } as const;
export const BASIC_AUTH = `Basic ${Buffer.from(`${CREDENTIALS.accessKeyId}:${CREDENTIALS.secretAccessKey}`).toString('base64')}`;

/** A plain SDK write client against the emulator, as another program would build one. */
export const emulatorWriteClient = (emulator: Emulator): TimestreamWriteClient =>
  new TimestreamWriteClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: CREDENTIALS });

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** The `p`-th percentile (0–100), nearest rank. */
export const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
};

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU seconds a process has used so far (all its threads), from /proc/<pid>/stat. */
export const cpuSeconds = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) in parentheses: utime is the 14th field.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
};

/** Resident set size of a process, bytes. */
export const rssBytes = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
};

/** The distinct label sets of the captured Prometheus 2.42 remote-write bodies (node_exporter and Prometheus's own). */
export const capturedLabelSets = (): Label[][] => {
  const dir = join(REPO, 'packages', 'codec', 'tests', 'fixtures', 'prometheus-2.42');
  const seen = new Map<string, Label[]>();
  for (const file of readdirSync(dir)
    .filter((name) => /^write-\d+\.bin$/.test(name))
    .sort()) {
    for (const series of decodeWriteRequest(new Uint8Array(readFileSync(join(dir, file)))).series) {
      const key = series.labels.map((label) => `${label.name}=${label.value}`).join(',');
      if (!seen.has(key)) seen.set(key, [...series.labels]);
    }
  }
  return [...seen.values()];
};

export interface RequestBodies {
  readonly bodies: readonly Uint8Array[];
  readonly samplesPerBody: number;
  readonly series: number;
}

/**
 * `count` remote-write 1.0 bodies of `samplesPerBody` samples each, as Prometheus shards them: the
 * label sets in turn, one sample per series per 15 s scrape, each scrape newer than the last and
 * all within the last hours (every receiver accepts them as in order and fresh).
 */
export const requestBodies = (
  count: number,
  samplesPerBody: number,
  labelSets: readonly Label[][],
): RequestBodies => {
  const scrapes = Math.ceil((count * samplesPerBody) / labelSets.length);
  const start = Date.now() - scrapes * 15_000 - 60_000;
  const bodies: Uint8Array[] = [];
  let sample = 0;
  for (let b = 0; b < count; b++) {
    const series = [];
    for (let i = 0; i < samplesPerBody; i++, sample++) {
      const scrape = Math.floor(sample / labelSets.length);
      const labels = labelSets[sample % labelSets.length] as Label[];
      series.push({
        labels,
        samples: [{ timestampMs: start + scrape * 15_000, value: (sample % 977) * 1.25 + scrape }],
      });
    }
    bodies.push(compressSnappyBlock(encodeWriteRequestV1({ series })));
  }
  return { bodies, samplesPerBody, series: labelSets.length };
};

export interface LoadResult {
  readonly seconds: number;
  readonly requests: number;
  readonly samplesAccepted: number;
  /** Status → count for answers that were not 2xx. */
  readonly failures: Record<string, number>;
  /** Per-request latency, ms. */
  readonly latenciesMs: number[];
}

/** POSTs `body` to `url` over `agent`; the answer's status and its body (as text, cut at 300 characters). */
export const postOnce = (
  agent: Agent,
  url: URL,
  body: Uint8Array,
  headers: Readonly<Record<string, string>>,
): Promise<{ readonly status: number; readonly text: string }> =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...headers, 'content-length': body.length },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => {
          if (chunks.length < 4) chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8').slice(0, 300),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });

/** POSTs every body once to `url`, `concurrency` at a time over keep-alive connections. */
export const postBodies = async (
  url: string,
  bodies: RequestBodies,
  options: { readonly concurrency: number; readonly headers?: Readonly<Record<string, string>> },
): Promise<LoadResult> => {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const target = new URL(url);
  const latenciesMs: number[] = [];
  const failures: Record<string, number> = {};
  let accepted = 0;
  let next = 0;
  const post = async (body: Uint8Array): Promise<number> =>
    (
      await postOnce(agent, target, body, {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
        'x-prometheus-remote-write-version': '0.1.0',
        ...options.headers,
      })
    ).status;
  const started = performance.now();
  const worker = async () => {
    while (next < bodies.bodies.length) {
      const body = bodies.bodies[next++] as Uint8Array;
      const t0 = performance.now();
      const status = await post(body);
      latenciesMs.push(performance.now() - t0);
      if (status >= 200 && status < 300) accepted += bodies.samplesPerBody;
      else failures[status] = (failures[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { seconds, requests: bodies.bodies.length, samplesAccepted: accepted, failures, latenciesMs };
};

export interface Emulator {
  readonly process: ManagedProcess;
  readonly endpoint: string;
  readonly admin: (path: string, method?: string, body?: unknown) => Promise<unknown>;
}

/** Options of the processes under test. */
export interface ProcessOptions {
  /** Node's own options, before the script (e.g. `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
}

/** The emulator's CLI as a child process, with the benchmark's table. */
export const startEmulatorProcess = async (
  workspace: Workspace,
  extraArgs: readonly string[] = [],
  options: ProcessOptions = {},
): Promise<Emulator> => {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = workspace.start('timestream-local', process.execPath, [
    ...(options.nodeArgs ?? []),
    join(REPO, 'packages', 'timestream-local', 'bin', 'timestream-local.js'),
    `--port=${port}`,
    `--create=${DATABASE}.${TABLE}`,
    '--log-level=error',
    ...extraArgs,
  ]);
  const admin = async (path: string, method = 'GET', body?: unknown) => {
    const response = await fetch(`${endpoint}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  };
  await waitForHttp(child, `${endpoint}/__admin/metering`);
  return { process: child, endpoint, admin };
};

export interface ConnectorProcess {
  readonly process: ManagedProcess;
  readonly url: string;
}

/** The connector's CLI (standalone server) as a child process in front of `emulator`. */
export const startConnectorProcess = async (
  workspace: Workspace,
  emulator: Emulator,
  flags: readonly string[] = [],
  options: ProcessOptions = {},
): Promise<ConnectorProcess> => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = workspace.start('connector', process.execPath, [
    ...(options.nodeArgs ?? []),
    join(REPO, 'packages', 'connector', 'bin', 'timestream-prometheus-connector.js'),
    `--default-database=${DATABASE}`,
    `--default-table=${TABLE}`,
    `--write-base-endpoint=${emulator.endpoint}`,
    `--query-base-endpoint=${emulator.endpoint}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=error',
    ...flags,
  ]);
  await waitForHttp(child, `${url}/metrics`);
  return { process: child, url };
};
