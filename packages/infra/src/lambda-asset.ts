/**
 * The Lambda function's code, built locally at synth time (no Docker): the connector's Lambda
 * entry bundled by esbuild into minified ES modules with their source maps, next to snappy's
 * native binding built for the function's own architecture — never the build machine's, which is
 * what CDK's local bundling would install (an x86 binary in an ARM_64 function crashes it at the
 * first request).
 */
import {
  closeSync,
  cpSync,
  existsSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

export type LambdaArchitecture = 'arm64' | 'x64';

/** ELF `e_machine` of each architecture's native binding. */
const ELF_MACHINE: Readonly<Record<LambdaArchitecture, number>> = { x64: 0x3e, arm64: 0xb7 };

/**
 * The Node.js version esbuild targets: the oldest Lambda runtime the bundle must run on (the
 * construct uses nodejs24.x; `functionOverrides.runtime` may pick the older nodejs22.x).
 */
export const LAMBDA_NODE_TARGET = 'node22';

const require = createRequire(import.meta.url);
const INFRA_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The `e_machine` field of an ELF file, or undefined when it is no ELF file. */
export const elfMachine = (file: string): number | undefined => {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) return undefined;
  return header.readUInt16LE(18);
};

/** The npm package of snappy's native binding for Linux (glibc, which Lambda runs) on `architecture`. */
const nativePackageName = (architecture: LambdaArchitecture): string =>
  `@napi-rs/snappy-linux-${architecture}-gnu`;

/** The binding's file inside its package. */
const nativeBindingFile = (architecture: LambdaArchitecture): string =>
  `snappy.linux-${architecture}-gnu.node`;

const nativePackageDir = (snappyDir: string, architecture: LambdaArchitecture): string => {
  const name = nativePackageName(architecture);
  // Fetched for both architectures by scripts/fetch-native-snappy.mjs (and shipped in the package).
  const fetched = join(INFRA_ROOT, 'native', name);
  if (existsSync(join(fetched, 'package.json'))) return fetched;
  try {
    return dirname(createRequire(join(snappyDir, 'package.json')).resolve(`${name}/package.json`));
  } catch {
    throw new Error(
      `the ${architecture} build of snappy's native binding (${name}) is missing; run "node ${join(INFRA_ROOT, 'scripts', 'fetch-native-snappy.mjs')}" with network access once`,
    );
  }
};

const built = new Map<LambdaArchitecture, string>();

/**
 * esbuild aliases sending every Node.js built-in to a CommonJS file of `dir` that is
 * `module.exports = process.getBuiltinModule(name)` (Node ≥ 22.3). An ES `import` of a built-in
 * makes Node build the built-in's module namespace, reading each of its exports — `node:http`'s
 * lazy `WebSocket`/`EventSource` load all of undici, `node:crypto`'s `webcrypto` the Web Crypto
 * API — ~30 ms of a cold start for code the function never runs. Through the alias the bundle's
 * ES modules, like its CommonJS ones, read only the exports they use, when they use them.
 */
const builtinAliases = (dir: string): Record<string, string> => {
  const aliases: Record<string, string> = {};
  for (const name of builtinModules) {
    const bare = name.replace(/^node:/, '');
    const file = join(dir, `${bare.replaceAll('/', '__')}.cjs`);
    writeFileSync(file, `module.exports = process.getBuiltinModule(${JSON.stringify(name)});\n`);
    aliases[name] = file;
    aliases[`node:${bare}`] = file;
  }
  return aliases;
};

/**
 * An esbuild alias for `snappy`: a CommonJS file of `dir` that requires the binding for
 * `architecture` itself and exports the two functions the codec calls (codec/src/snappy.ts).
 * snappy's own entry first probes for musl — it reads /usr/bin/ldd, or else builds a
 * `process.report` or spawns `ldd --version` — tries the binding's paths in turn, and loads its
 * stream helpers and `node:stream`: ~7 ms of every cold start, to pick the one binding the asset
 * ships for the one libc Lambda has.
 */
const snappyAlias = (dir: string, architecture: LambdaArchitecture): string => {
  const file = join(dir, 'snappy.cjs');
  writeFileSync(
    file,
    [
      `const { compressSync, uncompressSync } = require(${JSON.stringify(`${nativePackageName(architecture)}/${nativeBindingFile(architecture)}`)});`,
      'module.exports = { compressSync, uncompressSync };',
      '',
    ].join('\n'),
  );
  return file;
};

