/**
 * Figure 4, Lambda cold start: the size of the function's code as `cdk deploy` uploads it
 * (infra's buildLambdaAsset: the minified bundle and its chunks, their source maps, the native snappy binding), and
 * the time from spawning a fresh `node` running the HTTP API v2 event shim over that code to the
 * answer of its first write (one 500-sample request, the emulator already up), less the time a
 * bare `node -e 0` takes to start and exit. The function's environment is the construct's (no
 * NODE_OPTIONS: the bundle maps its stack traces itself), its Timestream endpoint the emulator.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as LambdaAsset from '../../infra/src/lambda-asset.js';
import { DATABASE, REPO, startEmulatorProcess, TABLE } from '../support/cli-processes.js';
import { capturedLabelSets } from '../support/load.js';
import { Workspace } from '../support/peers.js';
import { BASIC_AUTH, median, postBodies, requestBodies } from './lib.js';

const SHIM = join(REPO, 'packages', 'connector', 'support', 'lambda-shim.mjs');
const STAGE = 'bench';

/** Bytes of the files under `dir` whose name ends with `suffix` (all of them by default), outside `node_modules`. */
const bytesUnder = (dir: string, suffix = '', skipNodeModules = false): number => {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (
      entry.isFile() &&
      entry.name.endsWith(suffix) &&
      !(skipNodeModules && entry.parentPath.includes('node_modules'))
    )
      total += statSync(join(entry.parentPath, entry.name)).size;
  return total;
};

const bareNodeMs = (): number => {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['-e', '0']);
  if (result.status !== 0) throw new Error('node -e 0 failed');
  return performance.now() - started;
};

interface ColdStart {
  /** Spawn → the shim listening (its own start, before the function's code is loaded). */
  readonly shimListeningMs: number;
  /** Spawn → the first write answered: shim start, module load, init and the first request. */
  readonly firstWriteMs: number;
  /** The same write again, answered by the now warm container. */
  readonly warmWriteMs: number;
}

const coldStart = async (
  codeDirectory: string,
  emulatorEndpoint: string,
  body: Uint8Array,
): Promise<ColdStart> => {
  const started = performance.now();
  const child = spawn(process.execPath, [SHIM, codeDirectory, 'index.handler', STAGE, '30'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'bench',
      AWS_ACCESS_KEY_ID: 'ASIABENCHFUNCTIONROLE',
      AWS_SECRET_ACCESS_KEY: 'function-role-secret',
      default_database: DATABASE,
      default_table: TABLE,
      log_level: 'error',
      auth: 'passthrough',
      write_base_endpoint: emulatorEndpoint,
      query_base_endpoint: emulatorEndpoint,
    },
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const line = output.split('\n').find((text) => text.startsWith('{"url":'));
        if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
      });
      child.once('exit', (code) => reject(new Error(`the Lambda shim exited with ${code}`)));
    });
    const shimListeningMs = performance.now() - started;
    const write = async (): Promise<number> => {
      const result = await postBodies(
        `${url}/${STAGE}/write`,
        { bodies: [body], samplesPerBody: 0, series: 0 },
        { concurrency: 1, headers: { authorization: BASIC_AUTH } },
      );
      if (Object.keys(result.failures).length > 0)
        throw new Error(`a write failed: ${JSON.stringify(result.failures)}`);
      return result.latenciesMs[0] as number;
    };
    await write();
    const firstWriteMs = performance.now() - started;
    return { shimListeningMs, firstWriteMs, warmWriteMs: await write() };
  } finally {
    child.kill('SIGKILL');
  }
};

export interface ColdStartFigures {
  /** The minified bundle: index.mjs and its chunks (those behind a dynamic import() load only if used). */
  readonly bundleBytes: number;
  readonly sourceMapBytes: number;
  /** snappy's native binding for x86_64 (the bundle requires it directly, without the snappy package). */
  readonly snappyBytes: number;
  readonly runs: number;
  readonly bareNodeMs: number;
  readonly shimListeningMs: number;
  readonly firstWriteMs: number;
  readonly warmWriteMs: number;
  /** firstWriteMs − bareNodeMs, median over runs of the per-run difference. */
  readonly addedMs: number;
  /**
   * firstWriteMs − shimListeningMs, median of the per-run difference: the function's own part
   * (module load, init, the first request), without the shim's start that `addedMs` includes.
   */
  readonly functionMs: number;
}

export const benchColdStart = async (options: { readonly quick: boolean }): Promise<ColdStartFigures> => {
  // Built on demand by `npm run build`; loaded at run time so the bench bundle does not embed it.
  const { buildLambdaAsset } = (await import(
    pathToFileURL(join(REPO, 'packages', 'infra', 'lib', 'lambda-asset.js')).href
  )) as typeof LambdaAsset;
  const codeDirectory = buildLambdaAsset('x64');
  const runs = options.quick ? 2 : 15;
  const [body] = requestBodies(1, 500, capturedLabelSets()).bodies;
  const workspace = new Workspace('bench-coldstart');
  try {
    const emulator = await startEmulatorProcess(workspace);
    bareNodeMs();
    const bare: number[] = [];
    const listening: number[] = [];
    const first: number[] = [];
    const warm: number[] = [];
    const added: number[] = [];
    const own: number[] = [];
    for (let run = 0; run < runs; run++) {
      const bareMs = bareNodeMs();
      // Every write is the same body: the emulator stores the first and meets the others as identical.
      const start = await coldStart(codeDirectory, emulator.endpoint, body as Uint8Array);
      bare.push(bareMs);
      listening.push(start.shimListeningMs);
      first.push(start.firstWriteMs);
      warm.push(start.warmWriteMs);
      added.push(start.firstWriteMs - bareMs);
      own.push(start.firstWriteMs - start.shimListeningMs);
    }
    return {
      bundleBytes: bytesUnder(codeDirectory, '.mjs', true),
      sourceMapBytes: bytesUnder(codeDirectory, '.mjs.map', true),
      snappyBytes: bytesUnder(join(codeDirectory, 'node_modules')),
      runs,
      bareNodeMs: median(bare),
      shimListeningMs: median(listening),
      firstWriteMs: median(first),
      warmWriteMs: median(warm),
      addedMs: median(added),
      functionMs: median(own),
    };
  } finally {
    await workspace.stop();
  }
};
