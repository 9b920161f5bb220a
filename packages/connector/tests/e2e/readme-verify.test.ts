/**
 * The README's "Verify that data arrived" steps, run exactly as the README writes them: each
 * fenced `sh` block after a `<!-- verify-step: NAME -->` comment is extracted from README.md and run
 * with bash, against `npm start` (the connector with its embedded emulator on their default
 * ports), with the real AWS CLI and a real Prometheus 2.42 configured with the `prometheus.yml`
 * that `npm start` prints. The steps are the Go connector README's: `SELECT count()` is 0 before
 * Prometheus writes and grows after; a record written with `aws timestream-write write-records`
 * is read back through Prometheus's remote read with the PromQL query `prometheus_temperature[15d]`.
 *
 * The ports are the README's (9201, 9202, 9090): the test fails, naming the port, if one is taken.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary, waitFor } from './helpers/processes.js';

const REPOSITORY = join(__dirname, '..', '..', '..', '..');
const README_STEPS = ['count', 'write', 'promql'] as const;
type StepName = (typeof README_STEPS)[number];

/** The `sh` block following each `<!-- verify-step: NAME -->` comment of the README. */
const readmeSteps = (readme: string): Record<StepName, string> => {
  const steps: Partial<Record<StepName, string>> = {};
  for (const name of README_STEPS) {
    const pattern = new RegExp(`<!-- verify-step: ${name} -->\\s*\`\`\`sh\\n([\\s\\S]*?)\\n\`\`\``);
    const match = pattern.exec(readme);
    if (match === null) throw new Error(`README.md has no "<!-- verify-step: ${name} -->" sh block`);
    steps[name] = match[1] as string;
  }
  return steps as Record<StepName, string>;
};

interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a README block with bash, after the `export` lines of the blocks before it. */
const runBlock = (script: string, cwd: string): Promise<CommandResult> =>
  new Promise((resolve) => {
    execFile(
      'bash',
      ['-euo', 'pipefail', '-c', script],
      { cwd, timeout: 60_000, env: { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_PAGER: '' } },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1,
          stdout,
          stderr,
        }),
    );
  });

const assertPortFree = (port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error) =>
      reject(
        new Error(`port ${port}, which the README's steps use, is taken on this machine: ${error.message}`),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });

