/**
 * Every prometheus.yml the CLI prints, for each auth mode, passes `promtool check config` of
 * Debian's Prometheus 2.42: alone (each printed snippet is a complete file: every key it leaves
 * out has a default) and appended to a minimal existing file, as users add it. promtool missing
 * fails the test; CI installs it with the prometheus package.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseStartupText, startCli } from '../helpers/startup.js';
import { requireBinary } from './helpers/processes.js';

const run = promisify(execFile);

/** A prometheus.yml as a user already has it, before adding the printed keys. */
const EXISTING = `global:
  scrape_interval: 15s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['localhost:9090']
`;

const promtool = requireBinary('promtool');
let dir: string;
let tokenFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'promtool-check-'));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'e2e-token\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `promtool check config` of `yaml`; resolves with its exit code and output. */
const check = async (name: string, yaml: string): Promise<{ code: number; output: string }> => {
  const file = join(dir, `${name}.yml`);
  writeFileSync(file, yaml);
  try {
    const { stdout, stderr } = await run(promtool, ['check', 'config', file]);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, output: stdout + stderr };
  }
};

const MODES = [
  { title: 'passthrough (basic_auth, the emulator’s pair)', args: () => ['--emulator', '--emulator-port=0'] },
  {
    title: 'passthrough against AWS (basic_auth placeholders)',
    args: () => ['--default-database=prom', '--default-table=metrics'],
  },
  {
    title: 'iam with a token (Bearer credentials_file)',
    args: () => ['--emulator', '--emulator-port=0', '--auth=iam', `--auth-token-file=${tokenFile}`],
  },
  {
    title: 'iam with the token in AUTH_TOKEN (placeholder file)',
    args: () => ['--default-database=prom', '--default-table=metrics', '--auth=iam'],
    env: { AUTH_TOKEN: 'e2e-token' },
  },
  { title: 'iam without a token (no auth)', args: () => ['--emulator', '--emulator-port=0', '--auth=iam'] },
];

describe('promtool check config accepts every printed prometheus.yml', () => {
  it.each(MODES)(
    '$title',
    async ({ title, args, env }) => {
      // Prepare
      const { child, stdout } = await startCli(
        [...args(), '--web.listen-address=127.0.0.1:0', '--log.level=error'],
        { ...process.env, ...env },
      );
      child.kill('SIGKILL');
      const { writer, reader } = parseStartupText(stdout);
      const name = title.replace(/\W+/g, '-');

      // Act
      const results = {
        writer: await check(`${name}-writer`, writer),
        reader: await check(`${name}-reader`, reader),
        writerAppended: await check(`${name}-writer-appended`, `${EXISTING}${writer}`),
        readerAppended: await check(`${name}-reader-appended`, `${EXISTING}${reader}`),
      };

      // Assess
      for (const [which, result] of Object.entries(results)) {
        expect({ which, ...result }).toEqual({ which, code: 0, output: expect.stringContaining('SUCCESS') });
      }
    },
    30_000,
  );

  it('rejects a broken file (the check is real)', async () => {
    const result = await check('broken', 'remote_write:\n  - url: not a url\n    basic_auth: 3\n');
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('FAILED');
  });
});
