/**
 * Figure 3, write latency under realistic Timestream latency: 2000-sample requests, one at a time,
 * to the connector's standalone server while the emulator answers every call 20 ms late; p50/p99
 * with the default write concurrency and with concurrency 1 (the Go connector's sequential
 * calls). The yardstick is one WriteRecords round trip of a 100-record batch measured in the same
 * run through the SDK, against the same emulator.
 */
import { WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import { CONFIG_OPTIONS } from '../src/config.js';
import {
  DATABASE,
  type Emulator,
  startConnectorProcess,
  startEmulatorProcess,
  TABLE,
} from '../support/cli-processes.js';
import { capturedLabelSets, percentile } from '../support/load.js';
import { Workspace } from '../support/peers.js';
import {
  BASIC_AUTH,
  cpuSeconds,
  emulatorWriteClient,
  median,
  peakRssBytes,
  postBodies,
  requestBodies,
} from './lib.js';

export const TIMESTREAM_LATENCY_MS = 20;
const SAMPLES_PER_REQUEST = 2000;

/** Sequential WriteRecords calls of 100 records each, through the SDK: the round trip, ms. */
const writeRecordsRoundTrips = async (emulator: Emulator, calls: number): Promise<number[]> => {
  const client = emulatorWriteClient(emulator);
  const now = Date.now();
  const times: number[] = [];
  try {
    for (let call = 0; call < calls; call++) {
      const started = performance.now();
      await client.send(
        new WriteRecordsCommand({
          DatabaseName: DATABASE,
          TableName: TABLE,
          CommonAttributes: {
            Dimensions: [{ Name: 'job', Value: 'round-trip' }],
            MeasureName: 'bench_round_trip',
            MeasureValueType: 'DOUBLE',
            TimeUnit: 'MILLISECONDS',
          },
          Records: Array.from({ length: 100 }, (_, i) => ({
            Dimensions: [{ Name: 'series', Value: String(i) }],
            MeasureValue: String(call * 100 + i),
            Time: String(now - call * 1000),
          })),
        }),
      );
      times.push(performance.now() - started);
    }
  } finally {
    client.destroy();
  }
  return times;
};

export interface LatencyRun {
  readonly writeConcurrency: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** CPU per request of the connector and of the emulator (whose one thread serves every call in turn). */
  readonly connectorCpuMsPerRequest: number;
  readonly emulatorCpuMsPerRequest: number;
  /** Peak RSS (VmHWM) of the connector process started for this run, bytes. */
  readonly connectorPeakRssBytes: number;
}

export interface LatencyFigures {
  readonly timestreamLatencyMs: number;
  readonly samplesPerRequest: number;
  /** Median of the measured WriteRecords round trips (100 records). */
  readonly roundTripMs: number;
  readonly defaultConcurrency: LatencyRun;
  readonly sequential: LatencyRun;
  /** sequential p50 / default p50. */
  readonly speedup: number;
}

const measure = async (
  workspace: Workspace,
  emulator: Emulator,
  writeConcurrency: number | undefined,
  requests: number,
): Promise<LatencyRun> => {
  const connector = await startConnectorProcess(
    workspace,
    emulator,
    writeConcurrency === undefined ? [] : [`--write-concurrency=${writeConcurrency}`],
  );
  const load = { concurrency: 1, headers: { authorization: BASIC_AUTH } };
  const all = requestBodies(requests + 3, SAMPLES_PER_REQUEST, capturedLabelSets());
  await postBodies(`${connector.url}/write`, { ...all, bodies: all.bodies.slice(0, 3) }, load);
  const connectorPid = connector.process.pid as number;
  const emulatorPid = emulator.process.pid as number;
  const cpu0 = cpuSeconds(connectorPid);
  const emulatorCpu0 = cpuSeconds(emulatorPid);
  const result = await postBodies(`${connector.url}/write`, { ...all, bodies: all.bodies.slice(3) }, load);
  const connectorCpuMsPerRequest = ((cpuSeconds(connectorPid) - cpu0) * 1000) / requests;
  const emulatorCpuMsPerRequest = ((cpuSeconds(emulatorPid) - emulatorCpu0) * 1000) / requests;
  const connectorPeakRssBytes = peakRssBytes(connectorPid);
  await connector.process.stop();
  if (Object.keys(result.failures).length > 0)
    throw new Error(`writes failed: ${JSON.stringify(result.failures)}`);
  return {
    writeConcurrency: writeConcurrency ?? Number(CONFIG_OPTIONS.writeConcurrency.defaultValue),
    p50Ms: percentile(result.latenciesMs, 50),
    p99Ms: percentile(result.latenciesMs, 99),
    requests,
    connectorCpuMsPerRequest,
    emulatorCpuMsPerRequest,
    connectorPeakRssBytes,
  };
};

export const benchLatency = async (options: { readonly quick: boolean }): Promise<LatencyFigures> => {
  const requests = options.quick ? 5 : 100;
  const workspace = new Workspace('bench-latency');
  try {
    const emulator = await startEmulatorProcess(workspace, [`--latency-ms=${TIMESTREAM_LATENCY_MS}`]);
    await writeRecordsRoundTrips(emulator, 5);
    const roundTripMs = median(await writeRecordsRoundTrips(emulator, options.quick ? 5 : 50));
    const defaultConcurrency = await measure(workspace, emulator, undefined, requests);
    // Sequential requests take ~20 round trips each: fewer of them give a stable median.
    const sequential = await measure(workspace, emulator, 1, Math.max(5, Math.round(requests / 4)));
    return {
      timestreamLatencyMs: TIMESTREAM_LATENCY_MS,
      samplesPerRequest: SAMPLES_PER_REQUEST,
      roundTripMs,
      defaultConcurrency,
      sequential,
      speedup: sequential.p50Ms / defaultConcurrency.p50Ms,
    };
  } finally {
    await workspace.stop();
  }
};