/** `npm start` in its own process group, so stopping it stops the connector npm runs. */
const startNpm = (cwd: string): { child: ChildProcess; output: () => string; stop: () => Promise<void> } => {
  const child = spawn('npm', ['start'], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(-(child.pid as number), 'SIGTERM');
      const timer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
};

/** The count the `count` step's `aws timestream-query query` printed (its JSON output). */
const countOf = (result: CommandResult): number => {
  if (result.code !== 0)
    throw new Error(
      `the README's count step failed (exit ${result.code}):\n${result.stderr}${result.stdout}`,
    );
  const answer = JSON.parse(result.stdout) as { Rows: { Data: { ScalarValue: string }[] }[] };
  const value = answer.Rows[0]?.Data[0]?.ScalarValue;
  if (value === undefined) throw new Error(`the count step printed no count:\n${result.stdout}`);
  return Number(value);
};

describe('the README verification steps, as written, against npm start', () => {
  const work = mkdtempSync(join(tmpdir(), 'readme-verify-'));
  const stops: (() => Promise<void>)[] = [];

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    if (process.env.E2E_KEEP_TMP === undefined) rmSync(work, { recursive: true, force: true });
  });

  it('counts 0, sees Prometheus write, writes a record with the AWS CLI and reads it back with PromQL', async () => {
    const steps = readmeSteps(readFileSync(join(REPOSITORY, 'README.md'), 'utf8'));
    const exports = steps.count
      .split('\n')
      .filter((line) => line.startsWith('export '))
      .join('\n');
    const run = (name: StepName): Promise<CommandResult> =>
      runBlock(name === 'count' ? steps.count : `${exports}\n${steps[name]}`, work);
    const prometheusBinary = requireBinary('prometheus');
    requireBinary('curl');
    const cli = await runBlock(`${requireBinary('aws')} --version`, work);
    process.stderr.write(`readme-verify: ${cli.stdout.trim() || cli.stderr.trim()}\n`);
    for (const port of [9201, 9202, 9090]) await assertPortFree(port);

    const connector = startNpm(REPOSITORY);
    stops.push(connector.stop);
    const config = await waitFor(
      'npm start to print the prometheus.yml of the writer',
      async () => {
        if (connector.child.exitCode !== null) throw new Error(`npm start exited:\n${connector.output()}`);
        return writerConfig(connector.output());
      },
      { timeoutMs: 60_000, describe: connector.output },
    );
    // Before Prometheus runs, the table is empty.
    expect(countOf(await run('count'))).toBe(0);

    const configFile = join(work, 'prometheus.yml');
    writeFileSync(configFile, config);
    mkdirSync(join(work, 'data'));
    const prometheus = spawn(
      prometheusBinary,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(work, 'data')}`,
        '--web.listen-address=127.0.0.1:9090',
      ],
      { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let prometheusLog = '';
    prometheus.stderr?.on('data', (chunk: Buffer) => {
      prometheusLog += chunk.toString('utf8');
    });
    stops.push(async () => {
      if (prometheus.exitCode !== null) return;
      const gone = new Promise<void>((resolve) => prometheus.once('exit', () => resolve()));
      prometheus.kill('SIGTERM');
      await gone;
    });

    // Prometheus scrapes itself and remote-writes: the count grows past 0.
    const written = await waitFor(
      'the count to grow once Prometheus writes',
      async () => {
        if (prometheus.exitCode !== null) throw new Error(`Prometheus exited:\n${prometheusLog}`);
        const count = countOf(await run('count'));
        return count > 0 ? count : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 2_000, describe: () => `${prometheusLog}\n${connector.output()}` },
    );
    expect(written).toBeGreaterThan(0);

    const write = await run('write');
    expect({ code: write.code, stderr: write.stderr }).toEqual({ code: 0, stderr: '' });

    // The record is older than anything Prometheus's own TSDB holds for the series (it has none),
    // so `[15d]` reaches back past the TSDB's start and Prometheus asks remote read for it.
    const answer = await waitFor(
      'prometheus_temperature[15d] to answer through remote read',
      async () => {
        const result = await run('promql');
        if (result.code !== 0) throw new Error(`the promql step failed: ${result.stderr}`);
        const body = JSON.parse(result.stdout) as PromqlAnswer;
        return body.data.result.length > 0 ? body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1_000, describe: () => prometheusLog },
    );
    expect(answer.status).toBe('success');
    expect(answer.data.resultType).toBe('matrix');
    expect(answer.data.result).toHaveLength(1);
    expect(answer.data.result[0]?.metric).toEqual({
      __name__: 'prometheus_temperature',
      job: 'prometheus',
      instance: 'localhost:9090',
    });
    expect(answer.data.result[0]?.values.map(([, value]) => value)).toEqual(['98.76']);
  }, 240_000);
});

interface PromqlAnswer {
  readonly status: string;
  readonly data: {
    readonly resultType: string;
    readonly result: { readonly metric: Record<string, string>; readonly values: [number, string][] }[];
  };
}

const WRITER_HEADING = '# prometheus.yml of the Prometheus that writes';

/**
 * The prometheus.yml a user following the Quick start runs: the README's scrape job (Prometheus
 * scraping itself, so it has something to send) with the writer's lines `npm start` printed added,
 * once they are printed whole (the block ends with an empty line).
 */
const writerConfig = (output: string): string | undefined => {
  const start = output.indexOf(WRITER_HEADING);
  const end = start < 0 ? -1 : output.indexOf('\n\n', start);
  if (end < 0) return undefined;
  return [
    'global:',
    '  scrape_interval: 1s',
    'scrape_configs:',
    '  - job_name: prometheus',
    '    static_configs: [{ targets: ["localhost:9090"] }]',
    output.slice(start, end),
    '',
  ].join('\n');
};
