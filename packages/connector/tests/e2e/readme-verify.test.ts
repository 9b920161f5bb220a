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
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Workspace } from '../../support/peers.js';
import { assertRunning, requireBinary, waitFor, waitForHttp } from '../../support/processes.js';

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
  const workspace = new Workspace('readme-verify');

  afterAll(() => workspace.stop());

  it('counts 0, sees Prometheus write, writes a record with the AWS CLI and reads it back with PromQL', async () => {
    const steps = readmeSteps(readFileSync(join(REPOSITORY, 'README.md'), 'utf8'));
    const exports = steps.count
      .split('\n')
      .filter((line) => line.startsWith('export '))
      .join('\n');
    const run = (name: StepName): Promise<CommandResult> =>
      runBlock(name === 'count' ? steps.count : `${exports}\n${steps[name]}`, workspace.dir);
    const prometheusBinary = requireBinary('prometheus');
    requireBinary('curl');
    const cli = await runBlock(`${requireBinary('aws')} --version`, workspace.dir);
    process.stderr.write(`readme-verify: ${cli.stdout.trim() || cli.stderr.trim()}\n`);
    for (const port of [9201, 9202, 9090]) await assertPortFree(port);

    // Exactly the Quick start's command, in the repository.
    const connector = workspace.start('npm-start', 'npm', ['start'], { cwd: REPOSITORY, group: true });
    const config = await waitFor(
      'npm start to print the prometheus.yml of the writer',
      async () => {
        assertRunning(connector);
        return writerConfig(connector.log());
      },
      { timeoutMs: 60_000, describe: () => connector.logTail() },
    );
    // Before Prometheus runs, the table is empty.
    expect(countOf(await run('count'))).toBe(0);

    const configFile = workspace.path('prometheus.yml');
    writeFileSync(configFile, config);
    mkdirSync(workspace.path('data'));
    const prometheus = workspace.start('prometheus', prometheusBinary, [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${workspace.path('data')}`,
      '--web.listen-address=127.0.0.1:9090',
    ]);
    await waitForHttp(prometheus, 'http://127.0.0.1:9090/-/ready');

    // Prometheus scrapes itself and remote-writes: the count grows past 0.
    const written = await waitFor(
      'the count to grow once Prometheus writes',
      async () => {
        assertRunning(prometheus);
        const count = countOf(await run('count'));
        return count > 0 ? count : undefined;
      },
      {
        timeoutMs: 90_000,
        intervalMs: 2_000,
        describe: () => `${prometheus.logTail()}\n${connector.logTail()}`,
      },
    );
    expect(written).toBeGreaterThan(0);

    // The README says what success prints: the one record, ingested into the memory store.
    const write = await run('write');
    expect({ code: write.code, stderr: write.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(write.stdout)).toEqual({
      RecordsIngested: { Total: 1, MemoryStore: 1, MagneticStore: 0 },
    });

    // The record exists only in Timestream, and `[15d]` starts before the writer's local data, so
    // Prometheus asks remote read for it.
    const answer = await waitFor(
      'prometheus_temperature[15d] to answer through remote read',
      async () => {
        const result = await run('promql');
        if (result.code !== 0) throw new Error(`the promql step failed: ${result.stderr}`);
        const body = JSON.parse(result.stdout) as PromqlAnswer;
        return body.data.result.length > 0 ? body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1_000, describe: () => prometheus.logTail() },
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
