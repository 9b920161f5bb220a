/**
 * `npm run test:reliability`: the reliability suite of the connector (its attack tests run first,
 * under Jest). Sections: fuzz (every network entry point, seeded mutations of the captured
 * fixtures), soak (real Prometheus → connector → emulator under throttling, 500s, latency spikes
 * and a refused-connection outage: nothing lost, nothing stored twice), leak (sustained mixed load
 * on the standalone server: RSS and heap slopes), and a scan of every log the run produced for the
 * secrets and tokens it used, and `npm audit` of the production dependencies.
 *
 * The bounded form (the default, CI's) takes a few minutes; `--long` fuzzes ten times more, soaks
 * 30 fault cycles (30 min) and loads for 15 min. `--only=fuzz,soak` runs some sections. Figures
 * are printed and written to reliability-results/ (report.md, results.json); any failure exits 1.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../support/cli-processes.js';
import { auditProductionDependencies } from './audit.js';
import { type FuzzTarget, runFuzz, serveFuzzWorker } from './fuzz.js';
import { leakSecrets, runLeak } from './leak.js';
import { scanLogs } from './logs.js';
import { runSoak, SOAK_SECRET_ACCESS_KEY } from './soak.js';

/** The runner; in a fuzz worker thread (the same bundle) the file serves the worker instead. */
const main = async (): Promise<void> => {
  const long = process.argv.includes('--long');
  const only = process.argv
    .find((arg) => arg.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const wanted = (section: string) => only === undefined || only.includes(section);
  /** `--name=N` overrides a size (for trying the suite out). */
  const sizeOption = (name: string, fallback: number): number => {
    const value = Number(process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3));
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  const log = (line: string) => process.stdout.write(`${line}\n`);

  const resultsDir = join(REPO, 'reliability-results');
  mkdirSync(resultsDir, { recursive: true });
  const results: Record<string, unknown> = {
    long,
    node: process.version,
    startedAt: new Date().toISOString(),
  };
  const report: string[] = [
    '# Reliability report',
    '',
    `${new Date().toISOString()}, Node ${process.version}, ${long ? '**--long**' : 'bounded (CI) form'}.`,
    '',
  ];
  const failures: string[] = [];
  const logs: string[] = [];
  const secrets: string[] = [];
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

  if (wanted('fuzz')) {
    const seed = sizeOption('fuzz-seed', 1);
    const inputsPerTarget = sizeOption('fuzz-inputs', long ? 200_000 : 20_000);
    log(
      `fuzz: seed ${seed}, ${inputsPerTarget} inputs per codec target, ${inputsPerTarget / 8} per connector target`,
    );
    const only = process.argv
      .find((arg) => arg.startsWith('--fuzz-targets='))
      ?.slice('--fuzz-targets='.length)
      .split(',') as FuzzTarget[] | undefined;
    const targets = await runFuzz({
      inputsPerTarget,
      seed,
      resultsDir,
      log,
      ...(only === undefined ? {} : { targets: only }),
    });
    results.fuzz = { seed, targets };
    report.push(
      '## Fuzzing',
      '',
      `Seeded mutation fuzzing (seed ${seed}) of the captured Prometheus 2.42 bodies through every network entry point; input i of a target is rebuilt from (seed, target, i). A failure is a throw other than a CodecError, a hang (10 s without progress), an unhandled rejection, a 5xx, an unreadable message, or RSS over 1.5 GiB.`,
      '',
      '| target | inputs | inputs/s | accepted | refused | failures | peak RSS |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...targets.map(
        (t) =>
          `| ${t.target} | ${t.inputs} | ${Math.round(t.inputs / t.seconds)} | ${t.accepted} | ${t.refused} | **${t.failures.length + t.omittedFailures}** | ${mib(t.peakRssBytes)} |`,
      ),
      '',
      ...targets.flatMap((t) =>
        t.failures.map((f) => `- ${t.target}: ${f.kind}: ${f.detail} (${f.inputFile})`),
      ),
      '',
    );
    for (const t of targets)
      for (const failure of t.failures)
        failures.push(`fuzz ${t.target}: ${failure.kind}: ${failure.detail} (${failure.inputFile})`);
  }

  if (wanted('soak')) {
    const cycles = sizeOption('soak-cycles', long ? 30 : 3);
    log(`soak: ${cycles} fault cycles of 60 s`);
    const figures = await runSoak({ cycles, log });
    const { logs: soakLogs, ...shown } = figures;
    results.soak = shown;
    logs.push(...soakLogs);
    secrets.push(SOAK_SECRET_ACCESS_KEY);
    if (!figures.passed) failures.push(`soak: ${JSON.stringify(shown.mismatchExamples)}`);
    const line = `soak: ${figures.samplesExpected} samples expected in a ${figures.window.seconds} s window, ${figures.samplesStored} stored, ${figures.samplesMissing} missing, ${figures.samplesDuplicated} duplicated; Prometheus sent ${figures.prometheus.samplesSent}, retried ${figures.prometheus.samplesRetried}, failed ${figures.prometheus.samplesFailed}; connector write answers ${JSON.stringify(figures.connectorWriteAnswers)}; emulator throttled ${figures.emulator.throttled}, failed ${figures.emulator.errors} calls; ${figures.outages} outages`;
    log(line);
    report.push(
      '## Fault-injection soak',
      '',
      `Prometheus 2.42 (scraping node-exporter and itself every second) → connector → TCP proxy → emulator, ${figures.cycles} cycles of 60 s: 10 s clean, then WriteRecords throttled ${20} % and failed (500) 5 %, a 5 s spike of 3 s latency, and 10 s of refused connections. Then faults stop, scraping stops, and Prometheus catches up.`,
      '',
      '| figure | value |',
      '| --- | ---: |',
      `| window compared | ${figures.window.seconds} s, ${figures.series} series |`,
      `| samples in Prometheus's TSDB (storable) | ${figures.samplesExpected} |`,
      `| samples excluded as documented (NaN, unstorable series) | ${figures.samplesExcluded} |`,
      `| samples stored in the emulator | ${figures.samplesStored} |`,
      `| missing / duplicated / unexpected | **${figures.samplesMissing} / ${figures.samplesDuplicated} / ${figures.samplesUnexpected}** |`,
      `| samples sent by Prometheus (all, incl. retries) | ${figures.prometheus.samplesSent} |`,
      `| samples retried by Prometheus | ${figures.prometheus.samplesRetried} |`,
      `| samples failed / dropped by Prometheus | ${figures.prometheus.samplesFailed} / ${figures.prometheus.samplesDropped} |`,
      `| connector write answers | ${JSON.stringify(figures.connectorWriteAnswers)} |`,
      `| WriteRecords calls throttled / failed by the emulator | ${figures.emulator.throttled} / ${figures.emulator.errors} |`,
      `| WriteRecords calls answered, records acknowledged (identical resends included) | ${figures.emulator.writeCalls}, ${figures.emulator.recordsAcknowledged} |`,
      `| outages (connection refused, 10 s) | ${figures.outages} |`,
      `| result | ${figures.passed ? 'pass' : '**FAIL**'} |`,
      '',
    );
  }

  if (wanted('leak')) {
    // 4 minutes bounded: over 2, the slope of RSS's second half (six 10 s windows) swung with
    // the allocator's ±5 MiB (see leak.ts's RSS_WARM_UP_SHARE).
    const seconds = sizeOption('leak-seconds', long ? 900 : 240);
    log(`leak: ${seconds} s of mixed load`);
    const figures = await runLeak({ seconds, log });
    const { logs: leakLogs, ...shown } = figures;
    results.leak = shown;
    logs.push(...leakLogs);
    secrets.push(...leakSecrets());
    if (!figures.passed) failures.push(`leak: ${figures.problems.join('; ')}`);
    log(
      `leak: ${figures.requests} requests in ${figures.seconds} s, ${figures.samplesWritten} samples written; live heap slope ${figures.heapSlopeMiBPerMinute.toFixed(2)} MiB/min (${figures.fullCollections} full collections), RSS slope ${figures.rssSlopeMiBPerMinute.toFixed(2)} MiB/min; p50 ${figures.p50FirstMs.toFixed(1)} → ${figures.p50LastMs.toFixed(1)} ms${figures.passed ? '' : `; FAIL: ${figures.problems.join('; ')}`}`,
    );
    report.push(
      '## Load without leaks',
      '',
      `${figures.seconds} s of load on the standalone server, 8 requests at a time: 17 in 20 remote writes of 500 samples from 200 rotating passthrough callers (the client cache holds 64), 1 remote read, 1 garbage body, 1 bad credential. Memory from the connector's own /metrics every 250 ms; slopes by least squares after the first quarter: of the live heap after each full collection (the connector runs with --trace-gc), and of RSS per 10 s window.`,
      '',
      `Live-heap slope **${figures.heapSlopeMiBPerMinute.toFixed(2)} MiB/min** (the heap after each of ${figures.fullCollections} full collections, from --trace-gc), RSS slope **${figures.rssSlopeMiBPerMinute.toFixed(2)} MiB/min**, p50 latency ${figures.p50FirstMs.toFixed(1)} → ${figures.p50LastMs.toFixed(1)} ms; answers ${JSON.stringify(figures.answers)}.`,
      '',
      '| from (s) | requests | heap floor | RSS | p50 | p99 |',
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
      ...figures.windows.map(
        (w) =>
          `| ${w.fromSeconds} | ${w.requests} | ${mib(w.heapFloorBytes)} | ${mib(w.rssBytes)} | ${w.p50Ms.toFixed(1)} ms | ${w.p99Ms.toFixed(1)} ms |`,
      ),
      '',
    );
  }

  if (logs.length > 0) {
    const scan = scanLogs(logs, secrets);
    results.logScan = scan;
    log(
      `log scan: ${scan.lines} lines (${mib(scan.bytes)}) searched for ${scan.secrets} secrets: ${scan.hits.length} hits`,
    );
    if (scan.hits.length > 0) failures.push(`secrets in logs: ${scan.hits.join('; ')}`);
    report.push(
      '## Secrets in logs',
      '',
      `Every log line of the run (connector, emulator, Prometheus: ${scan.lines} lines, ${mib(scan.bytes)}) searched for the ${scan.secrets} secrets, session tokens and Authorization values it used: **${scan.hits.length} found**.`,
      '',
    );
  }

  if (wanted('audit')) {
    const audit = auditProductionDependencies(REPO);
    results.audit = audit;
    const summary =
      audit.status === 'unavailable'
        ? `npm audit --omit=dev: NOT CHECKED, the advisory endpoint did not answer (${audit.detail})`
        : `npm audit --omit=dev: ${audit.findings.length} findings, ${audit.unexplained.length} not explained in the README`;
    log(summary);
    if (audit.unexplained.length > 0) failures.push(`npm audit: ${audit.unexplained.join('; ')}`);
    report.push(
      '## Production dependencies',
      '',
      summary,
      '',
      ...audit.findings.map((f) => `- ${f.name} (${f.severity}): ${f.advisory}`),
      '',
    );
  }

  results.failures = failures;
  writeFileSync(join(resultsDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'report.md'), `${report.join('\n')}\n`);
  log(`report: ${join(resultsDir, 'report.md')}`);
  if (failures.length > 0) {
    log(`RELIABILITY FAILURES:\n${failures.map((failure) => `- ${failure}`).join('\n')}`);
    process.exitCode = 1;
  }
};

if (!serveFuzzWorker()) await main();
