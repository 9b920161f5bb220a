import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import {
  decodedBytesInFlightFor,
  readEnvironment,
  readFlags,
  WORST_MEMORY_PER_DECODED_BYTE,
} from '../src/config.js';
import { InvalidConfigError } from '../src/errors.js';

const REQUIRED = ['--default-database=prom', '--default-table=metrics'];
const LAMBDA_REQUIRED = { default_database: 'prom', default_table: 'metrics' };

const failure = (run: () => unknown): InvalidConfigError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    return error as InvalidConfigError;
  }
  throw new Error('expected an InvalidConfigError');
};

/** A fresh file holding a bearer token. */
const tokenFile = (): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'connector-config-')), 'token');
  writeFileSync(file, 's3cr3t-token\n');
  return file;
};

describe('readFlags (standalone)', () => {
  it('applies the Go connector’s defaults', () => {
    // Act
    const config = readFlags(REQUIRED, {});

    // Assess
    expect(config).toEqual({
      defaultDatabase: 'prom',
      defaultTable: 'metrics',
      region: 'us-east-1',
      auth: 'passthrough',
      authToken: undefined,
      authTokenFile: undefined,
      authTokenSecret: undefined,
      iamAuthorizedRoutes: [],
      writeBaseEndpoint: undefined,
      queryBaseEndpoint: undefined,
      maxWriteRetries: 10,
      maxReadRetries: 3,
      writeConcurrency: 20,
      failOnLongLabel: false,
      failOnInvalidSampleValue: false,
      storeStalenessMarkers: false,
      maxReadQueries: 20,
      maxReadSamples: 1_000_000,
      maxReadResponseBytes: 4 * 1024 * 1024,
      dimensionCacheTtlMs: 60_000,
      maxBodyBytes: 10 * 1024 * 1024,
      maxDecodedBytes: 32 * 1024 * 1024,
      maxDecodedBytesInFlight: decodedBytesInFlightFor(getHeapStatistics().heap_size_limit),
      requestTimeoutMs: 30_000,
      credentialCacheSize: 64,
      listenAddress: { host: undefined, port: 9201 },
      allowUnauthenticated: false,
      telemetryPath: '/metrics',
      tlsCertificate: undefined,
      tlsKey: undefined,
      logLevel: 'info',
      logFormat: 'json',
      enableLogging: true,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every Go connector flag, in --name=value and --name value forms', () => {
    // Act
    const config = readFlags(
      [
        ...REQUIRED,
        '--region',
        'eu-west-1',
        '--web.listen-address=127.0.0.1:9301',
        '--web.telemetry-path=/prom-metrics',
        '--log.level=DEBUG',
        '--log.format=logfmt',
        '--enable-logging=false',
        '--fail-on-long-label',
        '--fail-on-invalid-sample-value=T',
        '--max-read-retries=5',
        '--max-write-retries=2',
        '--query-base-endpoint=https://query-cell1.timestream.eu-west-1.amazonaws.com',
        '--write-base-endpoint=http://127.0.0.1:8000',
        '--write-concurrency=4',
        '--web.request-timeout=1500ms',
        '--store-staleness-markers',
        '--max-read-queries=3',
        '--max-read-samples=5000',
        '--max-read-response-bytes=1048576',
        '--read-dimension-cache-ttl=0',
      ],
      { AWS_REGION: 'not a region, and ignored when --region is set' },
    );

    // Assess
    expect(config).toMatchObject({
      region: 'eu-west-1',
      listenAddress: { host: '127.0.0.1', port: 9301 },
      telemetryPath: '/prom-metrics',
      logLevel: 'debug',
      logFormat: 'logfmt',
      enableLogging: false,
      failOnLongLabel: true,
      failOnInvalidSampleValue: true,
      maxReadRetries: 5,
      maxWriteRetries: 2,
      queryBaseEndpoint: 'https://query-cell1.timestream.eu-west-1.amazonaws.com',
      writeBaseEndpoint: 'http://127.0.0.1:8000',
      writeConcurrency: 4,
      requestTimeoutMs: 1500,
      storeStalenessMarkers: true,
      maxReadQueries: 3,
      maxReadSamples: 5000,
      maxReadResponseBytes: 1024 * 1024,
      dimensionCacheTtlMs: 0,
    });
  });

  it('takes the region from AWS_REGION when --region is not given', () => {
    expect(readFlags(REQUIRED, { AWS_REGION: 'ap-southeast-2' }).region).toBe('ap-southeast-2');
  });

  it.each([
    { argv: ['--default-table=metrics'], option: '--default-database', message: /is required/ },
    { argv: ['--default-database=prom'], option: '--default-table', message: /is required/ },
    {
      argv: [...REQUIRED, '--default-table=a b'],
      option: '--default-table',
      message: /not a Timestream name/,
    },
    {
      argv: [...REQUIRED, '--max-write-retries=ten'],
      option: '--max-write-retries',
      message: /integer from 1 to 100, got "ten"/,
    },
    { argv: [...REQUIRED, '--max-read-retries=0'], option: '--max-read-retries', message: /integer from 1/ },
    {
      argv: [...REQUIRED, '--max-read-samples=10'],
      option: '--max-read-samples',
      message: /integer from 1000/,
    },
    {
      argv: [...REQUIRED, '--max-read-response-bytes=6mb'],
      option: '--max-read-response-bytes',
      message: /integer from 65536/,
    },
    {
      argv: [...REQUIRED, '--read-dimension-cache-ttl=2h'],
      option: '--read-dimension-cache-ttl',
      message: /duration from 0 ms to 3600 s/,
    },
    {
      argv: [...REQUIRED, '--fail-on-long-label=yes'],
      option: '--fail-on-long-label',
      message: /true or false, got "yes"/,
    },
    {
      argv: [...REQUIRED, '--log.level=verbose'],
      option: '--log.level',
      message: /debug, info, warn, error/,
    },
    { argv: [...REQUIRED, '--log.format=xml'], option: '--log.format', message: /json, logfmt/ },
    {
      argv: [...REQUIRED, '--web.listen-address=9201'],
      option: '--web.listen-address',
      message: /host:port/,
    },
    {
      argv: [...REQUIRED, '--web.listen-address=:70000'],
      option: '--web.listen-address',
      message: /host:port/,
    },
    {
      argv: [...REQUIRED, '--write-base-endpoint=not a url'],
      option: '--write-base-endpoint',
      message: /not a URL/,
    },
    {
      argv: [...REQUIRED, '--query-base-endpoint=ftp://x'],
      option: '--query-base-endpoint',
      message: /http\(s\)/,
    },
    { argv: [...REQUIRED, '--auth=sigv4'], option: '--auth', message: /passthrough, iam/ },
    {
      argv: [...REQUIRED, '--web.request-timeout=soon'],
      option: '--web.request-timeout',
      message: /duration/,
    },
    { argv: [...REQUIRED, '--tls-certificate=cert.pem'], option: '--tls-key', message: /both/ },
    { argv: [...REQUIRED, '--tls-key=key.pem'], option: '--tls-certificate', message: /both/ },
    {
      argv: [...REQUIRED, '--fail-on-invalid-sample=true'],
      option: '--fail-on-invalid-sample',
      message: /unknown option/,
    },
    { argv: [...REQUIRED, '--region'], option: '--region', message: /needs a value/ },
    { argv: [...REQUIRED, '--region', '--enable-logging'], option: '--region', message: /needs a value/ },
    {
      argv: [...REQUIRED, '--enable-sigv4-auth=true', '--auth=passthrough'],
      option: '--enable-sigv4-auth',
      message: /true means auth=iam, but --auth is passthrough/,
    },
    { argv: [...REQUIRED, 'stray'], option: 'stray', message: /unexpected argument/ },
    {
      argv: [...REQUIRED, '--auth-token-secret=arn:aws:secretsmanager:us-east-1:1:secret:t'],
      option: '--auth-token-secret',
      message: /only applies with auth=iam/,
    },
    {
      argv: [...REQUIRED, '--auth=iam', '--iam-authorized-routes=write,metrics'],
      option: '--iam-authorized-routes',
      message: /expected write and\/or read/,
    },
    {
      argv: [...REQUIRED, '--iam-authorized-routes=write'],
      option: '--iam-authorized-routes',
      message: /only applies with auth=iam/,
    },
    {
      argv: [...REQUIRED, '--web.telemetry-path=metrics'],
      option: '--web.telemetry-path',
      message: /start with \//,
    },
    ...['/write', '/read', '/healthz', '/-/healthy', '/-/ready'].map((path) => ({
      argv: [...REQUIRED, `--web.telemetry-path=${path}`],
      option: '--web.telemetry-path',
      message: new RegExp(`"${path}" is one of the server's own routes`),
    })),
  ])('refuses $argv with an error naming $option', ({ argv, option, message }) => {
    const error = failure(() => readFlags(argv, {}));
    expect(error.option).toBe(option);
    expect(error.message).toContain(option);
    expect(error.message).toMatch(message);
  });

  describe('iam mode bearer token', () => {
    it('reads the token from --auth-token-file, trimmed', () => {
      const dir = mkdtempSync(join(tmpdir(), 'connector-config-'));
      writeFileSync(join(dir, 'token'), 's3cr3t-token\n');
      expect(
        readFlags([...REQUIRED, '--auth=iam', `--auth-token-file=${join(dir, 'token')}`], {}).authToken,
      ).toBe('s3cr3t-token');
    });

    it.each([
      { text: 'write', routes: ['write'] },
      { text: 'write, READ', routes: ['write', 'read'] },
      { text: 'read,read', routes: ['read'] },
      { text: '', routes: [] },
    ])(
      'reads the IAM-authorized routes "$text" as $routes (flag and Lambda variable)',
      ({ text, routes }) => {
        expect(
          readFlags([...REQUIRED, '--auth=iam', `--iam-authorized-routes=${text}`], { AUTH_TOKEN: 't' })
            .iamAuthorizedRoutes,
        ).toEqual(routes);
        expect(
          readEnvironment({
            default_database: 'prom',
            default_table: 'metrics',
            auth: 'iam',
            iam_authorized_routes: text,
          }).iamAuthorizedRoutes,
        ).toEqual(routes);
      },
    );

    it('reads the token from AUTH_TOKEN', () => {
      expect(readFlags([...REQUIRED, '--auth=iam'], { AUTH_TOKEN: 'from-env' }).authToken).toBe('from-env');
    });

    it('refuses a missing token file without echoing a token', () => {
      const error = failure(() =>
        readFlags([...REQUIRED, '--auth=iam', '--auth-token-file=/nonexistent/token'], {}),
      );
      expect(error.message).toMatch(/--auth-token-file: cannot read "\/nonexistent\/token"/);
    });

    it('refuses a token in passthrough mode, where it would be ignored, naming where it came from', () => {
      const error = failure(() => readFlags(REQUIRED, { AUTH_TOKEN: 'x' }));
      expect(error.option).toBe('AUTH_TOKEN');
      expect(error.message).toMatch(/only applies with auth=iam/);
    });
  });
});

describe('--max-decoded-bytes-in-flight', () => {
  const GIB = 2 ** 30;

  it.each([
    // A sixth of the heap limit, over the memory one worst-case decoded byte takes (16 bytes).
    { heap: 4 * GIB, expected: 44_739_242 },
    { heap: 2 * GIB, expected: 22_369_621 },
    { heap: 6 * GIB, expected: 64 * 2 ** 20 },
  ])(
    'auto is a sixth of a $heap-byte heap limit over the worst-case memory per byte',
    ({ heap, expected }) => {
      expect(decodedBytesInFlightFor(heap)).toBe(expected);
    },
  );

  it.each([
    { title: 'not given', argv: [] },
    { title: 'auto', argv: ['--max-decoded-bytes-in-flight=auto'] },
    { title: 'AUTO, spaced', argv: ['--max-decoded-bytes-in-flight= AUTO '] },
  ])('sizes the budget to this process’s heap when $title', ({ argv }) => {
    // Act
    const config = readFlags([...REQUIRED, ...argv], {});

    // Assess
    expect(config.maxDecodedBytesInFlight).toBe(
      Math.floor(getHeapStatistics().heap_size_limit / 6 / WORST_MEMORY_PER_DECODED_BYTE),
    );
  });

  it.each([
    { raw: '1024', bytes: 1024 },
    { raw: '1048576', bytes: 1024 * 1024 },
    // Below --max-decoded-bytes is fine: a request alone is always served.
    { raw: '2000000', bytes: 2_000_000 },
  ])('takes $raw as $bytes bytes', ({ raw, bytes }) => {
    expect(readFlags([...REQUIRED, `--max-decoded-bytes-in-flight=${raw}`], {}).maxDecodedBytesInFlight).toBe(
      bytes,
    );
  });

  it.each(['0', '1023', '-5', '12k', '1.5', '', 'off', String(64 * GIB + 1)])(
    'refuses "%s", naming the flag, the range and auto',
    (raw) => {
      // Act
      const error = failure(() => readFlags([...REQUIRED, `--max-decoded-bytes-in-flight=${raw}`], {}));

      // Assess
      expect(error.option).toBe('--max-decoded-bytes-in-flight');
      expect(error.message).toBe(
        `invalid configuration: --max-decoded-bytes-in-flight: expected an integer from 1024 to ${64 * GIB} (or auto, sized to the heap), got "${raw}"`,
      );
    },
  );

  it('is no Lambda setting: a container serves one request at a time', () => {
    // Act
    const config = readEnvironment({ ...LAMBDA_REQUIRED, max_decoded_bytes_in_flight: '1024' });

    // Assess: the variable is not read; the default applies.
    expect(config.maxDecodedBytesInFlight).toBe(decodedBytesInFlightFor());
  });
});

describe('readEnvironment (Lambda)', () => {
  it('reads the Go connector’s variable names and takes the region from AWS_REGION', () => {
    // Act
    const config = readEnvironment({
      ...LAMBDA_REQUIRED,
      AWS_REGION: 'eu-central-1',
      log_level: 'warn',
      fail_on_long_label: 'true',
      max_write_retries: '4',
      write_base_endpoint: 'https://ingest-cell2.timestream.eu-central-1.amazonaws.com',
      auth: 'iam',
    });

    // Assess
    expect(config).toMatchObject({
      defaultDatabase: 'prom',
      defaultTable: 'metrics',
      region: 'eu-central-1',
      logLevel: 'warn',
      failOnLongLabel: true,
      maxWriteRetries: 4,
      writeBaseEndpoint: 'https://ingest-cell2.timestream.eu-central-1.amazonaws.com',
      auth: 'iam',
    });
  });

  it.each([
    { value: 'true', auth: 'iam' },
    { value: 'false', auth: 'passthrough' },
  ])('maps the Go connector’s enable_sigv4_auth=$value to auth=$auth', ({ value, auth }) => {
    expect(readEnvironment({ ...LAMBDA_REQUIRED, enable_sigv4_auth: value }).auth).toBe(auth);
  });

  it.each([
    // Half the function's memory over 16 bytes per decoded byte, the worst case measured.
    { memory: '128', explicit: undefined, expected: Math.floor((128 * 2 ** 20) / 32) },
    { memory: '512', explicit: undefined, expected: 16 * 2 ** 20 },
    { memory: '1536', explicit: undefined, expected: 32 * 2 ** 20 },
    { memory: '512', explicit: '33554432', expected: 32 * 2 ** 20 },
    { memory: undefined, explicit: undefined, expected: 32 * 2 ** 20 },
    { memory: 'lots', explicit: undefined, expected: 32 * 2 ** 20 },
  ])(
    'derives the decoded-body limit from AWS_LAMBDA_FUNCTION_MEMORY_SIZE=$memory unless max_decoded_bytes=$explicit',
    ({ memory, explicit, expected }) => {
      const config = readEnvironment({
        ...LAMBDA_REQUIRED,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: memory,
        max_decoded_bytes: explicit,
      });
      expect(config.maxDecodedBytes).toBe(expected);
    },
  );

  it('lets the region variable override AWS_REGION', () => {
    expect(
      readEnvironment({ ...LAMBDA_REQUIRED, AWS_REGION: 'eu-central-1', region: 'us-west-2' }).region,
    ).toBe('us-west-2');
  });

  it.each([
    { env: { default_table: 'metrics' }, option: 'default_database' },
    { env: { ...LAMBDA_REQUIRED, max_write_retries: '1.5' }, option: 'max_write_retries' },
    { env: { ...LAMBDA_REQUIRED, log_level: 'Verbose' }, option: 'log_level' },
    { env: { ...LAMBDA_REQUIRED, enable_logging: 'nope' }, option: 'enable_logging' },
  ])('refuses an invalid $option, naming the variable', ({ env, option }) => {
    const error = failure(() => readEnvironment(env));
    expect(error.option).toBe(option);
    expect(error.message).toMatch(new RegExp(`^invalid configuration: ${option}: `));
  });

  it('ignores standalone-only options such as the listen address', () => {
    expect(readEnvironment({ ...LAMBDA_REQUIRED, web_listen_address: 'bogus' }).listenAddress).toEqual({
      host: undefined,
      port: 9201,
    });
  });
});

describe('the rules for users’ first mistakes', () => {
  const ACCEPTED_REGIONS = [
    'us-east-1',
    'eu-west-2',
    'ap-southeast-4',
    'us-gov-west-1',
    'cn-north-1',
    'il-central-1',
    'us-isob-east-1',
    'mx-central-1',
    'eusc-de-east-1',
  ];
  const REFUSED_REGIONS = ['mars-1', 'us-east', 'useast1', 'US-EAST-1', 'xx-east-1', 'us-east-1a'];

  it.each(ACCEPTED_REGIONS)('accepts the region %s as --region, region and AWS_REGION', (name) => {
    expect(readFlags([...REQUIRED, `--region=${name}`], {}).region).toBe(name);
    expect(readFlags(REQUIRED, { AWS_REGION: name }).region).toBe(name);
    expect(readEnvironment({ ...LAMBDA_REQUIRED, region: name }).region).toBe(name);
    expect(readEnvironment({ ...LAMBDA_REQUIRED, AWS_REGION: name }).region).toBe(name);
  });

  it.each(
    REFUSED_REGIONS.flatMap((name) => [
      { form: '--region', name, read: () => readFlags([...REQUIRED, `--region=${name}`], {}) },
      { form: 'AWS_REGION', name, read: () => readFlags(REQUIRED, { AWS_REGION: name }) },
      { form: 'region', name, read: () => readEnvironment({ ...LAMBDA_REQUIRED, region: name }) },
      { form: 'AWS_REGION', name, read: () => readEnvironment({ ...LAMBDA_REQUIRED, AWS_REGION: name }) },
    ]),
  )('refuses the region $name given as $form', ({ form, name, read }) => {
    const error = failure(read);
    expect(error.option).toBe(form);
    expect(error.message).toContain(`"${name}" is not an AWS region (such as us-east-1`);
  });

  it.each([
    { raw: '30', fix: '30s' },
    { raw: '1.5', fix: '1.5s' },
    { raw: ' 45 ', fix: '45s' },
  ])(
    'refuses the duration "$raw" without a unit, saying to add one ($fix), as flag and variable',
    ({ raw, fix }) => {
      for (const [option, read] of [
        ['--web.request-timeout', () => readFlags([...REQUIRED, `--web.request-timeout=${raw}`], {})],
        [
          '--read-dimension-cache-ttl',
          () => readFlags([...REQUIRED, `--read-dimension-cache-ttl=${raw}`], {}),
        ],
        [
          'read_dimension_cache_ttl',
          () => readEnvironment({ ...LAMBDA_REQUIRED, read_dimension_cache_ttl: raw }),
        ],
      ] as const) {
        const error = failure(read);
        expect(error.option).toBe(option);
        expect(error.message).toContain(`add a unit: ${fix}`);
      }
    },
  );

  it.each([
    { raw: '0', ms: 0 },
    { raw: '0s', ms: 0 },
    { raw: '1500ms', ms: 1500 },
    { raw: '2m', ms: 120_000 },
    { raw: '1h', ms: 3_600_000 },
    { raw: '1.5s', ms: 1500 },
  ])('takes the duration $raw as $ms ms', ({ raw, ms }) => {
    expect(readFlags([...REQUIRED, `--read-dimension-cache-ttl=${raw}`], {}).dimensionCacheTtlMs).toBe(ms);
    expect(readEnvironment({ ...LAMBDA_REQUIRED, read_dimension_cache_ttl: raw }).dimensionCacheTtlMs).toBe(
      ms,
    );
  });

  it.each([
    {
      title: 'flags, none given',
      read: () => readFlags([], {}),
      option: '--default-database, --default-table',
    },
    {
      title: 'flags, both empty',
      read: () => readFlags(['--default-database=', '--default-table= '], {}),
      option: '--default-database, --default-table',
    },
    {
      title: 'Lambda variables, none set',
      read: () => readEnvironment({}),
      option: 'default_database, default_table',
    },
  ])('reports every missing required option in one message ($title)', ({ read, option }) => {
    const error = failure(read);
    expect(error.option).toBe(option);
    expect(error.message).toBe(`invalid configuration: ${option}: are required (the Timestream destination)`);
  });

  describe('iam mode without a bearer token (standalone server)', () => {
    const IAM = [...REQUIRED, '--auth=iam'];

    it.each([':9201', '0.0.0.0:9201', '[::]:9201', '192.168.1.20:9201', '[fe80::1]:9201', 'myhost:9201'])(
      'refuses to listen on %s, naming --allow-unauthenticated',
      (address) => {
        for (const { argv, option } of [
          { argv: [...IAM, `--web.listen-address=${address}`], option: '--auth' },
          {
            argv: [...REQUIRED, '--enable-sigv4-auth', `--web.listen-address=${address}`],
            option: '--enable-sigv4-auth',
          },
          {
            argv: [...REQUIRED, '--enable-sigv4-auth=true', `--web.listen-address=${address}`],
            option: '--enable-sigv4-auth',
          },
          {
            argv: [...IAM, '--enable-sigv4-auth=true', `--web.listen-address=${address}`],
            option: '--auth',
          },
        ]) {
          const error = failure(() => readFlags(argv, {}));
          expect(error.option).toBe(option);
          expect(error.message).toMatch(new RegExp(`^invalid configuration: ${option}: iam mode`));
          expect(error.message).toContain(
            `iam mode without a bearer token would accept unauthenticated writes and reads from anyone who can reach ${address}`,
          );
          expect(error.message).toContain('--allow-unauthenticated');
        }
      },
    );

    it.each(['127.0.0.1:9201', '127.9.8.7:0', '[::1]:9201', 'localhost:9201', 'LOCALHOST:9201'])(
      'starts on the loopback address %s',
      (address) => {
        const config = readFlags([...IAM, `--web.listen-address=${address}`], {});
        expect([config.auth, config.authToken, config.allowUnauthenticated]).toEqual([
          'iam',
          undefined,
          false,
        ]);
      },
    );

    it.each([
      { title: '--allow-unauthenticated', argv: ['--allow-unauthenticated'], env: {} },
      { title: '--allow-unauthenticated=true', argv: ['--allow-unauthenticated=true'], env: {} },
      { title: 'AUTH_TOKEN', argv: [], env: { AUTH_TOKEN: 't0k' } },
      {
        title: '--auth-token-secret (read at start)',
        argv: ['--auth-token-secret=arn:aws:secretsmanager:us-east-1:1:secret:t'],
        env: {},
      },
    ])('starts on every interface with $title', ({ argv, env }) => {
      expect(readFlags([...IAM, '--web.listen-address=:9201', ...argv], env).auth).toBe('iam');
    });

    it.each([
      {
        title: 'passthrough mode (the default)',
        argv: [...REQUIRED, '--allow-unauthenticated'],
        env: {},
        message:
          'invalid configuration: --allow-unauthenticated: only applies with auth=iam without a bearer token (passthrough checks every caller’s AWS keys); drop it',
      },
      {
        title: '--auth=passthrough',
        argv: [...REQUIRED, '--auth=passthrough', '--allow-unauthenticated=true'],
        env: {},
        message: /^invalid configuration: --allow-unauthenticated: only applies with auth=iam/,
      },
      {
        title: '--enable-sigv4-auth=false',
        argv: [...REQUIRED, '--enable-sigv4-auth=false', '--allow-unauthenticated'],
        env: {},
        message: /^invalid configuration: --allow-unauthenticated: only applies with auth=iam/,
      },
      {
        title: 'a token from AUTH_TOKEN',
        argv: [...IAM, '--allow-unauthenticated'],
        env: { AUTH_TOKEN: 't0k' },
        message:
          'invalid configuration: --allow-unauthenticated: only applies without a bearer token, but AUTH_TOKEN gives one, so callers must send it; drop one of the two',
      },
      {
        title: 'a token from --auth-token-file',
        argv: [...IAM, '--allow-unauthenticated', `--auth-token-file=${tokenFile()}`],
        env: {},
        message:
          /--allow-unauthenticated: only applies without a bearer token, but --auth-token-file gives one/,
      },
      {
        title: 'a token from --auth-token-secret',
        argv: [
          ...IAM,
          '--auth-token-secret=arn:aws:secretsmanager:us-east-1:1:secret:t',
          '--allow-unauthenticated',
        ],
        env: {},
        message:
          /--allow-unauthenticated: only applies without a bearer token, but --auth-token-secret gives one/,
      },
    ])(
      'refuses --allow-unauthenticated with $title, where it would change nothing',
      ({ argv, env, message }) => {
        const error = failure(() => readFlags(argv, env));
        expect(error.option).toBe('--allow-unauthenticated');
        if (typeof message === 'string') expect(error.message).toBe(message);
        else expect(error.message).toMatch(message);
      },
    );

    it('takes --allow-unauthenticated=false anywhere (it asks for nothing)', () => {
      expect(readFlags([...REQUIRED, '--allow-unauthenticated=false'], {}).allowUnauthenticated).toBe(false);
    });

    it('still refuses with --allow-unauthenticated=false', () => {
      expect(failure(() => readFlags([...IAM, '--allow-unauthenticated=false'], {})).option).toBe('--auth');
    });

    it('is no Lambda setting: the function runs iam mode without a token behind API Gateway IAM auth', () => {
      const config = readEnvironment({ ...LAMBDA_REQUIRED, auth: 'iam', allow_unauthenticated: 'false' });
      expect([config.auth, config.authToken, config.allowUnauthenticated]).toEqual(['iam', undefined, false]);
    });
  });
});
