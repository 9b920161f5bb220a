/**
 * Importing works for real: the workspace packages as `npm pack` ships them, installed from their
 * tarballs into a fresh CDK app outside the repository (no workspace links, no hoisted dev
 * dependencies), where the construct is instantiated and synthesized by plain Node. Checks the
 * template, the Lambda asset (the bundle and the ARM64 native binding) and what the importer did
 * not get: the Timestream emulator and DuckDB, which are for local development only.
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { elfMachine } from '../../src/lambda-asset.js';

const REPO = resolve(__dirname, '../../../..');
const PACKED = ['codec', 'connector', 'infra'] as const;
const STACK = 'ImportedStack';
/** npm install may fetch what its cache lacks; synth bundles the function with esbuild. */
const SETUP_TIMEOUT_MS = 10 * 60_000;
const ELF_MACHINE_AARCH64 = 0xb7;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment of the commands run in the app: without what `npm run` sets for this
 * repository (its prefix, package and workspace), so npm works on the app's own folder.
 */
const appEnvironment = (extra: Record<string, string>): NodeJS.ProcessEnv =>
  Object.fromEntries([
    ...Object.entries(process.env).filter(
      ([name]) =>
        !/^npm_(package_|lifecycle_|config_(local_prefix|prefix|workspaces?|include_workspace_root)$)/i.test(
          name,
        ),
    ),
    ...Object.entries(extra),
  ]);

const run = (command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> =>
  new Promise((done) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
  });

/** Runs the command and returns its stdout; throws, with everything it printed, when it fails. */
const succeed = async (
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<string> => {
  const result = await run(command, args, cwd, env);
  if (result.code !== 0)
    throw new Error(
      `\`${command} ${args.join(' ')}\` (in ${cwd}) exited with ${result.code}\n--- stderr\n${result.stderr}\n--- stdout\n${result.stdout}`,
    );
  return result.stdout;
};

/** The version of a package installed at the repository's root (so the app's install hits npm's cache). */
const rootVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;

/** Every package installed under `dir`'s node_modules, at any depth, by name. */
const installedPackages = (dir: string): string[] => {
  const names: string[] = [];
  const visit = (modules: string): void => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const packages = entry.name.startsWith('@')
        ? readdirSync(join(modules, entry.name), { withFileTypes: true })
            .filter((scoped) => scoped.isDirectory())
            .map((scoped) => `${entry.name}/${scoped.name}`)
        : [entry.name];
      for (const name of packages) {
        names.push(name);
        visit(join(modules, name, 'node_modules'));
      }
    }
  };
  visit(join(dir, 'node_modules'));
  return names;
};

const APP = `import { App, Stack } from 'aws-cdk-lib';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { PrometheusTimestreamConnector } from '@prometheus-timestream/infra';

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, '${STACK}');
new PrometheusTimestreamConnector(stack, 'Connector', {
  authMode: 'iam',
  createDatabaseAndTable: true,
  architecture: Architecture.ARM_64,
});
app.synth();
`;

interface PackedFile {
  readonly name: string;
  readonly filename: string;
  readonly size: number;
  readonly files: readonly { readonly path: string }[];
}

