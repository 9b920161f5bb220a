/**
 * The `timestream-prometheus-connector` command as users run it (`npm start` runs it with
 * `--emulator`). It runs the compiled CLI, which `npm test` builds first.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeReadResponse, encodeReadRequest } from '@prometheus-timestream/codec';
import { CONFIG_OPTIONS } from '../src/config.js';
import { EMULATOR_PACKAGE, EmulatorNotInstalledError, loadTimestreamLocal } from '../src/emulator.js';
import { nodeSeries, writeBody } from './helpers/harness.js';

const BIN = join(__dirname, '../bin/timestream-prometheus-connector.js');
const run = promisify(execFile);

/**
 * A `node --import` argument whose resolve hook looks the emulator package up from a directory
 * without node_modules, so the CLI meets Node's own "Cannot find package" as where the emulator
 * (an optional peer dependency) is not installed.
 */
const WITHOUT_EMULATOR = (() => {
  const hook = `export async function resolve(specifier, context, next) {
    return next(specifier, specifier === ${JSON.stringify(EMULATOR_PACKAGE)} ? { ...context, parentURL: 'file:///nonexistent/cli.js' } : context);
  }`;
  const register = `import { register } from 'node:module';
    register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  return `--import=data:text/javascript,${encodeURIComponent(register)}`;
})();

/** Node's error for a package that is not installed. */
const moduleNotFound = (name: string): Error =>
  Object.assign(
    new Error(`Cannot find package '${name}' imported from /app/node_modules/x/lib/emulator.js`),
    {
      code: 'ERR_MODULE_NOT_FOUND',
    },
  );

/** Resolves once `predicate` holds for what the process printed so far on stdout. */
const waitForOutput = (
  child: ChildProcessWithoutNullStreams,
  predicate: (stdout: string) => boolean,
): Promise<string> =>
  new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (predicate(stdout)) resolve(stdout);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) =>
      reject(new Error(`exited with ${code} before printing what was expected:\n${stdout}\n${stderr}`)),
    );
  });

describe('timestream-prometheus-connector CLI', () => {
  it('--help lists every option with its default', async () => {
    const { stdout } = await run(process.execPath, [BIN, '--help']);
    for (const spec of Object.values(CONFIG_OPTIONS)) expect(stdout).toContain(`--${spec.flag}`);
    expect(stdout).toContain('--emulator');
    expect(stdout).toMatch(/--web\.listen-address\s+address to listen on \(default :9201\)/);
  });

  it.each([
    { argv: ['--default-table=t'], message: 'invalid configuration: --default-database: is required' },
    {
      argv: ['--default-database=db', '--default-table=t', '--fail-on-invalid-sample=true'],
      message: '--fail-on-invalid-sample: unknown option',
    },
  ])('exits 1 with a message naming the option for $argv', async ({ argv, message }) => {
    const error = await run(process.execPath, [BIN, ...argv]).then(
      () => {
        throw new Error('expected the command to fail');
      },
      (e: { code: number; stderr: string }) => e,
    );
    expect(error.code).toBe(1);
    expect(error.stderr).toContain(message);
    expect(error.stderr).toContain('Run with --help');
  });

  it('--emulator without the emulator installed exits 1 saying to npm install it', async () => {
    // Act
    const error = await run(process.execPath, [WITHOUT_EMULATOR, BIN, '--emulator']).then(
      () => {
        throw new Error('expected the command to fail');
      },
      (e: { code: number; stderr: string }) => e,
    );

    // Assess
    expect(error.code).toBe(1);
    expect(error.stderr).toBe(
      `timestream-prometheus-connector: --emulator needs the Timestream emulator, which is not installed (it is an optional peer dependency, as it brings DuckDB); install it with: npm install ${EMULATOR_PACKAGE}\n`,
    );
  });

  it('--emulator starts with the database and table created, prints a working prometheus.yml snippet, stops on SIGTERM', async () => {
    // Prepare
    const child = spawn(process.execPath, [
      BIN,
      '--emulator',
      '--web.listen-address=127.0.0.1:0',
      '--log.level=warn',
    ]);
    try {
      const snippet = await waitForOutput(child, (out) => /remote_read:[\s\S]*password: \S+\n/.test(out));
      const url = /url: (http:\/\/127\.0\.0\.1:\d+)\/write/.exec(snippet)?.[1];
      const username = /username: (\S+)/.exec(snippet)?.[1];
      const password = /password: (\S+)/.exec(snippet)?.[1];
      expect(snippet).toMatch(/^# Add to prometheus\.yml/);
      expect(snippet).toContain(`url: ${url}/read`);
      const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      const now = Date.now();

      // Act: write as Prometheus would with that snippet.
      const response = await fetch(`${url}/write`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-protobuf',
          'Content-Encoding': 'snappy',
          Authorization: authorization,
        },
        body: writeBody(nodeSeries(150, now, 'cli')),
      });
      // ...and read it back as Prometheus would.
      const read = await fetch(`${url}/read`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-protobuf',
          'Content-Encoding': 'snappy',
          Authorization: authorization,
        },
        body: encodeReadRequest({
          queries: [
            {
              startTimestampMs: now - 60_000,
              endTimestampMs: now,
              matchers: [{ type: 'EQ', name: 'job', value: 'cli' }],
            },
          ],
        }),
      });
      const [result] = decodeReadResponse(new Uint8Array(await read.arrayBuffer()));
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');

      // Assess
      expect(response.status).toBe(204);
      expect([read.status, read.headers.get('content-encoding')]).toEqual([200, 'snappy']);
      expect(result?.series).toHaveLength(150);
      expect(metrics).toMatch(/^timestream_connector_written_samples_total 150$/m);
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});

describe('loadTimestreamLocal (the emulator is an optional peer dependency)', () => {
  it('loads the emulator when it is installed', async () => {
    const emulator = await loadTimestreamLocal();
    expect(typeof emulator.startTimestreamLocal).toBe('function');
  });

  it('reports the emulator package missing as what to install, keeping the cause', async () => {
    const missing = moduleNotFound(EMULATOR_PACKAGE);
    const error = await loadTimestreamLocal(() => Promise.reject(missing)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmulatorNotInstalledError);
    expect((error as Error).message).toContain(`npm install ${EMULATOR_PACKAGE}`);
    expect((error as Error).cause).toBe(missing);
  });

  it.each([
    ['a missing dependency of the emulator', moduleNotFound('@duckdb/node-api')],
    ['any other failure', new Error('boom')],
  ])('rethrows %s as is', async (_, failure) => {
    await expect(loadTimestreamLocal(() => Promise.reject(failure))).rejects.toBe(failure);
  });
});
