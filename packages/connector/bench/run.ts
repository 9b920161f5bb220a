/**
 * `npm run bench`: the benchmark suite. Each section measures one figure of the performance
 * issue, as medians over repeated runs with comparisons taken within one run; the report goes to
 * bench-results/ (report.md and the raw results.json). `--quick` runs tiny sizes (CI keeps the
 * suite from rotting; its figures mean nothing); `--only=codec,ingest` runs some sections.
 *
 * Sections: codec (packages/codec/bench, run as its own process), ingest (side by side with
 * VictoriaMetrics and Prometheus), latency, coldstart, read, cost, memory (one worst-case body),
 * overload (8 worst-case bodies beside normal traffic) and slow (24 of them while Timestream
 * answers in 20 s), write-call (CPU of one WriteRecords call, SDK vs the lean path). The report opens with the figures issue 19's acceptance names, beside its goals.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../support/cli-processes.js';
import { acceptanceReport, type MeasuredSections } from './acceptance.js';
import { benchColdStart } from './coldstart.js';
import { benchCost, type CostFigures } from './cost.js';
import { benchIngest, type IngestFigures } from './ingest.js';
import { benchLatency } from './latency.js';
import { benchWorstCaseMemory, worstCaseMemoryReport } from './memory.js';
import {
  benchConcurrentWorstCases,
  benchSlowTimestream,
  concurrentWorstCasesReport,
  slowTimestreamReport,
} from './overload.js';
import { benchRead } from './read.js';
import { benchWriteCall } from './write-call.js';

const quick = process.argv.includes('--quick');
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const wanted = (section: string) => only === undefined || only.includes(section);

const results: Record<string, unknown> = {
  quick,
  node: process.version,
  startedAt: new Date().toISOString(),
};
const report: string[] = [
  '# Benchmark report',
  '',
  `${new Date().toISOString()}, Node ${process.version}${quick ? ', **--quick** (tiny sizes: the figures mean nothing)' : ''}.`,
  '',
];
const log = (line: string) => process.stdout.write(`${line}\n`);

if (wanted('codec')) {
  const codec = spawnSync(
    'npm',
    ['run', '--silent', 'bench', '-w', 'packages/codec', '--', ...(quick ? ['--quick'] : [])],
    {
      cwd: REPO,
      encoding: 'utf8',
    },
  );
  if (codec.status !== 0) throw new Error(`the codec benchmark failed: ${codec.stderr}`);
  log(codec.stdout);
  results.codec = codec.stdout;
  report.push('## 1. Codec', '', '```', codec.stdout.trim(), '```', '');
}

const thousands = (value: number) =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const ingestTable = (figures: IngestFigures): string[] => [
  `### ${figures.samplesPerRequest} samples per request (${thousands(figures.samplesPerRun)} samples per run, median of ${figures.runs})`,
  '',
  '| receiver | samples per CPU-second | samples per second (4 concurrent requests) | peak RSS (VmHWM) |',
  '| --- | ---: | ---: | ---: |',
  ...(['connector', 'victoria-metrics', 'prometheus'] as const).map(
    (receiver) =>
      `| ${receiver} | ${thousands(figures.samplesPerCpuSecond[receiver])} | ${thousands(figures.samplesPerSecond[receiver])} | ${mib(figures.peakRssBytes[receiver])} |`,
  ),
  `| the emulator behind the connector | ${thousands(figures.emulatorSamplesPerCpuSecond)} | | |`,
  '',
  `connector / VictoriaMetrics: **${figures.connectorToVictoriaMetrics.toFixed(3)}** (goal ≥ 1.0); connector / Prometheus: ${figures.connectorToPrometheus.toFixed(3)}.`,
  '',
];

if (wanted('ingest')) {
  report.push(
    '## 2. Write ingest efficiency, side by side',
    '',
    "The same pre-encoded remote-write bodies (the label sets of the captured Prometheus 2.42 bodies, fresh timestamps) posted to each receiver; CPU of the receiving process only (/proc), the emulator behind the connector runs in its own process and is not counted (its samples per CPU-second on a row of its own). Peak RSS: VmHWM of the receiver's process, started for the run (warm-up included).",
    '',
  );
  for (const size of [500, 2000]) {
    const figures = await benchIngest(size, { quick });
    results[`ingest${size}`] = figures;
    report.push(...ingestTable(figures));
    log(
      `ingest, ${size} samples/request: samples per CPU-second: connector ${thousands(figures.samplesPerCpuSecond.connector)}, ` +
        `VictoriaMetrics ${thousands(figures.samplesPerCpuSecond['victoria-metrics'])}, Prometheus ${thousands(figures.samplesPerCpuSecond.prometheus)}; ` +
        `connector/VictoriaMetrics ${figures.connectorToVictoriaMetrics.toFixed(3)}`,
    );
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toLocaleString('en-US', { maximumFractionDigits: 0 })} KiB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;

if (wanted('latency')) {
  const figures = await benchLatency({ quick });
  results.latency = figures;
  const goal = 2 * figures.roundTripMs;
  log(
    `latency, ${figures.samplesPerRequest} samples/request, Timestream ${figures.timestreamLatencyMs} ms: p50 ${ms(figures.defaultConcurrency.p50Ms)}, p99 ${ms(figures.defaultConcurrency.p99Ms)} (concurrency ${figures.defaultConcurrency.writeConcurrency}), ` +
      `${ms(figures.sequential.p50Ms)} sequential; one WriteRecords ${ms(figures.roundTripMs)}`,
  );
  report.push(
    '## 3. Write latency under realistic Timestream latency',
    '',
    `${figures.samplesPerRequest}-sample requests, one at a time, to the standalone server; the emulator answers every call ${figures.timestreamLatencyMs} ms late. One WriteRecords round trip (100 records, through the SDK, same emulator, median): **${ms(figures.roundTripMs)}**.`,
    '',
    '| write concurrency | requests | p50 | p99 | connector CPU per request | emulator CPU per request | connector peak RSS | goal |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    `| ${figures.defaultConcurrency.writeConcurrency} (default) | ${figures.defaultConcurrency.requests} | **${ms(figures.defaultConcurrency.p50Ms)}** | **${ms(figures.defaultConcurrency.p99Ms)}** | ${ms(figures.defaultConcurrency.connectorCpuMsPerRequest)} | ${ms(figures.defaultConcurrency.emulatorCpuMsPerRequest)} | ${mib(figures.defaultConcurrency.connectorPeakRssBytes)} | p50 ≤ 48 ms, p99 ≤ 100 ms (2 × round trip here: ${ms(goal)}) |`,
    `| 1 (the Go connector's sequential calls) | ${figures.sequential.requests} | ${ms(figures.sequential.p50Ms)} | ${ms(figures.sequential.p99Ms)} | ${ms(figures.sequential.connectorCpuMsPerRequest)} | ${ms(figures.sequential.emulatorCpuMsPerRequest)} | ${mib(figures.sequential.connectorPeakRssBytes)} | |`,
    '',
    `Default / sequential: **${figures.speedup.toFixed(1)}× faster** (goal ≥ 10×). The emulator serves calls on one thread, so its CPU per request (all of a request's calls, in turn) is a floor under the p50 that Timestream, serving calls in parallel, does not have.`,
    '',
  );
}

if (wanted('coldstart')) {
  const figures = await benchColdStart({ quick });
  results.coldStart = figures;
  log(
    `cold start: bundle ${kib(figures.bundleBytes)}; first write answered ${ms(figures.firstWriteMs)} after spawn, bare node ${ms(figures.bareNodeMs)}: ${ms(figures.addedMs)} added`,
  );
  report.push(
    '## 4. Lambda cold start',
    '',
    "The function's code as `cdk deploy` uploads it (x86_64), run by a fresh `node` behind the HTTP API v2 event shim with the construct's environment (no `NODE_OPTIONS`: the bundle maps stack traces itself, lazily); one 500-sample write to the emulator. Median of " +
      `${figures.runs} cold starts.`,
    '',
    '| figure | value | goal |',
    '| --- | ---: | --- |',
    `| bundle (minified \`index.mjs\` and its chunks) | ${kib(figures.bundleBytes)} | ≤ 1 MiB |`,
    `| source map (not loaded unless an error is logged) | ${kib(figures.sourceMapBytes)} | |`,
    `| snappy's native binding | ${kib(figures.snappyBytes)} | |`,
    `| bare \`node -e 0\` | ${ms(figures.bareNodeMs)} | |`,
    `| spawn → shim listening | ${ms(figures.shimListeningMs)} | |`,
    `| spawn → first write answered | ${ms(figures.firstWriteMs)} | |`,
    `| **added by the function** (first write − bare node) | **${ms(figures.addedMs)}** | ≤ 100 ms |`,
    `| of which the function's code alone (first write − shim listening) | ${ms(figures.functionMs)} | |`,
    `| the same write, warm | ${ms(figures.warmWriteMs)} | |`,
    '',
  );
}

if (wanted('read')) {
  const figures = await benchRead({ quick });
  results.read = figures;
  const { SAMPLES: samples, STREAMED_XOR_CHUNKS: chunks } = figures.runs;
  log(
    `read, ${figures.samples} samples: SAMPLES ${ms(samples.wallMs)}, connector CPU ${ms(samples.connectorCpuMs)} (${samples.bytesPerSample.toFixed(2)} B/sample), ` +
      `STREAMED_XOR_CHUNKS ${ms(chunks.wallMs)}, connector CPU ${ms(chunks.connectorCpuMs)} (${chunks.bytesPerSample.toFixed(2)} B/sample)`,
  );
  report.push(
    '## 5. Read',
    '',
    `A remote read of ${figures.series} series × 1 hour at 15 s (${thousands(figures.samples)} samples; half counters, half gauges) from the emulator through the standalone server. ${figures.reads} reads of each type, alternated: wall time their median, CPU their mean (/proc counts it in 10 ms ticks). Lambda's response limit is 6 MB of JSON with the body in base64, so ${thousands((6 * 1024 * 1024 * 3) / 4)} bytes of body. The connector's peak RSS over the section (VmHWM of its process, the writes that load the data included): ${mib(figures.connectorPeakRssBytes)}.`,
    '',
    '| response type | wall time | connector CPU (goal ≤ 60 ms) | emulator CPU | response bytes | bytes per sample | samples per 6 MB Lambda response |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...[samples, chunks].map(
      (run) =>
        `| ${run.responseType} | ${ms(run.wallMs)} | **${ms(run.connectorCpuMs)}** | ${ms(run.emulatorCpuMs)} | ${thousands(run.responseBytes)} | ${run.bytesPerSample.toFixed(2)} | ${thousands(run.samplesPerLambdaResponse)} |`,
    ),
    '',
  );
}

const costRow = (figures: CostFigures): string =>
  `| ${figures.samplesPerRequest} | ${thousands(figures.connector.writeUnitsPerMillionSamples)} | ${thousands(figures.goConnector.writeUnitsPerMillionSamples)} | **${(figures.saving * 100).toFixed(1)} %** | ${figures.connector.bytesPerSample.toFixed(1)} / ${figures.goConnector.bytesPerSample.toFixed(1)} | ${thousands(figures.connector.calls)} / ${thousands(figures.goConnector.calls)} |`;

if (wanted('cost')) {
  const rows: string[] = [];
  for (const size of [500, 2000]) {
    const figures = await benchCost(size, { quick });
    results[`cost${size}`] = figures;
    rows.push(costRow(figures));
    log(
      `cost, ${size} samples/request: write units per million samples: connector ${thousands(figures.connector.writeUnitsPerMillionSamples)}, ` +
        `Go connector's batching ${thousands(figures.goConnector.writeUnitsPerMillionSamples)}; ${(figures.saving * 100).toFixed(1)} % fewer`,
    );
  }
  report.push(
    '## 6. Cost: Timestream write units',
    '',
    `The same bodies (${thousands((results.cost500 as CostFigures).samples)} samples, the captured label sets) written by the connector and by the Go connector's batching (full dimensions on every record, 100 records per call in arrival order, no CommonAttributes), each into its own emulator; write units from the emulator's metering (AWS's formula, rounded up to 1 KiB per call). Deterministic: one run.`,
    '',
    '| samples per request | connector, units per million samples | Go connector | fewer units (goal ≥ 30 %) | metered bytes per sample | calls |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  );
}

if (wanted('memory')) {
  const figures = await benchWorstCaseMemory({ quick });
  results.memory = figures;
  log(
    `memory, one worst-case body (${mib(figures.heap.decodedBytes)} decoded): ${figures.heap.heapPerDecodedByte.toFixed(1)} bytes of heap per decoded byte; ` +
      `standalone server's peak RSS ${mib(figures.server.peakRssBytes)}`,
  );
  report.push(...worstCaseMemoryReport(figures));
}

if (wanted('overload')) {
  const figures = await benchConcurrentWorstCases({ quick });
  results.concurrentWorstCases = figures;
  log(
    `overload, ${figures.worstCaseBodies} worst-case bodies + normal traffic: connector peak RSS ${mib(figures.connectorPeakRssBytes)}, ` +
      `normal p50 ${figures.normalP50Ms.toFixed(0)} ms p99 ${figures.normalP99Ms.toFixed(0)} ms, ` +
      `${figures.worstCaseAcknowledged}/${figures.worstCaseBodies} acknowledged, ${thousands(figures.samplesLost)} acknowledged samples lost`,
  );
  report.push(...concurrentWorstCasesReport(figures));
}

if (wanted('slow')) {
  const figures = await benchSlowTimestream({ quick });
  results.slowTimestream = figures;
  log(
    `slow Timestream, ${figures.worstCaseBodies} worst-case bodies: the process ${figures.connectorExit === undefined ? 'stayed up' : `ended (${figures.connectorExit})`}, ` +
      `/-/ready ${figures.ready}, peak RSS ${mib(figures.connectorPeakRssBytes)}`,
  );
  report.push(...slowTimestreamReport(figures));
}

if (wanted('write-call')) {
  const figures = await benchWriteCall({ quick });
  results.writeCall = figures;
  const us = (value: number) => `${value.toFixed(0)} µs`;
  log(
    `write call, ${figures.recordsPerCall} records: CPU per call SDK ${us(figures.sequential.sdkUs)}, lean ${us(figures.sequential.leanUs)} (one at a time); ` +
      `SDK ${us(figures.concurrent.sdkUs)}, lean ${us(figures.concurrent.leanUs)} (4 in flight)`,
  );
  report.push(
    '## The WriteRecords call',
    '',
    `CPU of one ${figures.recordsPerCall}-record WriteRecords call on the connector's side, against the emulator in its own process: the SDK's command (\`TimestreamWriteClient.send\`, streamlined as clients.ts does) and the lean path (\`ClientLease.writeRecords\`, with \`JSON.stringify\` of the input: ${us(figures.stringifyUs)}). Median of ${figures.rounds} alternating rounds of ${figures.callsPerRound} calls.`,
    '',
    '| calls in flight | SDK | lean | lean / SDK |',
    '| ---: | ---: | ---: | ---: |',
    ...(['sequential', 'concurrent'] as const).map(
      (key) =>
        `| ${key === 'sequential' ? 1 : 4} | ${us(figures[key].sdkUs)} | **${us(figures[key].leanUs)}** | ${(figures[key].leanUs / figures[key].sdkUs).toFixed(2)} |`,
    ),
    '',
  );
}

// The acceptance table goes first, after the title lines.
report.splice(4, 0, ...acceptanceReport(results as MeasuredSections, quick));

const dir = join(REPO, 'bench-results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(dir, 'report.md'), `${report.join('\n')}\n`);
log(`report: ${join(dir, 'report.md')}, raw results: ${join(dir, 'results.json')}`);
