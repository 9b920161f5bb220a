/**
 * CPU of one 100-record WriteRecords call on the connector's side, through the SDK
 * (`TimestreamWriteClient.send` + `WriteRecordsCommand`, the write client as clients.ts builds and
 * streamlines it) and through the lean path (`ClientLease.writeRecords`, write-records.ts), against
 * the emulator in its own process, so this process's CPU is the client's alone. Calls run one at
 * a time (and 4 at a time), rounds of the two paths alternate, and the figure is the median
 * round's CPU (user + system) per call. The lean figure includes `JSON.stringify` of the input,
 * which the SDK path does inside its middleware too.
 *
 *   npm run bench -- --only=write-call   (or on its own: node .bench/write-call.mjs, see the header of run.ts)
 */
import { WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import { createClientPool } from '../src/clients.js';
import { readFlags } from '../src/config.js';
import { DATABASE, startEmulatorProcess, TABLE } from '../support/cli-processes.js';
import { Workspace } from '../support/peers.js';
import { median } from './lib.js';

export interface WriteCallFigures {
  readonly recordsPerCall: number;
  readonly callsPerRound: number;
  readonly rounds: number;
  /** Median CPU µs per call, calls one at a time. */
  readonly sequential: { readonly sdkUs: number; readonly leanUs: number };
  /** Median CPU µs per call, 4 calls in flight. */
  readonly concurrent: { readonly sdkUs: number; readonly leanUs: number };
  /** `JSON.stringify` of one call's input alone (part of the lean figure). */
  readonly stringifyUs: number;
}

const RECORDS = 100;
const STARTED = Date.now();

/** A call's input as the connector builds it: node_exporter-like dimensions, one measure each. */
const inputOf = (call: number) => {
  return {
    DatabaseName: DATABASE,
    TableName: TABLE,
    Records: Array.from({ length: RECORDS }, (_, i) => ({
      Dimensions: [
        { Name: 'instance', Value: `node-${i % 10}.example.internal:9100` },
        { Name: 'job', Value: 'node' },
        { Name: 'cpu', Value: String(i % 16) },
        { Name: 'mode', Value: ['idle', 'user', 'system', 'iowait'][i % 4] as string },
      ],
      MeasureName: 'node_cpu_seconds_total',
      MeasureValue: String(call * 1.5 + i),
      // Every record's own millisecond: no call rewrites another's record with a new value.
      Time: String(STARTED - call * RECORDS - i),
    })),
    CommonAttributes: { MeasureValueType: 'DOUBLE' as const, TimeUnit: 'MILLISECONDS' as const },
  };
};

type Call = (call: number) => Promise<unknown>;

/** CPU µs per call over `calls` calls, `inFlight` at a time. */
const cpuPerCall = async (send: Call, calls: number, inFlight: number, first: number): Promise<number> => {
  let next = 0;
  const started = process.cpuUsage();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < calls) await send(first + next++);
    }),
  );
  const used = process.cpuUsage(started);
  return (used.user + used.system) / calls;
};

const stringifyCost = (calls: number): number => {
  const inputs = Array.from({ length: calls }, (_, call) => inputOf(call));
  const started = process.cpuUsage();
  let length = 0;
  for (const input of inputs) length += JSON.stringify(input).length;
  const used = process.cpuUsage(started);
  if (length === 0) throw new Error('nothing serialized');
  return (used.user + used.system) / calls;
};

export const benchWriteCall = async (options: { readonly quick: boolean }): Promise<WriteCallFigures> => {
  const callsPerRound = options.quick ? 20 : 300;
  const rounds = options.quick ? 2 : 7;
  const workspace = new Workspace('bench-write-call');
  try {
    const emulator = await startEmulatorProcess(workspace);
    const config = readFlags(
      [
        `--default-database=${DATABASE}`,
        `--default-table=${TABLE}`,
        `--write-base-endpoint=${emulator.endpoint}`,
        '--auth=passthrough',
      ],
      {},
    );
    const pool = createClientPool(config);
    const lease = pool.acquire({ accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'bench-secret' });
    const signal = new AbortController().signal;
    const paths: Record<'sdk' | 'lean', Call> = {
      sdk: (call) => lease.writeClient.send(new WriteRecordsCommand(inputOf(call)), { abortSignal: signal }),
      lean: (call) => lease.writeRecords(JSON.stringify(inputOf(call)), signal),
    };
    let call = 0;
    const measure = async (inFlight: number) => {
      const figures = { sdk: [] as number[], lean: [] as number[] };
      for (let round = 0; round < rounds; round++) {
        for (const path of round % 2 === 0 ? (['sdk', 'lean'] as const) : (['lean', 'sdk'] as const)) {
          figures[path].push(await cpuPerCall(paths[path], callsPerRound, inFlight, call));
          call += callsPerRound;
        }
      }
      return { sdkUs: median(figures.sdk), leanUs: median(figures.lean) };
    };
    // Warm-up: both paths' code compiled, sockets open.
    for (const path of ['sdk', 'lean'] as const) await cpuPerCall(paths[path], 50, 1, 0);
    const sequential = await measure(1);
    const concurrent = await measure(4);
    lease.release();
    pool.destroy();
    return {
      recordsPerCall: RECORDS,
      callsPerRound,
      rounds,
      sequential,
      concurrent,
      stringifyUs: stringifyCost(200),
    };
  } finally {
    await workspace.stop();
  }
};
