/**
 * The bundled function's stack traces: they name the TypeScript sources whether or not Node.js maps
 * them itself (`--enable-source-maps`, which the construct no longer sets), read from the asset's
 * source maps by a real `node` running the asset.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { buildLambdaAsset } from '../src/lambda-asset.js';

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
});
