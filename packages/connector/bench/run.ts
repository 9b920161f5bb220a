/**
 * `npm run bench`: the benchmark suite. Each section measures one figure of the performance
 * issue, as medians over repeated runs with comparisons taken within one run; the report goes to
 * bench-results/ (report.md and the raw results.json). `--quick` runs tiny sizes (CI keeps the
 * suite from rotting; its figures mean nothing); `--only=codec,ingest` runs some sections.
 *
 * Sections so far: codec (packages/codec/bench, run as its own process) and ingest (side by side
 * with VictoriaMetrics and Prometheus). Latency, cold start, read and cost are still to come.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchIngest, type IngestFigures } from './ingest.js';
import { REPO } from './lib.js';

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
const ingestTable = (figures: IngestFigures): string[] => [
  `### ${figures.samplesPerRequest} samples per request (${thousands(figures.samplesPerRun)} samples per run, median of ${figures.runs})`,
  '',
  '| receiver | samples per CPU-second | samples per second (4 concurrent requests) |',
  '| --- | ---: | ---: |',
  ...(['connector', 'victoria-metrics', 'prometheus'] as const).map(
    (receiver) =>
      `| ${receiver} | ${thousands(figures.samplesPerCpuSecond[receiver])} | ${thousands(figures.samplesPerSecond[receiver])} |`,
  ),
  '',
  `connector / VictoriaMetrics: **${figures.connectorToVictoriaMetrics.toFixed(3)}** (goal ≥ 1.0); connector / Prometheus: ${figures.connectorToPrometheus.toFixed(3)}.`,
  '',
];

if (wanted('ingest')) {
  report.push(
    '## 2. Write ingest efficiency, side by side',
    '',
    'The same pre-encoded remote-write bodies (the label sets of the captured Prometheus 2.42 bodies, fresh timestamps) posted to each receiver; CPU of the receiving process only (/proc), the emulator behind the connector runs in its own process and is not counted.',
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

const dir = join(REPO, 'bench-results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(dir, 'report.md'), `${report.join('\n')}\n`);
log(`report: ${join(dir, 'report.md')}, raw results: ${join(dir, 'results.json')}`);
