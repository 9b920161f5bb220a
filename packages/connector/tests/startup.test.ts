/**
 * The CLI's own options and the text it prints at start (cli-options.ts, startup-text.ts), as
 * pure functions; cli.test.ts runs the command itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_EMULATOR_PORT, splitArguments } from '../src/cli-options.js';
import { InvalidConfigError } from '../src/errors.js';
import {
  awsCliText,
  listenFailure,
  reachableUrl,
  readerSnippet,
  type SnippetAuth,
  TOKEN_FILE_PLACEHOLDER,
  writerSnippet,
} from '../src/startup-text.js';

const URL_BASE = 'http://127.0.0.1:9201';

describe('splitArguments (the CLI’s own options)', () => {
  it('puts the emulator on 127.0.0.1:9202 unless --emulator-port says otherwise', () => {
    expect(DEFAULT_EMULATOR_PORT).toBe(9202);
    expect(splitArguments(['--emulator']).emulatorPort).toBe(9202);
  });

  it.each([
    { argv: ['--emulator', '--emulator-port=0'], port: 0, dataDir: undefined },
    { argv: ['--emulator', '--emulator-port', '9300'], port: 9300, dataDir: undefined },
    { argv: ['--emulator-data-dir', '/d', '--emulator'], port: 9202, dataDir: '/d' },
    { argv: ['--emulator', '--emulator-data-dir=/data dir'], port: 9202, dataDir: '/data dir' },
  ])('reads $argv', ({ argv, port, dataDir }) => {
    const cli = splitArguments(argv);
    expect([cli.emulator, cli.emulatorPort, cli.emulatorDataDir, cli.flags]).toEqual([
      true,
      port,
      dataDir,
      [],
    ]);
  });

  it('passes every other argument on to the connector, split the connector’s way, in order', () => {
    expect(
      splitArguments(['--log.level', 'warn', '--emulator', '--region=eu-west-2', '--fail-on-long-label'])
        .flags,
    ).toEqual([
      { flag: 'log.level', text: 'warn' },
      { flag: 'region', text: 'eu-west-2' },
      { flag: 'fail-on-long-label', text: 'true' },
    ]);
  });

  it.each([
    ['--help', '--emulator-port'],
    ['--emulator-port', '--help'],
    ['--region', '-h'],
    ['--no-such-option', '--help'],
    ['stray', '--help=true'],
    ['--emulator-data-dir=/d', '--help'],
  ])('%s %s asks for help, whatever else is wrong', (...argv) => {
    expect(splitArguments(argv).help).toBe(true);
  });

  it.each([
    { argv: ['--emulator=false'], emulator: false },
    { argv: ['--emulator', 'true'], emulator: true },
    { argv: ['--emulator=1', '--log.level=warn'], emulator: true },
  ])('reads --emulator as the connector’s booleans: $argv', ({ argv, emulator }) => {
    expect(splitArguments(argv).emulator).toBe(emulator);
  });

  it.each([
    {
      argv: ['--emulator-data-dir=/tmp/d'],
      option: '--emulator-data-dir',
      message: /only applies with --emulator/,
    },
    { argv: ['--emulator-port=9300'], option: '--emulator-port', message: /runs against real AWS/ },
    {
      argv: ['--emulator', '--emulator-port=65536'],
      option: '--emulator-port',
      message: /: expected an integer from 0 to 65535 \(0 picks a free port\), got "65536"$/,
    },
    { argv: ['--emulator=yes'], option: '--emulator', message: /expected true or false, got "yes"/ },
    { argv: ['--emulator', '--emulator-prot=1'], option: '--emulator-prot', message: /unknown option/ },
    { argv: ['--emulator', 'stray'], option: '--emulator', message: /expected true or false, got "stray"/ },
    { argv: ['--emulator', '--region'], option: '--region', message: /needs a value/ },
    { argv: ['--emulator', '--emulator-port=-1'], option: '--emulator-port', message: /got "-1"/ },
    { argv: ['--emulator', '--emulator-port=http'], option: '--emulator-port', message: /got "http"/ },
    { argv: ['--emulator', '--emulator-port'], option: '--emulator-port', message: /needs a value/ },
    {
      argv: ['--emulator', '--emulator-data-dir', '--log.level=warn'],
      option: '--emulator-data-dir',
      message: /needs a value/,
    },
    { argv: ['--emulator', '--emulator-data-dir='], option: '--emulator-data-dir', message: /needs a value/ },
  ])('refuses $argv naming $option', ({ argv, option, message }) => {
    let error: unknown;
    try {
      splitArguments(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).option).toBe(option);
    expect((error as Error).message).toMatch(message);
  });
});

describe('the printed prometheus.yml', () => {
  const AUTHS: { title: string; auth: SnippetAuth; lines: RegExp; absent: RegExp }[] = [
    {
      title: 'passthrough',
      auth: { mode: 'passthrough', username: 'AKIDLOCALEXAMPLE', password: 'local-secret', local: true },
      lines: /\n {4}basic_auth:\n {6}username: AKIDLOCALEXAMPLE\b.*\n {6}password: local-secret\b/,
      absent: /authorization:/,
    },
    {
      title: 'iam with a token file',
      auth: { mode: 'iam', tokenRequired: true, tokenFile: '/run/token' },
      lines: /\n {4}authorization:\n {6}type: Bearer\n {6}credentials_file: \/run\/token\b/,
      absent: /basic_auth/,
    },
    {
      title: 'iam with a token from elsewhere',
      auth: { mode: 'iam', tokenRequired: true, tokenFile: undefined },
      lines: new RegExp(
        `\\n {6}credentials_file: ${TOKEN_FILE_PLACEHOLDER} # put the connector’s bearer token`,
      ),
      absent: /basic_auth/,
    },
    {
      title: 'iam without a token',
      auth: { mode: 'iam', tokenRequired: false, tokenFile: undefined },
      lines: /\n {2}- url: http:\/\/127\.0\.0\.1:9201\/read\n/,
      absent: /basic_auth|authorization|credentials/,
    },
  ];

  it.each(AUTHS)(
    '$title: the writer’s has remote_write and remote_read, no read_recent',
    ({ auth, lines, absent }) => {
      const text = writerSnippet({ url: URL_BASE, auth });
      expect(text).toMatch(/^# prometheus\.yml of the Prometheus that writes/);
      expect(text).toContain(`remote_write:\n  - url: ${URL_BASE}/write\n`);
      expect(text).toContain(`remote_read:\n  - url: ${URL_BASE}/read\n`);
      expect(text).not.toContain('read_recent');
      expect(text).toMatch(lines);
      expect(text).not.toMatch(absent);
    },
  );

  it('is what the README shows for npm start, to the character', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const shown = /<!-- printed: npm start writer -->\n```yaml\n([\s\S]*?)```\n/.exec(readme)?.[1];
    expect(shown).toBe(
      writerSnippet({
        url: URL_BASE,
        auth: { mode: 'passthrough', username: 'AKIDLOCALEXAMPLE', password: 'local-secret', local: true },
      }),
    );
  });

  it('retries 429s, naming what answers them: API Gateway’s throttling, not Timestream’s (503)', () => {
    const text = writerSnippet({
      url: URL_BASE,
      auth: { mode: 'iam', tokenRequired: false, tokenFile: undefined },
    });
    expect(text).toContain(
      '    queue_config:\n      retry_on_http_429: true # API Gateway’s throttling answers 429: retry, do not drop\n',
    );
    expect(text).not.toMatch(/Timestream throttling/);
  });

  it.each(AUTHS)('$title: the reader’s has remote_read with read_recent: true only', ({ auth, absent }) => {
    const text = readerSnippet({ url: URL_BASE, auth });
    expect(text).toMatch(/^# prometheus\.yml of a Prometheus that only reads/);
    expect(text).toContain(`remote_read:\n  - url: ${URL_BASE}/read\n    read_recent: true\n`);
    expect(text).not.toMatch(/^remote_write:/m);
    expect(text).not.toMatch(absent);
  });

  it.each([
    { url: 'http://0.0.0.0:9201', expected: 'http://127.0.0.1:9201', everyInterface: true },
    { url: 'http://[::]:9201', expected: 'http://127.0.0.1:9201', everyInterface: true },
    { url: 'https://127.0.0.1:9201', expected: 'https://127.0.0.1:9201', everyInterface: false },
    { url: 'http://[::1]:9201', expected: 'http://[::1]:9201', everyInterface: false },
  ])('points Prometheus at $expected for a server on $url', ({ url, expected, everyInterface }) => {
    expect(reachableUrl(url)).toEqual({ url: expected, everyInterface });
  });
});

describe('the AWS CLI text', () => {
  it('against the emulator: the exports, then the query with --endpoint-url', () => {
    expect(
      awsCliText({
        database: 'PrometheusDatabase',
        table: 'PrometheusMetricsTable',
        region: 'us-east-1',
        emulator: {
          endpoint: 'http://127.0.0.1:9202',
          accessKeyId: 'AKIDLOCALEXAMPLE',
          secretAccessKey: 'local-secret',
        },
      }).split('\n'),
    ).toEqual([
      '# The Timestream emulator listens on http://127.0.0.1:9202 (database PrometheusDatabase, table PrometheusMetricsTable).',
      '# Check that samples arrive with the AWS CLI (0 before Prometheus writes):',
      'export AWS_ACCESS_KEY_ID=AKIDLOCALEXAMPLE AWS_SECRET_ACCESS_KEY=local-secret AWS_DEFAULT_REGION=us-east-1',
      'aws timestream-query query --endpoint-url http://127.0.0.1:9202 --query-string "SELECT count() FROM PrometheusDatabase.PrometheusMetricsTable"',
      '',
    ]);
  });

  it('quotes names that are not plain words, inside single quotes for the shell', () => {
    expect(
      awsCliText({ database: 'prom-db', table: 'm.x', region: 'eu-west-2', emulator: undefined }),
    ).toContain(
      `aws timestream-query query --region eu-west-2 --query-string 'SELECT count() FROM "prom-db"."m.x"'\n`,
    );
  });

  it('quotes as the read path does, doubling a double quote', () => {
    expect(
      awsCliText({ database: 'a"b', table: 'plain_1', region: 'eu-west-2', emulator: undefined }),
    ).toContain(`--query-string 'SELECT count() FROM "a""b".plain_1'\n`);
  });
});

describe('listenFailure', () => {
  const errno = (code: string, syscall: string): NodeJS.ErrnoException =>
    Object.assign(new Error(`${syscall} ${code} 127.0.0.1:80`), { code, syscall });

  it.each([
    { code: 'EADDRINUSE', reason: 'address already in use' },
    { code: 'EACCES', reason: 'permission denied (ports below 1024 need privileges)' },
    { code: 'EADDRNOTAVAIL', reason: 'address not available on this machine' },
  ])('says $code as "$reason", naming the address and the option', ({ code, reason }) => {
    expect(listenFailure(errno(code, 'listen'), '127.0.0.1:80', '--web.listen-address')).toBe(
      `cannot listen on 127.0.0.1:80: ${reason} (${code}); choose another --web.listen-address`,
    );
  });

  it('names a host name that does not resolve', () => {
    expect(listenFailure(errno('ENOTFOUND', 'getaddrinfo'), 'nohost:9201', '--web.listen-address')).toMatch(
      /^cannot listen on nohost:9201: host name not found \(ENOTFOUND\)/,
    );
  });

  it.each([
    ['an error without a code', new Error('boom')],
    ['a read error', errno('ENOENT', 'open')],
    ['not an error', undefined],
  ])('leaves %s to the caller', (_, error) => {
    expect(listenFailure(error, '127.0.0.1:80', '--web.listen-address')).toBeUndefined();
  });
});
