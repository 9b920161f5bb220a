/**
 * Figure 2, write ingest efficiency side by side: the same pre-encoded remote-write bodies
 * (node_exporter-like label sets; 500 and 2000 samples per request) posted by one load generator
 * to the connector's standalone server (writing to the emulator, no added latency),
 * VictoriaMetrics (`/api/v1/write`) and Prometheus 2.42 (`--web.enable-remote-write-receiver`).
 * The figure is samples accepted per CPU-second of the receiving process alone (from /proc);
 * the emulator's CPU is reported beside it but not counted. Each receiver is a process started for
 * the run, so its peak RSS (VmHWM) is the run's, warm-up included.
 */
import { writeFileSync } from 'node:fs';
import { startConnectorProcess, startEmulatorProcess } from '../support/cli-processes.js';
import { capturedLabelSets } from '../support/load.js';
import { startVictoriaMetrics, Workspace } from '../support/peers.js';
import { freePort, requireBinary, waitForHttp } from '../support/processes.js';
import {
  BASIC_AUTH,
  cpuSeconds,
  median,
  peakRssBytes,
  postBodies,
  type RequestBodies,
  requestBodies,
} from './lib.js';

type Receiver = 'connector' | 'victoria-metrics' | 'prometheus';

interface Started {
  readonly url: string;
  readonly pid: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Another process whose CPU is reported, not counted (the emulator behind the connector). */
  readonly helperPid?: number;
}