/**
 * The function's code in `dir`: `index.mjs` and the chunks it imports (`chunks/`), each with its
 * source map. What the cold start evaluates is kept small:
 * - `mainFields` prefers the AWS SDK's ES modules (`dist-es`) to its one-file CommonJS builds,
 *   so unused commands, protocols and the browser user-agent parser are tree-shaken away;
 * - code behind a dynamic `import()` (the SDK's credential providers beyond the environment's,
 *   STS/SSO clients, the Secrets Manager client the connector loads only for a token secret)
 *   goes to chunks of its own, read only if a request needs it;
 * - built-ins are required, not imported (see `builtinAliases`);
 * - `snappy` is its native binding for `architecture`, required directly (see `snappyAlias`).
 */
const bundleFunctionCode = (dir: string, architecture: LambdaArchitecture): void => {
  const aliasDir = mkdtempSync(join(tmpdir(), 'prometheus-timestream-builtins-'));
  try {
    buildSync({
      // The connector's Lambda entry, with stack traces mapped to the sources when one is printed
      // (see mapStackTracesLazily: the construct no longer sets --enable-source-maps).
      stdin: {
        contents: [
          `import { handler, mapStackTracesLazily } from ${JSON.stringify(require.resolve('@prometheus-timestream/connector/lambda'))};`,
          'mapStackTracesLazily();',
          'export { handler };',
        ].join('\n'),
        resolveDir: INFRA_ROOT,
        sourcefile: 'index.mjs',
        loader: 'js',
      },
      outdir: dir,
      entryNames: 'index',
      chunkNames: 'chunks/[name]-[hash]',
      outExtension: { '.js': '.mjs' },
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: LAMBDA_NODE_TARGET,
      mainFields: ['module', 'main'],
      alias: { ...builtinAliases(aliasDir), snappy: snappyAlias(aliasDir, architecture) },
      minify: true,
      sourcemap: true,
      legalComments: 'none',
      sourcesContent: false,
      logLevel: 'silent',
      // The native binding cannot be bundled; it is installed beside the bundle below.
      external: [nativePackageName(architecture)],
      // Bundled CommonJS calls require() for the modules esbuild leaves outside the bundle (the
      // binding). The banner goes into every file, and only one of them requires anything, so the
      // require function is created at its first call: creating one per file cost ~1 ms of each
      // cold start.
      banner: {
        js: "import{createRequire as __cr}from'node:module';let __rq;const require=(id)=>(__rq??=__cr(import.meta.url))(id);",
      },
    });
  } finally {
    rmSync(aliasDir, { recursive: true, force: true });
  }
};

/**
 * Builds (once per process and architecture) the directory that is the function's code:
 * `index.mjs` exporting `handler` and its `chunks/` (see `bundleFunctionCode`), and
 * `node_modules/@napi-rs/snappy-linux-<architecture>-gnu`, the binding the bundle requires.
 *
 * @throws Error when the native binding for `architecture` is missing or is not built for it
 */
export const buildLambdaAsset = (
  architecture: LambdaArchitecture,
  options: {
    /** Keep the directory after this process exits: CDK was told not to copy it (`--no-staging`). */
    readonly keep?: boolean;
  } = {},
): string => {
  const cached = built.get(architecture);
  if (cached !== undefined) return cached;
  const dir = mkdtempSync(join(tmpdir(), `prometheus-timestream-lambda-${architecture}-`));
  // CDK stages a copy of the directory into the cloud assembly; the build itself is scratch.
  if (options.keep !== true) process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  bundleFunctionCode(dir, architecture);
  const codecEntry = require.resolve('@prometheus-timestream/codec');
  const snappyDir = dirname(createRequire(codecEntry).resolve('snappy/package.json'));
  const nativeTarget = join(dir, 'node_modules', nativePackageName(architecture));
  cpSync(nativePackageDir(snappyDir, architecture), nativeTarget, { recursive: true });
  const binary = join(nativeTarget, nativeBindingFile(architecture));
  if (!existsSync(binary) || elfMachine(binary) !== ELF_MACHINE[architecture])
    throw new Error(`${binary} is not a Linux ${architecture} binary`);
  built.set(architecture, dir);
  return dir;
};
