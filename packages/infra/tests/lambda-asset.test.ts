/**
 * The bundled function, run by a real `node`: its stack traces name the TypeScript sources whether
 * or not Node.js maps them itself (`--enable-source-maps`, which the construct no longer sets),
 * read from the asset's source maps; and its snappy is the native binding for the asset's
 * architecture, required without the `snappy` package.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  compressSnappyBlock,
  decompressSnappyBlock,
  encodeWriteRequestV1,
} from '@prometheus-timestream/codec';
import { buildLambdaAsset, type LambdaArchitecture } from '../src/lambda-asset.js';

/** Invokes the handler without any configuration, which rejects, and prints the error's stack. */
const stackOfAConfigurationError = (codeDirectory: string, nodeOptions: readonly string[]): string => {
  const script = [
    `const { handler } = await import(${JSON.stringify(pathToFileURL(`${codeDirectory}/index.mjs`).href)});`,
    "await handler({}, { awsRequestId: 'test', getRemainingTimeInMillis: () => 1000 }).catch((error) => process.stdout.write(error.stack));",
  ].join('\n');
  const result = spawnSync(process.execPath, [...nodeOptions, '--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`node exited with ${result.status}: ${result.stderr}`);
  return result.stdout;
};

interface Answer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

/**
 * Invokes the handler in a fresh `node`, in passthrough mode, with one snappy-compressed POST per
 * path (none of them reaches Timestream) and answers what it returned for each.
 */
const answersOf = (
  codeDirectory: string,
  requests: readonly { readonly path: string; readonly version: string; readonly body: Uint8Array }[],
): Answer[] => {
  const events = requests.map(({ path, version, body }) => ({
    version: '2.0',
    rawPath: path,
    headers: {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      [`x-prometheus-remote-${path.slice(1)}-version`]: version,
      authorization: `Basic ${Buffer.from('AKIDEXAMPLE:example-secret').toString('base64')}`,
    },
    requestContext: { http: { method: 'POST', path } },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  }));
  const script = [
    `const { handler } = await import(${JSON.stringify(pathToFileURL(`${codeDirectory}/index.mjs`).href)});`,
    'const answers = [];',
    `for (const event of ${JSON.stringify(events)})`,
    "  answers.push(await handler(event, { awsRequestId: 'test', getRemainingTimeInMillis: () => 5000 }));",
    'process.stdout.write(JSON.stringify(answers));',
  ].join('\n');
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      default_database: 'TestDatabase',
      default_table: 'TestTable',
      auth: 'passthrough',
      log_level: 'error',
    },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`node exited with ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Answer[];
};

/** The text of the bundle: index.mjs and its chunks. */
const bundledCode = (codeDirectory: string): string =>
  readdirSync(codeDirectory, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.mjs') && !file.startsWith('node_modules'))
    .map((file) => readFileSync(join(codeDirectory, file), 'utf8'))
    .join('\n');

describe('the Lambda asset', () => {
  const codeDirectory = buildLambdaAsset('x64');

  it.each([
    { description: 'mapped by the bundle itself, as the construct runs it', nodeOptions: [] },
    { description: 'mapped by Node.js under --enable-source-maps', nodeOptions: ['--enable-source-maps'] },
  ])('prints stack traces in terms of the TypeScript sources: $description', ({ nodeOptions }) => {
    // Act
    const stack = stackOfAConfigurationError(codeDirectory, nodeOptions);

    // Assess
    expect(stack).toMatch(/^InvalidConfigError: invalid configuration: default_database, default_table/);
    expect(stack).toMatch(/\n {4}at invalid \(\S*packages\/connector\/src\/options\.ts:\d+:\d+\)/);
    expect(stack).toMatch(
      /\n {4}at buildContainerHandler \(\S*packages\/connector\/src\/lambda\.ts:\d+:\d+\)/,
    );
    expect(stack).not.toMatch(/index\.mjs|chunks\//);
  });

  it('decompresses a request and compresses an answer through the native binding it ships', () => {
    // Prepare: a write whose series carry no samples (decoded, then nothing to send to Timestream)
    // and a read without queries (answered with an empty, snappy-compressed ReadResponse).
    const series = Array.from({ length: 20 }, (_, index) => ({
      labels: [
        { name: '__name__', value: `metric_${index}` },
        { name: 'job', value: 'a'.repeat(100) },
      ],
      samples: [],
    }));
    const write = compressSnappyBlock(encodeWriteRequestV1({ series }));

    // Act
    const [wrote, read] = answersOf(codeDirectory, [
      { path: '/write', version: '0.1.0', body: write },
      { path: '/read', version: '0.1.0', body: compressSnappyBlock(new Uint8Array(0)) },
    ]);

    // Assess
    expect(wrote?.statusCode).toBe(204);
    expect(read).toMatchObject({ statusCode: 200, isBase64Encoded: true });
    expect(read?.headers['Content-Encoding']).toBe('snappy');
    expect(decompressSnappyBlock(Buffer.from(read?.body ?? '', 'base64'))).toEqual(new Uint8Array(0));
  });

  it.each<LambdaArchitecture>(['x64', 'arm64'])(
    '%s: requires the binding for its architecture directly, without the snappy package',
    (architecture) => {
      // Act
      const directory = buildLambdaAsset(architecture);

      // Assess
      const binding = `@napi-rs/snappy-linux-${architecture}-gnu/snappy.linux-${architecture}-gnu.node`;
      const other = architecture === 'x64' ? 'arm64' : 'x64';
      const code = bundledCode(directory);
      expect(code).toContain(JSON.stringify(binding));
      expect(code).not.toContain(`snappy-linux-${other}`);
      expect(existsSync(join(directory, 'node_modules', binding))).toBe(true);
      expect(existsSync(join(directory, 'node_modules', 'snappy'))).toBe(false);
    },
  );
});
