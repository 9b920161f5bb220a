/**
 * Worst-case bodies (worst-case.ts) sent to the standalone server at once, as Prometheus would send
 * them: each resent until it is acknowledged, after the answer's `Retry-After` or Prometheus's
 * backoff (30 ms doubling to 5 s) for a 5xx or 429 or a broken connection; any other 4xx drops it.
 *
 * - concurrent: 8 of them, different rows each, while normal 500-sample requests are sent 4 at a
 *   time, until all 8 are acknowledged or the time is up. The connector's peak RSS, the normal
 *   requests' latency, and, counted in the emulator through the SDK's query client, whether every
 *   sample the connector acknowledged is stored.
 * - slowTimestream: 24 of them while the emulator answers every call 20 s late, for a bounded time:
 *   whether the process is still up at the end (and answers /-/ready), its peak RSS, the answers.
 *
 * At the end of the time, the bench stops resending and cuts the requests still in flight (an
 * answer later than that is not waited for, so the section's time stays bounded).
 */
import { Agent, type IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { compressSnappyBlock, encodeWriteRequestV1, type Label } from '@prometheus-timestream/codec';
import {
  type ConnectorProcess,
  DATABASE,
  type Emulator,
  startConnectorProcess,
  startEmulatorProcess,
  TABLE,
} from '../support/cli-processes.js';
import { capturedLabelSets, percentile, postOnce } from '../support/load.js';
import { Workspace } from '../support/peers.js';
import { CONNECTOR_WRITE_HEADERS, peakRssBytes, queryEmulator } from './lib.js';
import { type WorstCaseBody, worstCaseBody } from './worst-case.js';

/** Prometheus's queue_config defaults (2.42): min_backoff 30 ms, max_backoff 5 s. */
const MIN_BACKOFF_MS = 30;
const MAX_BACKOFF_MS = 5_000;

/** What the senders of one kind met: answers (or connection errors) by status, and each answer's latency. */
export interface Tally {
  readonly answers: Record<string, number>;
  readonly latenciesMs: number[];
}

const newTally = (): Tally => ({ answers: {}, latenciesMs: [] });

/** `Retry-After` in seconds or as an HTTP date, ms; undefined when absent or unreadable. */
const retryAfterMs = (headers: IncomingHttpHeaders): number | undefined => {
  const value = headers['retry-after'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
};

interface Sender {
  readonly agent: Agent;
  readonly target: URL;
  /** Aborted when the time is up. */
  readonly stop: AbortSignal;
}

/** Sends `body` until it is acknowledged (true), dropped on a 4xx, or the time is up (false). */
const sendLikePrometheus = async (sender: Sender, body: Uint8Array, tally: Tally): Promise<boolean> => {
  let backoffMs = MIN_BACKOFF_MS;
  while (!sender.stop.aborted) {
    const started = performance.now();
    let status: number | string;
    let waitMs: number | undefined;
    try {
      const answer = await postOnce(sender.agent, sender.target, body, CONNECTOR_WRITE_HEADERS);
      status = answer.status;
      waitMs = retryAfterMs(answer.headers);
      tally.latenciesMs.push(performance.now() - started);
    } catch (error) {
      status = sender.stop.aborted
        ? 'cut at the end'
        : `connection error (${(error as NodeJS.ErrnoException).code ?? 'unknown'})`;
    }
    tally.answers[status] = (tally.answers[status] ?? 0) + 1;
    if (typeof status === 'number' && status >= 200 && status < 300) return true;
    if (typeof status === 'number' && status >= 400 && status < 500 && status !== 429) return false;
    try {
      await sleep(waitMs ?? backoffMs, undefined, { signal: sender.stop });
    } catch {
      return false;
    }
    backoffMs = Math.min(2 * backoffMs, MAX_BACKOFF_MS);
  }
  return false;
};

/** Samples a process's peak RSS until stopped: the figure survives the process. */
const watchPeakRss = (pid: number) => {
  let peak = 0;
  const read = () => {
    try {
      peak = Math.max(peak, peakRssBytes(pid));
    } catch {
      // the process has exited: the last figure stands
    }
  };
  const timer = setInterval(read, 100);
  return {
    stop: (): number => {
      clearInterval(timer);
      read();
      return peak;
    },
  };
};

const NORMAL_SAMPLES = 500;
const NORMAL_CONCURRENCY = 4;

/**
 * Normal body `n`: 500 of the captured label sets in turn, every sample at `baseMs + n`, so the
 * rows of each body can be counted apart by their time.
 */
const normalBody = (n: number, baseMs: number, labelSets: readonly Label[][]): Uint8Array =>
  compressSnappyBlock(
    encodeWriteRequestV1({
      series: Array.from({ length: NORMAL_SAMPLES }, (_, i) => ({
        labels: labelSets[(n * NORMAL_SAMPLES + i) % labelSets.length] as Label[],
        samples: [{ timestampMs: baseMs + n, value: i }],
      })),
    }),
  );

export interface ConcurrentWorstCaseFigures {
  readonly worstCaseBodies: number;
  readonly decodedBytesEach: number;
  readonly seriesEach: number;
  readonly limitSeconds: number;
  readonly seconds: number;
  readonly worstCaseAcknowledged: number;
  readonly worstCase: Tally & { readonly secondsToAcknowledge: number[] };
  /** During the burst (the warm-up's bodies are counted in the samples only). */
  readonly normalAcknowledged: number;
  readonly normal: Tally;
  readonly normalP50Ms: number;
  readonly normalP99Ms: number;
  readonly connectorPeakRssBytes: number;
  readonly connectorAlive: boolean;
  /** Acknowledged samples and how many of them the emulator does not hold. */
  readonly samplesAcknowledged: number;
  readonly samplesLost: number;
}

/** Of the acknowledged bodies, how many samples the emulator does not hold. */
const countLost = async (
  emulator: Emulator,
  worst: readonly WorstCaseBody[],
  acknowledgedWorst: ReadonlySet<number>,
  acknowledgedNormal: readonly number[],
  baseMs: number,
): Promise<number> => {
  const table = `"${DATABASE}"."${TABLE}"`;
  const names = worst.map((body) => `'${body.metric}'`).join(', ');
  const byMetric = new Map(
    (
      await queryEmulator(
        emulator,
        `SELECT measure_name, count(*) AS n FROM ${table} WHERE measure_name IN (${names}) GROUP BY measure_name`,
      )
    ).map((row) => [row.measure_name, Number(row.n)]),
  );
  const byTime = new Map(
    (
      await queryEmulator(
        emulator,
        `SELECT to_milliseconds(time) AS t, count(*) AS n FROM ${table} WHERE measure_name NOT IN (${names}) GROUP BY time`,
      )
    ).map((row) => [Number(row.t), Number(row.n)]),
  );
  let lost = 0;
  for (const k of acknowledgedWorst) {
    const body = worst[k] as WorstCaseBody;
    lost += Math.max(0, body.series - (byMetric.get(body.metric) ?? 0));
  }
  for (const n of acknowledgedNormal) lost += Math.max(0, NORMAL_SAMPLES - (byTime.get(baseMs + n) ?? 0));
  return lost;
};

/** Sockets of its own; when `stop` is aborted its requests in flight are cut. */
const senderFor = (connector: ConnectorProcess, sockets: number, stop: AbortSignal): Sender => {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  stop.addEventListener('abort', () => agent.destroy(), { once: true });
  return { agent, target: new URL(`${connector.url}/write`), stop };
};

export const benchConcurrentWorstCases = async (options: {
  readonly quick: boolean;
}): Promise<ConcurrentWorstCaseFigures> => {
  const count = 8;
  const limitSeconds = options.quick ? 10 : 90;
  const workspace = new Workspace('bench-overload');
  try {
    const emulator = await startEmulatorProcess(workspace);
    const connector = await startConnectorProcess(workspace, emulator);
    const rss = watchPeakRss(connector.process.pid as number);
    const now = Date.now();
    const worst = Array.from({ length: count }, (_, k) =>
      worstCaseBody(`w_${k}`, now - 120_000, options.quick ? 256 * 1024 : undefined),
    );
    const labelSets = capturedLabelSets();
    const baseMs = now - 600_000;
    const stopping = new AbortController();
    const worstSender = senderFor(connector, count, stopping.signal);
    const normalSender = senderFor(connector, NORMAL_CONCURRENCY, stopping.signal);
    const normal = newTally();
    const acknowledgedNormal: number[] = [];
    let nextNormal = 0;
    const sendNormal = async () => {
      const n = nextNormal++;
      if (await sendLikePrometheus(normalSender, normalBody(n, baseMs, labelSets), normal))
        acknowledgedNormal.push(n);
    };
    // A few normal requests first: the connections and the SDK's clients are warm before the burst.
    for (let i = 0; i < NORMAL_CONCURRENCY; i++) await sendNormal();
    const warmUpAcknowledged = acknowledgedNormal.length;
    normal.latenciesMs.length = 0;
    for (const status of Object.keys(normal.answers)) delete normal.answers[status];
    const started = performance.now();
    const timeUp = setTimeout(() => stopping.abort(), limitSeconds * 1000);
    const worstTally = { ...newTally(), secondsToAcknowledge: [] as number[] };
    const acknowledgedWorst = new Set<number>();
    const worstDone = Promise.all(
      worst.map(async (body, k) => {
        if (await sendLikePrometheus(worstSender, body.body, worstTally)) {
          acknowledgedWorst.add(k);
          worstTally.secondsToAcknowledge.push((performance.now() - started) / 1000);
        }
      }),
    ).then(() => {
      clearTimeout(timeUp);
      stopping.abort();
    });
    await Promise.all(
      Array.from({ length: NORMAL_CONCURRENCY }, async () => {
        while (!stopping.signal.aborted) await sendNormal();
      }),
    );
    await worstDone;
    const seconds = (performance.now() - started) / 1000;
    const connectorAlive = connector.process.exited() === undefined;
    const connectorPeakRssBytes = rss.stop();
    const samplesLost = await countLost(emulator, worst, acknowledgedWorst, acknowledgedNormal, baseMs);
    return {
      worstCaseBodies: count,
      decodedBytesEach: (worst[0] as WorstCaseBody).decodedBytes,
      seriesEach: (worst[0] as WorstCaseBody).series,
      limitSeconds,
      seconds,
      worstCaseAcknowledged: acknowledgedWorst.size,
      worstCase: worstTally,
      normalAcknowledged: acknowledgedNormal.length - warmUpAcknowledged,
      normal,
      normalP50Ms: percentile(normal.latenciesMs, 50),
      normalP99Ms: percentile(normal.latenciesMs, 99),
      connectorPeakRssBytes,
      connectorAlive,
      samplesAcknowledged:
        [...acknowledgedWorst].reduce((n, k) => n + (worst[k] as WorstCaseBody).series, 0) +
        acknowledgedNormal.length * NORMAL_SAMPLES,
      samplesLost,
    };
  } finally {
    await workspace.stop();
  }
};

export const SLOW_TIMESTREAM_LATENCY_MS = 20_000;

export interface SlowTimestreamFigures {
  readonly worstCaseBodies: number;
  readonly decodedBytesEach: number;
  readonly timestreamLatencyMs: number;
  readonly seconds: number;
  readonly answers: Record<string, number>;
  readonly connectorPeakRssBytes: number;
  /** undefined while it runs, else how it ended. */
  readonly connectorExit: string | undefined;
  /** The status of GET /-/ready at the end, or the error. */
  readonly ready: string;
}

const readiness = async (connector: ConnectorProcess): Promise<string> => {
  try {
    const response = await fetch(`${connector.url}/-/ready`, { signal: AbortSignal.timeout(5_000) });
    return String(response.status);
  } catch (error) {
    return `no answer (${(error as Error).message})`;
  }
};

export const benchSlowTimestream = async (options: {
  readonly quick: boolean;
}): Promise<SlowTimestreamFigures> => {
  const count = 24;
  // --quick: a shorter delay within its few seconds, so some calls are answered at all.
  const timestreamLatencyMs = options.quick ? 1_000 : SLOW_TIMESTREAM_LATENCY_MS;
  // Longer than the request timeout (30 s), so each body is answered or cut at least once.
  const limitSeconds = options.quick ? 5 : 45;
  const workspace = new Workspace('bench-slow-timestream');
  try {
    const emulator = await startEmulatorProcess(workspace, [`--latency-ms=${timestreamLatencyMs}`]);
    const connector = await startConnectorProcess(workspace, emulator);
    const rss = watchPeakRss(connector.process.pid as number);
    // One body for all 24: the figure is memory and survival, not rows.
    const worst = worstCaseBody('w_slow', Date.now() - 120_000, options.quick ? 256 * 1024 : undefined);
    const stopping = new AbortController();
    const sender = senderFor(connector, count, stopping.signal);
    const tally = newTally();
    const started = performance.now();
    const timeUp = setTimeout(() => stopping.abort(), limitSeconds * 1000);
    await Promise.all(Array.from({ length: count }, () => sendLikePrometheus(sender, worst.body, tally)));
    const seconds = (performance.now() - started) / 1000;
    clearTimeout(timeUp);
    stopping.abort();
    const ready = await readiness(connector);
    return {
      worstCaseBodies: count,
      decodedBytesEach: worst.decodedBytes,
      timestreamLatencyMs,
      seconds,
      answers: tally.answers,
      connectorPeakRssBytes: rss.stop(),
      connectorExit: connector.process.exited(),
      ready,
    };
  } finally {
    await workspace.stop();
  }
};

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const answersText = (answers: Record<string, number>) =>
  Object.entries(answers)
    .map(([status, n]) => `${status} × ${n.toLocaleString('en-US')}`)
    .join(', ') || 'none';

export const concurrentWorstCasesReport = (figures: ConcurrentWorstCaseFigures): string[] => [
  '## 8. Concurrent worst-case bodies beside normal traffic',
  '',
  `${figures.worstCaseBodies} worst-case bodies (${mib(figures.decodedBytesEach)} decoded, ${figures.seriesEach.toLocaleString('en-US')} one-sample series each, different rows) sent to the standalone server at once, each resent as Prometheus would (\`Retry-After\`, else its backoff) until acknowledged, while normal ${NORMAL_SAMPLES}-sample requests are sent ${NORMAL_CONCURRENCY} at a time; the emulator adds no latency. The run ends when all are acknowledged or after ${figures.limitSeconds} s (requests then in flight are cut): it took ${figures.seconds.toFixed(1)} s. Every acknowledged sample is looked for in the emulator through the SDK's query client.`,
  '',
  '| figure | value | goal |',
  '| --- | ---: | --- |',
  `| connector peak RSS (VmHWM) | **${mib(figures.connectorPeakRssBytes)}** | ≤ 1 GiB |`,
  `| normal requests: p50 / p99 of each answer | ${figures.normalP50Ms.toFixed(0)} ms / **${figures.normalP99Ms.toFixed(0)} ms** | p99 ≤ 2 s |`,
  `| normal requests: bodies acknowledged; answers | ${figures.normalAcknowledged.toLocaleString('en-US')}; ${answersText(figures.normal.answers)} | |`,
  `| worst-case bodies acknowledged; answers | ${figures.worstCaseAcknowledged} of ${figures.worstCaseBodies} (at ${figures.worstCase.secondsToAcknowledge.map((s) => `${s.toFixed(0)} s`).join(', ') || '–'}); ${answersText(figures.worstCase.answers)} | |`,
  `| acknowledged samples not in the emulator | **${figures.samplesLost.toLocaleString('en-US')}** of ${figures.samplesAcknowledged.toLocaleString('en-US')} | 0 |`,
  `| connector alive at the end | ${figures.connectorAlive ? 'yes' : '**no**'} | |`,
  '',
];

export const slowTimestreamReport = (figures: SlowTimestreamFigures): string[] => [
  '## 9. Concurrent worst-case bodies while Timestream answers slowly',
  '',
  `${figures.worstCaseBodies} worst-case bodies (${mib(figures.decodedBytesEach)} decoded each) sent to the standalone server at once and resent as Prometheus would, for ${figures.seconds.toFixed(0)} s, while the emulator answers every call ${(figures.timestreamLatencyMs / 1000).toFixed(0)} s late; then the requests in flight are cut.`,
  '',
  '| figure | value | goal |',
  '| --- | ---: | --- |',
  `| the process at the end | **${figures.connectorExit === undefined ? 'up' : `ended: ${figures.connectorExit}`}**; GET /-/ready: ${figures.ready} | stays up |`,
  `| connector peak RSS (VmHWM) | ${mib(figures.connectorPeakRssBytes)} | |`,
  `| answers | ${answersText(figures.answers)} | |`,
  '',
];
