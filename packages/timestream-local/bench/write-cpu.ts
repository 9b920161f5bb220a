/**
 * Ad-hoc: the emulator's CPU per WriteRecords call, sent through the real
 * `@aws-sdk/client-timestream-write` client, for one build or several compared in one run. Each
 * build is its own CLI process, its CPU read from /proc (all its threads, so DuckDB's and the
 * garbage collector's count too; the client's does not). With several builds the same calls go to
 * each in turn, 20 at a time, so that the load of a shared machine falls on all of them alike:
 * runs one after another differed by ±30% on two shared cores.
 *
 * `--shape=connector` (default): the connector's batches of its bench's remote-write bodies
 * (captured Prometheus label sets; ~83 records a call, the label sets' common dimensions in
 * CommonAttributes), as in the connector's latency bench. `--shape=labels`: 100 records a call of
 * 10 dimensions each and no CommonAttributes.
 *
 *   npx esbuild packages/timestream-local/bench/write-cpu.ts --bundle --platform=node --format=esm \
 *     --packages=external --outfile=packages/timestream-local/.bench/write-cpu.mjs && \
 *   node packages/timestream-local/.bench/write-cpu.mjs [calls=2000] [--shape=labels] \
 *     [--cli=OTHER/bin/timestream-local.js ...] [--cpu-prof=DIR]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  TimestreamWriteClient,
  WriteRecordsCommand,
  type WriteRecordsCommandInput,
} from '@aws-sdk/client-timestream-write';
import { decodeWriteRequest } from '@prometheus-timestream/codec';
import { toTimestreamBatches } from '@prometheus-timestream/connector';
import { requestBodies } from '../../connector/bench/lib.js';
import { capturedLabelSets } from '../../connector/support/load.js';

const args = process.argv.slice(2);
const option = (name: string): string[] =>
  args.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.slice(name.length + 3));
const OWN_CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'timestream-local.js');
const clis = option('cli').length > 0 ? option('cli') : [OWN_CLI];
const calls = Number(args.find((a) => /^\d+$/.test(a)) ?? 2000);
const shape = option('shape')[0] ?? 'connector';
const profileDir = option('cpu-prof')[0];
/** Calls sent to each build before measuring: its table's columns are created, its code warm. */
const WARM_CALLS = 40;
const SLICE_CALLS = 20;
const CONCURRENCY = 4;

const cpuTicks = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
};
const TICKS_PER_SECOND = 100;

const connectorCalls = (count: number): WriteRecordsCommandInput[] => {
  const inputs: WriteRecordsCommandInput[] = [];
  const remoteWrite = requestBodies(Math.ceil((count * 100) / 500) + 1, 500, capturedLabelSets());
  for (const body of remoteWrite.bodies) {
    const translated = toTimestreamBatches(
      decodeWriteRequest(body),
      { failOnLongLabel: false, failOnInvalidSampleValue: false },
      { database: 'bench', table: 'cpu' },
    );
    for (const batch of translated.batches) inputs.push(JSON.parse(Buffer.from(batch.body).toString()));
  }
  return inputs;
};

/** 5000 series of 10 labels, each written every 50 calls, 15 s apart. */
const labelCalls = (count: number): WriteRecordsCommandInput[] => {
  const start = Date.now() - 3_000_000;
  return Array.from({ length: count }, (_, call) => ({
    DatabaseName: 'bench',
    TableName: 'cpu',
    Records: Array.from({ length: 100 }, (_, i) => {
      const n = call * 100 + i;
      const s = n % 5000;
      const labels = {
        instance: `10.0.${s % 50}.${s % 7}:9100`,
        job: `job-${s % 5}`,
        env: 'prod',
        region: 'us-east-1',
        cluster: `c${s % 3}`,
        namespace: `ns-${s % 11}`,
        pod: `pod-${s}`,
        container: `ctr-${s % 13}`,
        node: `ip-10-0-${s % 50}`,
        service: `svc-${s % 17}`,
      };
      return {
        Dimensions: Object.entries(labels).map(([Name, Value]) => ({ Name, Value })),
        MeasureName: `metric_${s % 97}_total`,
        MeasureValueType: 'DOUBLE',
        MeasureValue: String(n * 0.5),
        Time: String(start + Math.floor(n / 5000) * 15_000),
      };
    }),
  }));
};

interface Build {
  readonly name: string;
  readonly child: ChildProcess;
  readonly client: TimestreamWriteClient;
  ticks: number;
}

const startBuild = async (cli: string): Promise<Build> => {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(
    process.execPath,
    [
      ...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]),
      cli,
      `--port=${port}`,
      '--create=bench.cpu',
      '--log-level=error',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${cli} exited with ${code}`)));
  });
  const client = new TimestreamWriteClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
  return { name: cli === OWN_CLI ? 'this build' : cli, child, client, ticks: 0 };
};

/** Sends calls [from, from + count), CONCURRENCY at a time; counts the build's CPU if `measured`. */
const send = async (
  build: Build,
  inputs: readonly WriteRecordsCommandInput[],
  from: number,
  count: number,
  measured: boolean,
): Promise<void> => {
  const before = cpuTicks(build.child.pid as number);
  let next = from;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < from + count)
        await build.client.send(new WriteRecordsCommand(inputs[next++] as WriteRecordsCommandInput));
    }),
  );
  if (measured) build.ticks += cpuTicks(build.child.pid as number) - before;
};

const inputs = (shape === 'labels' ? labelCalls : connectorCalls)(WARM_CALLS + calls);
const builds = await Promise.all(clis.map(startBuild));
try {
  for (const build of builds) await send(build, inputs, 0, WARM_CALLS, false);
  for (let from = WARM_CALLS; from < WARM_CALLS + calls; from += SLICE_CALLS)
    for (const build of builds) await send(build, inputs, from, SLICE_CALLS, true);
} finally {
  for (const build of builds) {
    build.client.destroy();
    // SIGINT: the CLI stops cleanly, so Node writes a --cpu-prof profile.
    build.child.kill('SIGINT');
  }
}
const measuredInputs = inputs.slice(WARM_CALLS, WARM_CALLS + calls);
const records = measuredInputs.reduce((n, input) => n + (input.Records?.length ?? 0), 0);
console.log({
  shape,
  calls: measuredInputs.length,
  recordsPerCall: Number((records / measuredInputs.length).toFixed(1)),
  emulatorCpuMsPerCall: Object.fromEntries(
    builds.map((b) => [
      b.name,
      Number(((b.ticks * 1000) / TICKS_PER_SECOND / measuredInputs.length).toFixed(3)),
    ]),
  ),
});
