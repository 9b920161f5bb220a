/**
 * What the benchmark sections share and nothing else uses: the median, CPU time, RSS and peak RSS
 * of a process from /proc, the emulator's rows through the SDK's query client, the request bodies (node_exporter-like label sets from Prometheus 2.42
 * captures, fresh timestamps) and a load generator. What the reliability checks use too (the
 * processes under test, the captured label sets, one POST, percentiles) is in ../support.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { compressSnappyBlock, encodeWriteRequestV1, type Label } from '@prometheus-timestream/codec';
import type { Emulator } from '../support/cli-processes.js';
import { postOnce } from '../support/load.js';

/** Passthrough: the emulator accepts any key pair. */
const CREDENTIALS = { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'bench-secret' } as const;
export const BASIC_AUTH = `Basic ${Buffer.from(`${CREDENTIALS.accessKeyId}:${CREDENTIALS.secretAccessKey}`).toString('base64')}`;

/** What Prometheus 2.42 sends with a remote-write 1.0 body. */
const REMOTE_WRITE_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
} as const;

/** Those headers with the benchmark's credentials, for the connector. */
export const CONNECTOR_WRITE_HEADERS = { ...REMOTE_WRITE_HEADERS, authorization: BASIC_AUTH } as const;

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

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU seconds a process has used so far (all its threads), from /proc/<pid>/stat. */
export const cpuSeconds = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) in parentheses: utime is the 14th field.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
};

const statusKib = (pid: number, field: 'VmRSS' | 'VmHWM'): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
};

/** Resident set size of a process, bytes. */
export const rssBytes = (pid: number): number => statusKib(pid, 'VmRSS');

/**
 * The most resident memory a process has had since it started (VmHWM), bytes: read from a process
 * started for one section, it is that section's peak, warm-up included.
 */
export const peakRssBytes = (pid: number): number => statusKib(pid, 'VmHWM');

/** Every row `sql` returns from the emulator, through the SDK's query client (every page). */
export const queryEmulator = async (emulator: Emulator, sql: string): Promise<Record<string, string>[]> => {
  const client = new TimestreamQueryClient({
    region: 'us-east-1',
    endpoint: emulator.endpoint,
    credentials: CREDENTIALS,
  });
  const rows: Record<string, string>[] = [];
  try {
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new QueryCommand({ QueryString: sql, ...(nextToken === undefined ? {} : { NextToken: nextToken }) }),
      );
      const columns = (page.ColumnInfo ?? []).map((column) => column.Name ?? '');
      for (const row of page.Rows ?? [])
        rows.push(Object.fromEntries(columns.map((name, i) => [name, row.Data?.[i]?.ScalarValue ?? ''])));
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
  } finally {
    client.destroy();
  }
  return rows;
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
    (await postOnce(agent, target, body, { ...REMOTE_WRITE_HEADERS, ...options.headers })).status;
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
