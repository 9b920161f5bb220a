/**
 * `npm run bench`: the benchmark suite. Each section measures one figure of the performance
 * issue (codec, ingest side by side, latency, cold start, read, cost), as medians over repeated
 * runs with comparisons taken within one run; the report goes to bench-results/ (Markdown and the
 * raw JSON). `--quick` runs tiny sizes (CI keeps the suite from rotting; its figures mean
 * nothing); `--only=a,b` runs some sections.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchIngest } from './ingest.js';
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
const log = (line: string) => process.stdout.write(`${line}\n`);

if (wanted('ingest')) {
  for (const size of [500, 2000]) {
    const figures = await benchIngest(size, { quick });
    results[`ingest${size}`] = figures;
    log(
      `ingest, ${size} samples/request: samples per CPU-second — connector ${figures.samplesPerCpuSecond.connector.toFixed(0)}, ` +
        `VictoriaMetrics ${figures.samplesPerCpuSecond['victoria-metrics'].toFixed(0)}, Prometheus ${figures.samplesPerCpuSecond.prometheus.toFixed(0)}; ` +
        `connector/VictoriaMetrics ${figures.connectorToVictoriaMetrics.toFixed(2)}`,
    );
  }
}

const dir = join(REPO, 'bench-results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
log(`raw results: ${join(dir, 'results.json')}`);
