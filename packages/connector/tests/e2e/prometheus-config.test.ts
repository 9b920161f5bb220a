/**
 * Every prometheus.yml the CLI prints, for each auth mode, passes `promtool check config` of
 * Debian's Prometheus 2.42 and of Prometheus 3 (the release the e2e setup builds): alone (each
 * printed snippet is a complete file: every key it leaves out has a default) and appended to a
 * minimal existing file, as users add it. So does the README's remote_write for the deployed
 * stack's IAM mode (sigv4 with service_name execute-api) on Prometheus 3, which 2.42 cannot
 * parse. A missing promtool fails the test; CI installs 2.42's with the prometheus package.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseStartupText, startCli } from '../helpers/startup.js';
import { requireBinary, requirePrometheus3 } from './helpers/processes.js';

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
 * The README's prometheus.yml for the deployed stack in `AuthMode=iam` (Prometheus ≥ 3.5: older
 * releases' sigv4 has no service_name and always signs for `aps`). Keep it identical to the
 * README's block (README: "Prometheus 3 and the stack's IAM mode").
 */
const README_IAM_REMOTE_WRITE = `remote_write:
  - url: https://abc123defg.execute-api.eu-west-1.amazonaws.com/dev/write # the stack's WriteUrl output
    sigv4:
      region: eu-west-1 # the stack's region
      service_name: execute-api # API Gateway, not Amazon Managed Prometheus (the default, aps)
      # No access_key/secret_key: the AWS SDK's default chain finds them (AWS_ACCESS_KEY_ID and
      # AWS_SECRET_ACCESS_KEY, a profile in ~/.aws, web identity, ECS/EKS or EC2 instance role).
      # role_arn: arn:aws:iam::123456789012:role/prometheus-remote-write # optionally assumed with STS
    queue_config:
      retry_on_http_429: true # API Gateway's throttling answers 429: retry, do not drop
`;

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

describe("the README's remote_write for the deployed stack's IAM mode (sigv4, service_name execute-api)", () => {
  it('passes promtool check config of Prometheus 3, alone and appended', async () => {
    const promtool = requirePrometheus3('promtool');
    const alone = await check('readme-iam', README_IAM_REMOTE_WRITE, promtool);
    const appended = await check('readme-iam-appended', `${EXISTING}${README_IAM_REMOTE_WRITE}`, promtool);
    expect([alone, appended]).toEqual([
      { code: 0, output: expect.stringContaining('SUCCESS') },
      { code: 0, output: expect.stringContaining('SUCCESS') },
    ]);
  });

  it('is refused by Prometheus 2.42, whose sigv4 has no service_name (it signs for aps only)', async () => {
    const result = await check('readme-iam-2.42', README_IAM_REMOTE_WRITE, requireBinary('promtool'));
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('field service_name not found');
  });
});
