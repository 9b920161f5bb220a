/**
 * Ad-hoc: the emulator's WriteRecords ingest cost and its injected latency under concurrent calls,
 * measured on the emulator's CLI process (its CPU from /proc, so the load generator's own CPU is
 * not counted).
 *
 * The bodies are the connector's: its bench's remote-write bodies (captured Prometheus 2.42 label
 * sets), translated by the connector's `toTimestreamBatches` into batches of ≤ 100 records with
 * CommonAttributes, sent as the SDK sends them (AWS JSON 1.0, a SigV4 `Authorization` header; the
 * emulator reads only its access key). The load generator borrows the connector's code; the
 * emulator's own source imports nothing of it.
 *
 *   npx esbuild packages/timestream-local/bench/ingest.ts --bundle --platform=node --format=esm \
 *     --packages=external --outfile=packages/timestream-local/.bench/ingest.mjs && \
 *   node packages/timestream-local/.bench/ingest.mjs [records=200000] [--data-dir] [--cpu-prof=DIR]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeWriteRequest } from '@prometheus-timestream/codec';
import { toTimestreamBatches } from '@prometheus-timestream/connector';
import { requestBodies } from '../../connector/bench/lib.js';
import { capturedLabelSets } from '../../connector/support/load.js';

const args = process.argv.slice(2);
/** `--cli=PATH`: another build's `bin/timestream-local.js`, to compare against this one in one session. */
const CLI =
  args.find((a) => a.startsWith('--cli='))?.slice('--cli='.length) ??
  join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'timestream-local.js');
const DATABASE = 'bench';
const TABLE = 'ingest';
const CONCURRENCY = 4;
const HEADERS = {
  'content-type': 'application/x-amz-json-1.0',
  'x-amz-target': 'Timestream_20181101.WriteRecords',
  authorization:
    'AWS4-HMAC-SHA256 Credential=AKIDBENCHMARK/20240101/us-east-1/timestream/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000',
};

const records = Number(args.find((a) => /^\d+$/.test(a)) ?? 200_000);
const durable = args.includes('--data-dir');
const profileDir = args.find((a) => a.startsWith('--cpu-prof='))?.slice('--cpu-prof='.length);
/** `--store=LIB`: the store of the compiled lib/ directory LIB in this process, without HTTP. */
const storeLib = args.find((a) => a.startsWith('--store='))?.slice('--store='.length);

const cpuSeconds = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** The connector's WriteRecords bodies for `count` samples, as JSON buffers. */
const writeRecordsBodies = (count: number): Buffer[] => {
  const remoteWrite = requestBodies(Math.ceil(count / 500), 500, capturedLabelSets());
  const bodies: Buffer[] = [];
  for (const body of remoteWrite.bodies) {
    const decoded = decodeWriteRequest(body);
    const translated = toTimestreamBatches(
      decoded,
      { failOnLongLabel: false, failOnInvalidSampleValue: false },
      { database: DATABASE, table: TABLE },
    );
    for (const batch of translated.batches) bodies.push(Buffer.from(batch.body));
  }
  return bodies;
};

const post = (agent: Agent, port: number, body: Buffer): Promise<{ status: number; text: string }> =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/',
        method: 'POST',
        headers: { ...HEADERS, 'content-length': body.length },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });

const startEmulator = async (
  extra: readonly string[],
  nodeArgs: readonly string[] = [],
): Promise<{ child: ChildProcess; port: number }> => {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...nodeArgs, CLI, `--port=${port}`, `--create=${DATABASE}.${TABLE}`, '--log-level=error', ...extra],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return { child, port };
};

const stopEmulator = async (child: ChildProcess): Promise<void> => {
  // SIGINT: the CLI stops cleanly, so Node writes a --cpu-prof profile.
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
};

/** Sends every body, CONCURRENCY at a time; the emulator's CPU seconds spent on them. */
const ingest = async (bodies: readonly Buffer[]): Promise<Record<string, number | string>> => {
  const dataDir = durable ? mkdtempSync(join(tmpdir(), 'emu-bench-')) : undefined;
  const { child, port } = await startEmulator(
    dataDir === undefined ? [] : [`--data-dir=${dataDir}`],
    profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
  );
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const pid = child.pid as number;
  let failures = 0;
  let next = 0;
  const started = performance.now();
  const cpu0 = cpuSeconds(pid);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const answer = await post(agent, port, bodies[next++] as Buffer);
        if (answer.status !== 200 && failures++ < 3) console.error(answer.status, answer.text.slice(0, 300));
      }
    }),
  );
  const cpu = cpuSeconds(pid) - cpu0;
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  await stopEmulator(child);
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  const total = bodies.reduce((n, body) => n + (JSON.parse(body.toString()).Records as unknown[]).length, 0);
  return {
    records: total,
    calls: bodies.length,
    failures,
    seconds: Number(seconds.toFixed(2)),
    emulatorCpuSeconds: cpu,
    recordsPerCpuSecond: Math.round(total / cpu),
  };
};

/** `calls` WriteRecords sent at once with `latencyMs` injected: when each was answered. */
const concurrentLatency = async (
  bodies: readonly Buffer[],
  calls: number,
  latencyMs: number,
): Promise<Record<string, number>> => {
  const { child, port } = await startEmulator([`--latency-ms=${latencyMs}`]);
  const agent = new Agent({ keepAlive: true, maxSockets: calls });
  // Warm the connections and the table (first call creates its columns).
  await Promise.all(bodies.slice(0, calls).map((body) => post(agent, port, body)));
  const started = performance.now();
  const answered = await Promise.all(
    bodies.slice(calls, 2 * calls).map(async (body) => {
      const answer = await post(agent, port, body);
      if (answer.status !== 200) console.error(answer.status, answer.text.slice(0, 300));
      return performance.now() - started;
    }),
  );
  agent.destroy();
  await stopEmulator(child);
  answered.sort((a, b) => a - b);
  return {
    calls,
    latencyMs,
    firstMs: Math.round(answered[0] as number),
    lastMs: Math.round(answered[answered.length - 1] as number),
  };
};

/** The store alone, in this process: each body parsed and written, CONCURRENCY calls at a time. */
const ingestInProcess = async (bodies: readonly Buffer[], lib: string): Promise<Record<string, number>> => {
  const { TimestreamStore } = (await import(
    join(process.cwd(), lib, 'store.js')
  )) as typeof import('../src/store.js');
  const store = await TimestreamStore.open();
  store.createDatabase(DATABASE, undefined);
  await store.createTable({ DatabaseName: DATABASE, TableName: TABLE });
  let next = 0;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length)
        await store.writeRecords(JSON.parse((bodies[next++] as Buffer).toString()));
    }),
  );
  await store.forReading();
  const used = process.cpuUsage(before);
  store.close();
  const cpu = (used.user + used.system) / 1e6;
  return { records, storeCpuSeconds: cpu, recordsPerCpuSecond: Math.round(records / cpu) };
};

const bodies = writeRecordsBodies(records);
if (storeLib !== undefined) {
  console.log({ store: await ingestInProcess(bodies, storeLib) });
  process.exit(0);
}
console.log({ ingest: await ingest(bodies), durable });
if (profileDir === undefined) {
  const latencyMs = Number(
    args.find((a) => a.startsWith('--latency-ms='))?.slice('--latency-ms='.length) ?? 50,
  );
  for (const calls of [1, 16, 64])
    console.log({ latency: await concurrentLatency(bodies, calls, latencyMs) });
}
