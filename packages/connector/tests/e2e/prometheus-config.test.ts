/**
 * Every prometheus.yml the CLI prints, for each auth mode, passes `promtool check config` of
 * Debian's Prometheus 2.42 and of Prometheus 3 (the release the e2e setup builds): alone (each
 * printed snippet is a complete file: every key it leaves out has a default) and appended to a
 * minimal existing file, as users add it. So does every prometheus.yml block of the README on
 * Prometheus 3, and on 2.42 unless it needs a newer key (the stack's IAM mode signs with sigv4's
 * service_name, which 2.42 cannot parse). A missing promtool fails the test; CI installs 2.42's
 * with the prometheus package.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireBinary, requirePrometheus3 } from '../../support/processes.js';
import { parseStartupText, startCli } from '../helpers/startup.js';

const run = promisify(execFile);

/** A prometheus.yml as a user already has it, before adding the printed keys. */
const EXISTING = `global:
  scrape_interval: 15s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['localhost:9090']
`;

/**
 * Every `yaml` block of the README: each is a whole prometheus.yml a user copies. Those using keys
 * newer than 2.42 (sigv4's `service_name`, from 3.5; `protobuf_message`, from 2.54) are checked as
 * refused by 2.42, as the README says.
 */
const README_CONFIGS = [
  ...readFileSync(join(__dirname, '..', '..', '..', '..', 'README.md'), 'utf8').matchAll(
    /```yaml\n([\s\S]*?)```/g,
  ),
].map((match, index) => {
  const yaml = match[1] as string;
  const newerKey = /\b(service_name|protobuf_message):/.exec(yaml)?.[1];
  return { index, firstLine: yaml.split('\n', 1)[0] as string, yaml, newerKey };
});

const PROMTOOLS = [
  { release: 'Prometheus 2.42 (Debian)', path: requireBinary('promtool') },
  { release: 'Prometheus 3', path: requirePrometheus3('promtool') },
];
let dir: string;
let tokenFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'promtool-check-'));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'e2e-token\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `promtool check config` of `yaml`; resolves with its exit code and output. */
const check = async (
  name: string,
  yaml: string,
  promtool: string = PROMTOOLS[0]?.path as string,
): Promise<{ code: number; output: string }> => {
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
      const results: Record<string, { code: number; output: string }> = {};
      for (const { release, path } of PROMTOOLS) {
        results[`${release}: writer`] = await check(`${name}-writer`, writer, path);
        results[`${release}: reader`] = await check(`${name}-reader`, reader, path);
        results[`${release}: writer appended`] = await check(
          `${name}-writer-appended`,
          `${EXISTING}${writer}`,
          path,
        );
        results[`${release}: reader appended`] = await check(
          `${name}-reader-appended`,
          `${EXISTING}${reader}`,
          path,
        );
      }

      // Assess
      for (const [which, result] of Object.entries(results)) {
        expect({ which, ...result }).toEqual({ which, code: 0, output: expect.stringContaining('SUCCESS') });
      }
    },
    30_000,
  );

  it.each(PROMTOOLS)('$release rejects a broken file (the check is real)', async ({ path }) => {
    const result = await check('broken', 'remote_write:\n  - url: not a url\n    basic_auth: 3\n', path);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('FAILED');
  });
});

describe("the README's prometheus.yml blocks", () => {
  it('are there to check (the README shows one per auth mode and setup)', () => {
    expect(README_CONFIGS.length).toBeGreaterThanOrEqual(10);
    expect(README_CONFIGS.some(({ yaml }) => /service_name: execute-api/.test(yaml))).toBe(true);
  });

  it.each(README_CONFIGS)(
    'block $index ($firstLine) passes promtool check config of Prometheus 3',
    async ({ index, yaml }) => {
      expect(await check(`readme-${index}`, yaml, requirePrometheus3('promtool'))).toEqual({
        code: 0,
        output: expect.stringContaining('SUCCESS'),
      });
    },
  );

  it.each(README_CONFIGS)(
    'block $index ($firstLine): Prometheus 2.42 accepts it unless it needs a newer key ($newerKey)',
    async ({ index, yaml, newerKey }) => {
      const result = await check(`readme-${index}-2.42`, yaml, requireBinary('promtool'));
      if (newerKey === undefined)
        expect(result).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') });
      else expect(result.output).toContain(`field ${newerKey} not found`);
    },
  );
});
