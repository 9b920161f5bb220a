/**
 * Heap per decoded byte of a worst-case body (worst-case.ts), through decode, translate and every
 * WriteRecords call to the emulator (its own process, no added latency), and the standalone
 * server's RSS for the same body.
 *
 * The heap is measured in this process: the connector's core is created here as the CLI creates it
 * (flags → config → client pool → `createConnector`) and handles the body as the server would hand
 * it over. Live memory is V8's used heap plus its external memory (array buffers: the decoded body
 * may live there) right after a forced full collection. The idle figure is taken so after a warm-up
 * write, with the body already built; the peak is the most of
 * - samples taken while the request is in flight: two forced collections (see `sample`) then the live figure, as
 *   often as the event loop lets the sampler run (between the connector's awaits: while batches are
 *   in flight), spaced out to four times the last collection's duration so the request keeps moving;
 * - V8's own full collections during the request (`v8.GCProfiler`), which also happen inside
 *   synchronous decode and translate where the sampler cannot run: the heap left after each, plus
 *   the external memory last sampled.
 * So the figure is a live peak, not garbage waiting to be collected; a peak between two
 * collections can escape it, which is why both sources are kept.
 */
import { Agent } from 'node:http';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createClientPool } from '../src/clients.js';
import { readFlags } from '../src/config.js';
import { createConnector } from '../src/handler.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import {
  DATABASE,
  type Emulator,
  startConnectorProcess,
  startEmulatorProcess,
  TABLE,
} from '../support/cli-processes.js';
import { capturedLabelSets, postOnce } from '../support/load.js';
import { Workspace } from '../support/peers.js';
import { CONNECTOR_WRITE_HEADERS, peakRssBytes, requestBodies, rssBytes } from './lib.js';
import { type WorstCaseBody, worstCaseBody } from './worst-case.js';

/** `gc()` without starting the benchmark with `--expose-gc`: the flag holds for contexts made after it. */
const forcedGc = (): (() => void) => {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
};

const liveBytes = (): number => {
  const heap = v8.getHeapStatistics();
  return heap.used_heap_size + heap.external_memory;
};

interface GcStatistic {
  readonly gcType: string;
  readonly afterGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
}

export interface HeapFigures {
  readonly decodedBytes: number;
  readonly compressedBytes: number;
  readonly series: number;
  readonly status: number;
  readonly requestMs: number;
  readonly idleBytes: number;
  /** The live peak from the forced-collection samples alone, and with V8's own full collections. */
  readonly sampledPeakBytes: number;
  readonly peakBytes: number;
  readonly samples: number;
  readonly fullCollections: number;
  /** (peak − idle) / decoded bytes. */
  readonly heapPerDecodedByte: number;
}

const inProcessConnector = (emulator: Emulator) => {
  const config = readFlags(
    [
      `--default-database=${DATABASE}`,
      `--default-table=${TABLE}`,
      `--write-base-endpoint=${emulator.endpoint}`,
      `--query-base-endpoint=${emulator.endpoint}`,
      '--log.level=error',
    ],
    {},
  );
  const logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    enabled: config.enableLogging,
  });
  const clients = createClientPool(config);
  const connector = createConnector(config, { clients, logger, metrics: createMetrics() });
  const write = (body: Uint8Array) =>
    connector.handle(
      { method: 'POST', path: '/write', headers: CONNECTOR_WRITE_HEADERS, body },
      { requestId: 'bench', deadline: Date.now() + 600_000, routing: 'exact' },
    );
  return { write, destroy: () => clients.destroy() };
};

const measureHeap = async (emulator: Emulator, worst: WorstCaseBody): Promise<HeapFigures> => {
  const gc = forcedGc();
  const connector = inProcessConnector(emulator);
  try {
    const warmUp = requestBodies(2, 500, capturedLabelSets());
    for (const body of warmUp.bodies) await connector.write(body);
    gc();
    gc();
    const idleBytes = liveBytes();
    let sampledPeakBytes = idleBytes;
    let samples = 0;
    let lastExternal = v8.getHeapStatistics().external_memory;
    let timer: NodeJS.Timeout | undefined;
    const sample = () => {
      const started = performance.now();
      // Twice: V8 sweeps freed array buffers concurrently and lowers `external_memory` only when
      // a later collection finalizes that sweep, so after one collection the figure still counted
      // the 32 MiB decompressed body that decoding had already let go of (51.1 MiB external after
      // one, 19.0 after two, at the same moment).
      gc();
      gc();
      const live = liveBytes();
      lastExternal = v8.getHeapStatistics().external_memory;
      sampledPeakBytes = Math.max(sampledPeakBytes, live);
      samples++;
      timer = setTimeout(sample, Math.max(5, 4 * (performance.now() - started)));
    };
    const profiler = new v8.GCProfiler();
    profiler.start();
    timer = setTimeout(sample, 5);
    const started = performance.now();
    const answer = await connector.write(worst.body);
    const requestMs = performance.now() - started;
    clearTimeout(timer);
    const collections = ((profiler.stop()?.statistics ?? []) as GcStatistic[]).filter(
      (statistic) => statistic.gcType === 'MarkSweepCompact',
    );
    const profiledPeak = Math.max(
      0,
      ...collections.map((statistic) => statistic.afterGC.heapStatistics.usedHeapSize + lastExternal),
    );
    const peakBytes = Math.max(sampledPeakBytes, profiledPeak);
    return {
      decodedBytes: worst.decodedBytes,
      compressedBytes: worst.body.length,
      series: worst.series,
      status: answer.status,
      requestMs,
      idleBytes,
      sampledPeakBytes,
      peakBytes,
      samples,
      fullCollections: collections.length,
      heapPerDecodedByte: (peakBytes - idleBytes) / worst.decodedBytes,
    };
  } finally {
    connector.destroy();
  }
};

