/**
 * The `timestream-prometheus-connector` command as users run it (`npm start` runs it with
 * `--emulator`). It runs the compiled CLI, which `npm test` builds first.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { decodeReadResponse, encodeReadRequest } from '@prometheus-timestream/codec';
import { CONFIG_OPTIONS } from '../src/config.js';
import { EMULATOR_PACKAGE, EmulatorNotInstalledError, loadTimestreamLocal } from '../src/emulator.js';
import { nodeSeries, writeBody } from '../support/harness.js';
import { BIN, parseStartupText, runCli, startCli } from './helpers/startup.js';

const run = promisify(execFile);

/** A TCP port on 127.0.0.1 that was free a moment ago. */
const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

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

describe('timestream-prometheus-connector CLI', () => {
  it('--help lists every option with its default', async () => {
    const { stdout } = await run(process.execPath, [BIN, '--help']);
    for (const spec of Object.values(CONFIG_OPTIONS)) expect(stdout).toContain(`--${spec.flag}`);
    expect(stdout).toContain('--emulator');
    expect(stdout).toMatch(/--web\.listen-address\s+address to listen on \(default :9201\)/);
    expect(stdout).toContain('npm start -- [options]');
    expect(stdout).toMatch(/--emulator-port N .*\n.*\(default 9202; 0 picks a free port\)/);
  });

  it.each([
    ['--help', '--emulator-port'],
    ['--emulator', '--emulator-port', '-h'],
  ])('%s %s prints the help and exits 0, though the rest would be refused', async (...argv) => {
    const result = await runCli(argv);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toMatch(/^Usage: timestream-prometheus-connector \[options\]/);
  });

  it.each([
    {
      argv: [],
      message:
        'invalid configuration: --default-database, --default-table: are required (the Timestream destination)',
    },
    { argv: ['--default-table=t'], message: 'invalid configuration: --default-database: is required' },
    {
      argv: ['--default-database=db', '--default-table=t', '--fail-on-invalid-sample=true'],
      message: '--fail-on-invalid-sample: unknown option',
    },
    {
      argv: ['--default-database=prom', '--default-table=metrics', '--emulator-data-dir=/tmp/data'],
      message: 'invalid configuration: --emulator-data-dir: only applies with --emulator',
    },
    {
      argv: ['--default-database=prom', '--default-table=metrics', '--emulator-port', '9300'],
      message: 'invalid configuration: --emulator-port: only applies with --emulator',
    },
    {
      argv: ['--emulator', '--emulator-port=70000'],
      message:
        'invalid configuration: --emulator-port: expected an integer from 0 to 65535 (0 picks a free port), got "70000"',
    },
    {
      argv: ['--emulator', '--allow-unauthenticated'],
      message:
        'invalid configuration: --allow-unauthenticated: only applies with auth=iam without a bearer token',
    },
    {
      argv: ['--default-database=prom', '--default-table=metrics', '--region=mars-1'],
      message: '--region: "mars-1" is not an AWS region',
    },
    {
      argv: ['--default-database=prom', '--default-table=metrics', '--web.request-timeout=30'],
      message: '--web.request-timeout: "30" has no unit; add a unit: 30s',
    },
  ])('exits 1 with a message naming the option for $argv', async ({ argv, message }) => {
    const result = await runCli(argv);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Run with --help');
    expect(result.stdout).toBe('');
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
    const { child, stdout, stderr } = await startCli([
      '--emulator',
      '--emulator-port=0',
      '--web.listen-address=127.0.0.1:0',
      '--log.level=warn',
    ]);
    try {
      const { writer, reader, awsCli } = parseStartupText(stdout);
      const url = /url: (http:\/\/127\.0\.0\.1:\d+)\/write/.exec(writer)?.[1];
      const username = /username: (\S+)/.exec(writer)?.[1];
      const password = /password: (\S+)/.exec(writer)?.[1];
      expect(writer).toMatch(/^# prometheus\.yml of the Prometheus that writes/);
      expect(writer).toContain(`url: ${url}/read`);
      expect(reader).toContain(`url: ${url}/read`);
      expect(awsCli).toMatch(/--endpoint-url http:\/\/127\.0\.0\.1:\d+ /);
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
      // The SDK clients wrote and read: on the Node Lambda runs (24) the SDK prints no warning
      // that it will soon need a newer Node (it does on 20).
      expect(process.version).toMatch(/^v24\./);
      expect(stderr()).not.toMatch(/NodeVersionSupportWarning|will require node/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);

  it('--emulator-port N puts the emulator there, and the AWS CLI text points at it with the local key pair', async () => {
    // Prepare: a port that was free a moment ago (never a fixed one another test could hold).
    const port = await freePort();

    // Act
    const { child, stdout } = await startCli([
      '--emulator',
      `--emulator-port=${port}`,
      '--web.listen-address=127.0.0.1:0',
      '--log.level=warn',
    ]);
    try {
      const { awsCli } = parseStartupText(stdout);
      // The printed exports and endpoint, as the AWS CLI would use them (through the same SDK).
      const exports: Record<string, string> = Object.fromEntries(
        [...(/^export (.*)$/m.exec(awsCli)?.[1] ?? '').matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]),
      );
      const endpoint = /--endpoint-url (\S+)/.exec(awsCli)?.[1] ?? '';
      const printedQuery = /--query-string "([^"]+)"/.exec(awsCli)?.[1] ?? '';
      const client = new TimestreamQueryClient({
        endpoint,
        region: exports.AWS_DEFAULT_REGION ?? '',
        credentials: {
          accessKeyId: exports.AWS_ACCESS_KEY_ID ?? '',
          secretAccessKey: exports.AWS_SECRET_ACCESS_KEY ?? '',
        },
      });
      const answer = await client
        .send(new QueryCommand({ QueryString: printedQuery }))
        .finally(() => client.destroy());

      // Assess
      expect(answer.Rows?.[0]?.Data?.[0]?.ScalarValue).toBe('0');
      expect(awsCli).toContain(
        'export AWS_ACCESS_KEY_ID=AKIDLOCALEXAMPLE AWS_SECRET_ACCESS_KEY=local-secret AWS_DEFAULT_REGION=us-east-1\n',
      );
      expect(awsCli).toContain(
        `aws timestream-query query --endpoint-url http://127.0.0.1:${port} --query-string "SELECT count() FROM PrometheusDatabase.PrometheusMetricsTable"\n`,
      );
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);

  it('prints the prometheus.yml of the standalone server too, for its auth mode', async () => {
    // Act: passthrough against real AWS (it calls nothing until a request comes).
    const { child, stdout } = await startCli([
      '--default-database=prom',
      '--default-table=metrics',
      '--region=eu-west-2',
      '--web.listen-address=127.0.0.1:0',
      '--log.level=warn',
    ]);
    child.kill('SIGKILL');
    const { writer, reader, awsCli } = parseStartupText(stdout);

    // Assess
    expect(writer).toMatch(/username: <AWS_ACCESS_KEY_ID> # AWS access key id\n/);
    expect(reader).toMatch(/password: <AWS_SECRET_ACCESS_KEY> #/);
    expect(awsCli).toContain(
      'aws timestream-query query --region eu-west-2 --query-string "SELECT count() FROM prom.metrics"\n',
    );
    expect(awsCli).not.toContain('--endpoint-url');
  }, 30_000);
});

describe('auth mode iam in the printed prometheus.yml and at start', () => {
  it('with a token: a Bearer credentials_file naming the token file, never basic_auth or the token', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'cli-token-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'tok-3f9a\n');

    // Act
    const { child, stdout } = await startCli([
      '--emulator',
      '--emulator-port=0',
      '--web.listen-address=127.0.0.1:0',
      '--log.level=warn',
      '--auth=iam',
      `--auth-token-file=${tokenFile}`,
    ]);
    try {
      const { writer, reader } = parseStartupText(stdout);
      const url = /url: (\S+)\/write/.exec(writer)?.[1];
      const write = (authorization: string) =>
        fetch(`${url}/write`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/x-protobuf',
            'Content-Encoding': 'snappy',
            Authorization: authorization,
          },
          body: writeBody(nodeSeries(3, Date.now(), 'iam')),
        });

      // Assess: the snippet's auth is what this server takes.
      for (const snippet of [writer, reader]) {
        expect(snippet).toMatch(
          new RegExp(`authorization:\\n {6}type: Bearer\\n {6}credentials_file: ${tokenFile}(?: |\\n)`),
        );
        expect(snippet).not.toContain('basic_auth');
      }
      expect(stdout).not.toContain('tok-3f9a');
      expect((await write('Bearer tok-3f9a')).status).toBe(204);
      expect(
        (await write(`Basic ${Buffer.from('AKIDLOCALEXAMPLE:local-secret').toString('base64')}`)).status,
      ).toBe(401);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);

  it('without a token on loopback: starts with a warning line, and the snippet carries no auth', async () => {
    // Act
    const { child, stdout, stderr } = await startCli([
      '--emulator',
      '--emulator-port=0',
      '--web.listen-address=127.0.0.1:0',
      '--log.level=warn',
      '--auth=iam',
    ]);
    child.kill('SIGKILL');
    const { writer, reader } = parseStartupText(stdout);

    // Assess
    for (const snippet of [writer, reader]) {
      expect(snippet).not.toMatch(/basic_auth|authorization/);
    }
    const warnings = stderr()
      .split('\n')
      .filter((line) => line.includes('"level":"warn"'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('iam mode without a bearer token');
  }, 30_000);

  it.each([':0', '0.0.0.0:0', '[::]:0'])(
    'without a token on %s: refuses to start, naming --allow-unauthenticated',
    async (address) => {
      // Act
      const result = await runCli([
        '--default-database=prom',
        '--default-table=metrics',
        '--auth=iam',
        `--web.listen-address=${address}`,
      ]);

      // Assess
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^timestream-prometheus-connector: invalid configuration: --auth: iam mode without a bearer token .*--allow-unauthenticated/,
      );
      expect(result.stdout).toBe('');
    },
  );

  it('without a token on every interface with --allow-unauthenticated: starts, with the warning', async () => {
    // Act
    const { child, stdout, stderr } = await startCli([
      '--default-database=prom',
      '--default-table=metrics',
      '--auth=iam',
      '--allow-unauthenticated',
      '--web.listen-address=:0',
      '--log.level=warn',
    ]);
    child.kill('SIGKILL');

    // Assess
    expect(parseStartupText(stdout).writer).toMatch(/url: http:\/\/127\.0\.0\.1:\d+\/write/);
    expect(stdout).toMatch(/^# Listening on every interface/);
    expect(stderr()).toContain('iam mode without a bearer token');
  }, 30_000);
});

describe('a failed start ends the process with one line', () => {
  let occupied: Server;
  let busyPort: number;

  beforeAll(async () => {
    occupied = createServer();
    await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
    busyPort = (occupied.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => occupied.close(() => resolve())));

  it.each([
    {
      title: 'the connector address busy, with --emulator',
      args: (port: number) => ['--emulator', '--emulator-port=0', `--web.listen-address=127.0.0.1:${port}`],
      line: (port: number) =>
        `timestream-prometheus-connector: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE); choose another --web.listen-address\n`,
    },
    {
      title: 'the connector address busy, standalone',
      args: (port: number) => [
        '--default-database=prom',
        '--default-table=metrics',
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      line: (port: number) =>
        `timestream-prometheus-connector: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE); choose another --web.listen-address\n`,
    },
    {
      title: 'the emulator port busy',
      args: (port: number) => ['--emulator', `--emulator-port=${port}`, '--web.listen-address=127.0.0.1:0'],
      line: (port: number) =>
        `timestream-prometheus-connector: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE); choose another --emulator-port (0 picks a free port)\n`,
    },
    {
      title: 'an address not on this machine',
      args: () => ['--default-database=prom', '--default-table=metrics', '--web.listen-address=192.0.2.1:0'],
      line: () =>
        'timestream-prometheus-connector: cannot listen on 192.0.2.1:0: address not available on this machine (EADDRNOTAVAIL); choose another --web.listen-address\n',
    },
  ])(
    '$title: exits non-zero with one line naming the address',
    async ({ args, line }) => {
      // Act
      const result = await runCli(args(busyPort));

      // Assess: it exited by itself (not killed at the limit), with the line alone on stderr.
      expect(result.signal).toBeNull();
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(line(busyPort));
      expect(result.stdout).toBe('');
    },
    15_000,
  );

  it('a TLS key that cannot be read, with --emulator: exits, the emulator stopped', async () => {
    // Act
    const result = await runCli([
      '--emulator',
      '--emulator-port=0',
      '--web.listen-address=127.0.0.1:0',
      '--tls-certificate=/nonexistent/cert.pem',
      '--tls-key=/nonexistent/key.pem',
    ]);

    // Assess
    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^timestream-prometheus-connector: invalid configuration: --tls-certificate: cannot read/,
    );
  }, 15_000);
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