describe('the construct imported from the packed packages into a fresh CDK app', () => {
  let work: string;
  let app: string;
  let env: NodeJS.ProcessEnv;
  let packed: PackedFile[];
  let template: Template;
  let assetDir: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'prometheus-timestream-import-'));
    const tarballs = join(work, 'tarballs');
    app = join(work, 'app');
    // The asset builder's own temporary directories land here too, and go with it.
    const temp = join(work, 'tmp');
    for (const dir of [tarballs, app, temp]) mkdirSync(dir);
    env = appEnvironment({ TMPDIR: temp });

    // The packages as published: built, then packed.
    await succeed(
      process.execPath,
      [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'],
      REPO,
      env,
    );
    packed = JSON.parse(
      await succeed(
        'npm',
        [
          'pack',
          '--json',
          '--ignore-scripts',
          '--pack-destination',
          tarballs,
          ...PACKED.map((p) => `--workspace=packages/${p}`),
        ],
        REPO,
        env,
      ),
    ) as PackedFile[];

    writeFileSync(
      join(app, 'package.json'),
      `${JSON.stringify({ name: 'imports-the-connector', version: '0.0.0', private: true, type: 'module' }, null, 2)}\n`,
    );
    await succeed(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--prefix',
        app,
        ...packed.map((tarball) => join(tarballs, tarball.filename)),
        `aws-cdk-lib@${rootVersion('aws-cdk-lib')}`,
        `constructs@${rootVersion('constructs')}`,
      ],
      app,
      env,
    );

    writeFileSync(join(app, 'app.mjs'), APP);
    await succeed(process.execPath, ['app.mjs', 'cdk.out'], app, env);
    template = Template.fromJSON(
      JSON.parse(readFileSync(join(app, 'cdk.out', `${STACK}.template.json`), 'utf8')),
    );

    // The function's code: the asset whose hash names its S3 key.
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    const key = (functions[0]?.Properties as { Code: { S3Key: string } } | undefined)?.Code.S3Key;
    const assets = JSON.parse(readFileSync(join(app, 'cdk.out', `${STACK}.assets.json`), 'utf8')) as {
      files: Record<string, { source: { path: string } }>;
    };
    const asset = assets.files[String(key).replace(/\.zip$/, '')];
    if (asset === undefined)
      throw new Error(`no asset in ${STACK}.assets.json for the function's code (${key})`);
    assetDir = join(app, 'cdk.out', asset.source.path);
  }, SETUP_TIMEOUT_MS);

  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it.each([
    ['codec', ['lib/index.js', 'lib/index.d.ts']],
    ['connector', ['lib/index.js', 'lib/lambda.js', 'lib/cli.js', 'bin/timestream-prometheus-connector.js']],
    [
      'infra',
      [
        'lib/index.js',
        'lib/index.d.ts',
        'scripts/fetch-native-snappy.mjs',
        'native/@napi-rs/snappy-linux-arm64-gnu/snappy.linux-arm64-gnu.node',
        'native/@napi-rs/snappy-linux-arm64-gnu/package.json',
        'native/@napi-rs/snappy-linux-x64-gnu/snappy.linux-x64-gnu.node',
        'native/@napi-rs/snappy-linux-x64-gnu/package.json',
      ],
    ],
  ])('the %s tarball ships what it needs at run time', (name, expected) => {
    const tarball = packed.find((p) => p.name === `@prometheus-timestream/${name}`);
    expect(tarball?.files.map((file) => file.path)).toEqual(expect.arrayContaining(expected));
  });

  it('synthesizes a Node.js 24 function for ARM64', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
    });
  });

  // iam mode: API Gateway checks SigV4 on /write; Prometheus never signs remote_read, so /read is
  // left to the function, which checks the bearer token from the stack's secret.
  it.each([
    { routeKey: 'POST /write', authorization: 'AWS_IAM' },
    { routeKey: 'POST /read', authorization: 'NONE' },
  ])('routes $routeKey, authorized $authorization, to the function', ({ routeKey, authorization }) => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: routeKey,
      AuthorizationType: authorization,
      Target: Match.anyValue(),
    });
  });

  it('gives the function the bearer token secret for /read', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ auth: 'iam', auth_token_secret: Match.anyValue() }) },
    });
  });

  it('creates the Timestream database and table', () => {
    template.hasResourceProperties('AWS::Timestream::Database', { DatabaseName: 'PrometheusDatabase' });
    template.hasResourceProperties('AWS::Timestream::Table', {
      DatabaseName: 'PrometheusDatabase',
      TableName: 'PrometheusMetricsTable',
    });
  });

  it('bundles the function into index.mjs and its chunks, without the emulator', () => {
    expect(readFileSync(join(assetDir, 'index.mjs'), 'utf8')).toContain('handler');
    // The chunks too: code behind a dynamic import() is split out of index.mjs.
    const code = readdirSync(assetDir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.mjs') && !file.startsWith('node_modules'))
      .map((file) => readFileSync(join(assetDir, file), 'utf8'));
    expect(code.length).toBeGreaterThan(1);
    for (const text of code) expect(text).not.toMatch(/duckdb|timestream-local/i);
  });

  it('ships snappy’s native binding built for ARM64 (AArch64 ELF), not the build machine, without the snappy package', () => {
    const binding = join(
      assetDir,
      'node_modules',
      '@napi-rs',
      'snappy-linux-arm64-gnu',
      'snappy.linux-arm64-gnu.node',
    );
    // The bundle requires the binding itself (lambda-asset.ts, snappyAlias).
    expect(existsSync(join(assetDir, 'node_modules', 'snappy'))).toBe(false);
    expect(existsSync(binding)).toBe(true);
    expect(elfMachine(binding)).toBe(ELF_MACHINE_AARCH64);
  });

  it('installs the three packages but neither the emulator nor DuckDB', () => {
    const installed = installedPackages(app);
    expect(installed).toEqual(
      expect.arrayContaining([
        '@prometheus-timestream/codec',
        '@prometheus-timestream/connector',
        '@prometheus-timestream/infra',
      ]),
    );
    expect(
      installed.filter((name) =>
        /^(@prometheus-timestream\/timestream-local|duckdb|@duckdb\/.*)$/.test(name),
      ),
    ).toEqual([]);
  });

  it("the connector's CLI, asked for the emulator, says to npm install it", async () => {
    const cli = join(app, 'node_modules', '@prometheus-timestream', 'connector', 'bin');
    const result = await run(
      process.execPath,
      [join(cli, 'timestream-prometheus-connector.js'), '--emulator'],
      app,
      env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('npm install @prometheus-timestream/timestream-local');
  });
});