const SERVER_TIMEOUT_S = 120;

export interface ServerMemoryFigures {
  readonly status: number;
  readonly requestMs: number;
  readonly idleRssBytes: number;
  readonly peakRssBytes: number;
}

/** The same body once to the standalone server, a process of its own: its RSS before, and its peak. */
const measureServer = async (
  workspace: Workspace,
  emulator: Emulator,
  worst: WorstCaseBody,
): Promise<ServerMemoryFigures> => {
  // Time to write every record, as the core above had: on a busy machine the default 30 s can cut
  // the request short, and with it the memory it would have taken.
  const connector = await startConnectorProcess(workspace, emulator, [
    `--web.request-timeout=${SERVER_TIMEOUT_S}s`,
  ]);
  const pid = connector.process.pid as number;
  const agent = new Agent({ keepAlive: true });
  try {
    const target = new URL(`${connector.url}/write`);
    for (const body of requestBodies(2, 500, capturedLabelSets()).bodies)
      await postOnce(agent, target, body, CONNECTOR_WRITE_HEADERS);
    const idleRssBytes = rssBytes(pid);
    const started = performance.now();
    const answer = await postOnce(agent, target, worst.body, CONNECTOR_WRITE_HEADERS);
    return {
      status: answer.status,
      requestMs: performance.now() - started,
      idleRssBytes,
      peakRssBytes: peakRssBytes(pid),
    };
  } finally {
    agent.destroy();
    await connector.process.stop();
  }
};

export interface WorstCaseMemoryFigures {
  readonly heap: HeapFigures;
  readonly server: ServerMemoryFigures;
}

export const benchWorstCaseMemory = async (options: {
  readonly quick: boolean;
}): Promise<WorstCaseMemoryFigures> => {
  const workspace = new Workspace('bench-memory');
  try {
    const emulator = await startEmulatorProcess(workspace);
    const timestampMs = Date.now() - 60_000;
    // Two bodies of different names: the server's write of the same rows would be answered by
    // Timestream as duplicates of equal value, which cost it less than new rows.
    const decodedBytes = options.quick ? 1024 * 1024 : undefined;
    const heap = await measureHeap(emulator, worstCaseBody('w_core', timestampMs, decodedBytes));
    const server = await measureServer(
      workspace,
      emulator,
      worstCaseBody('w_server', timestampMs, decodedBytes),
    );
    return { heap, server };
  } finally {
    await workspace.stop();
  }
};

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export const worstCaseMemoryReport = ({ heap, server }: WorstCaseMemoryFigures): string[] => [
  '## 7. Memory of one worst-case body',
  '',
  `One remote-write body of ${heap.series.toLocaleString('en-US')} one-sample series with two short labels (\`__name__\` and a unique \`id\`): ${mib(heap.decodedBytes)} decoded, ${mib(heap.compressedBytes)} snappy; decoded, translated and written to the emulator (no added latency).`,
  '',
  `**Heap per decoded byte** (the connector's core in the benchmark's process, \`createConnector\` as the CLI builds it): live heap (V8's used heap + external memory, after a full collection) at its peak during the request, minus idle, over decoded bytes. Peak from ${heap.samples} forced-collection samples taken between the connector's awaits and ${heap.fullCollections} full collections V8 ran by itself.`,
  '',
  '| figure | value | goal |',
  '| --- | ---: | --- |',
  `| answer | ${heap.status} in ${(heap.requestMs / 1000).toFixed(1)} s | |`,
  `| idle live heap | ${mib(heap.idleBytes)} | |`,
  `| peak live heap (forced-collection samples only) | ${mib(heap.peakBytes)} (${mib(heap.sampledPeakBytes)}) | |`,
  `| **heap per decoded byte** | **${heap.heapPerDecodedByte.toFixed(1)}** | ≤ 4 |`,
  `| standalone server (its own process, \`--web.request-timeout=${SERVER_TIMEOUT_S}s\`): answer | ${server.status} in ${(server.requestMs / 1000).toFixed(1)} s | |`,
  `| standalone server: RSS before the body → peak RSS (VmHWM) | ${mib(server.idleRssBytes)} → **${mib(server.peakRssBytes)}** | |`,
  '',
];