const startReceiver = async (receiver: Receiver, workspace: Workspace): Promise<Started> => {
  if (receiver === 'connector') {
    const emulator = await startEmulatorProcess(workspace);
    const connector = await startConnectorProcess(workspace, emulator);
    return {
      url: `${connector.url}/write`,
      pid: connector.process.pid as number,
      headers: { authorization: BASIC_AUTH },
      helperPid: emulator.process.pid as number,
    };
  }
  if (receiver === 'victoria-metrics') {
    const vm = await startVictoriaMetrics(workspace);
    return { url: `${vm.url}/api/v1/write`, pid: vm.process.pid as number };
  }
  const port = await freePort();
  const config = workspace.path('prometheus-receiver.yml');
  writeFileSync(config, 'global: {}\n');
  const child = workspace.start('prometheus-receiver', requireBinary('prometheus'), [
    `--config.file=${config}`,
    `--storage.tsdb.path=${workspace.path('prometheus-receiver-data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-remote-write-receiver',
    '--log.level=warn',
  ]);
  await waitForHttp(child, `http://127.0.0.1:${port}/-/ready`);
  return { url: `http://127.0.0.1:${port}/api/v1/write`, pid: child.pid as number };
};

export interface IngestRun {
  readonly samplesPerCpuSecond: number;
  readonly samplesPerSecond: number;
  readonly cpuSeconds: number;
  readonly helperCpuSeconds?: number;
  readonly helperSamplesPerCpuSecond?: number;
  /** The receiver's peak RSS over the run (VmHWM), bytes. */
  readonly peakRssBytes: number;
  readonly failures: Record<string, number>;
}

export interface IngestFigures {
  readonly samplesPerRequest: number;
  readonly samplesPerRun: number;
  readonly runs: number;
  /** Median of the runs, per receiver. */
  readonly samplesPerCpuSecond: Record<Receiver, number>;
  readonly samplesPerSecond: Record<Receiver, number>;
  readonly peakRssBytes: Record<Receiver, number>;
  /** Samples per CPU-second of the emulator behind the connector (median of the runs). */
  readonly emulatorSamplesPerCpuSecond: number;
  /** Median over runs of connector / VictoriaMetrics, each taken within one run. */
  readonly connectorToVictoriaMetrics: number;
  readonly connectorToPrometheus: number;
  readonly raw: Record<Receiver, IngestRun[]>;
}

const RECEIVERS: readonly Receiver[] = ['connector', 'victoria-metrics', 'prometheus'];
const CONCURRENCY = 4;

const measure = async (
  receiver: Receiver,
  warmUp: RequestBodies,
  measured: RequestBodies,
): Promise<IngestRun> => {
  const workspace = new Workspace(`bench-ingest-${receiver}`);
  try {
    const started = await startReceiver(receiver, workspace);
    const load = {
      concurrency: CONCURRENCY,
      ...(started.headers === undefined ? {} : { headers: started.headers }),
    };
    await postBodies(started.url, warmUp, load);
    const cpu0 = cpuSeconds(started.pid);
    const helper0 = started.helperPid === undefined ? 0 : cpuSeconds(started.helperPid);
    const result = await postBodies(started.url, measured, load);
    const cpu = cpuSeconds(started.pid) - cpu0;
    const helperCpu = started.helperPid === undefined ? undefined : cpuSeconds(started.helperPid) - helper0;
    return {
      // /proc counts in 10 ms ticks: a --quick run may leave a fast receiver at 0.
      samplesPerCpuSecond: cpu > 0 ? result.samplesAccepted / cpu : Number.NaN,
      samplesPerSecond: result.samplesAccepted / result.seconds,
      cpuSeconds: cpu,
      ...(helperCpu === undefined
        ? {}
        : { helperCpuSeconds: helperCpu, helperSamplesPerCpuSecond: result.samplesAccepted / helperCpu }),
      peakRssBytes: peakRssBytes(started.pid),
      failures: result.failures,
    };
  } finally {
    await workspace.stop();
  }
};

export const benchIngest = async (
  samplesPerRequest: number,
  options: { readonly quick: boolean },
): Promise<IngestFigures> => {
  const labelSets = capturedLabelSets();
  const samplesPerRun = options.quick ? 20_000 : 400_000;
  const runs = options.quick ? 1 : 3;
  const raw: Record<Receiver, IngestRun[]> = { connector: [], 'victoria-metrics': [], prometheus: [] };
  const ratios: number[] = [];
  const prometheusRatios: number[] = [];
  for (let run = 0; run < runs; run++) {
    // Warm-up and measured bodies from one sequence, so the measured ones are the newer samples.
    const count = Math.ceil(samplesPerRun / samplesPerRequest);
    const warmUpCount = Math.max(4, Math.ceil(count / 5));
    const all = requestBodies(warmUpCount + count, samplesPerRequest, labelSets);
    const warmUp = { ...all, bodies: all.bodies.slice(0, warmUpCount) };
    const measured = { ...all, bodies: all.bodies.slice(warmUpCount) };
    const results = {} as Record<Receiver, IngestRun>;
    for (const receiver of RECEIVERS) {
      results[receiver] = await measure(receiver, warmUp, measured);
      raw[receiver].push(results[receiver]);
    }
    ratios.push(results.connector.samplesPerCpuSecond / results['victoria-metrics'].samplesPerCpuSecond);
    prometheusRatios.push(results.connector.samplesPerCpuSecond / results.prometheus.samplesPerCpuSecond);
  }
  const medianOf = (pick: (run: IngestRun) => number) =>
    Object.fromEntries(RECEIVERS.map((receiver) => [receiver, median(raw[receiver].map(pick))])) as Record<
      Receiver,
      number
    >;
  return {
    samplesPerRequest,
    samplesPerRun,
    runs,
    samplesPerCpuSecond: medianOf((run) => run.samplesPerCpuSecond),
    samplesPerSecond: medianOf((run) => run.samplesPerSecond),
    peakRssBytes: medianOf((run) => run.peakRssBytes),
    emulatorSamplesPerCpuSecond: median(
      raw.connector.map((run) => run.helperSamplesPerCpuSecond ?? Number.NaN),
    ),
    connectorToVictoriaMetrics: median(ratios),
    connectorToPrometheus: median(prometheusRatios),
    raw,
  };
};
