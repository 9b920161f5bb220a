/**
 * The processes under test as child processes of their own (so their CPU and memory are measured
 * apart): the emulator's CLI with one table created, and the connector's CLI (standalone server)
 * in front of it. The benchmarks and the reliability checks start them in a Workspace.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Workspace } from './peers.js';
import { freePort, type ManagedProcess, waitForHttp } from './processes.js';

/**
 * The repository's root. `import.meta.url` is this file's, or, when the benchmarks and the
 * reliability checks run, their bundle's (packages/connector/.bench/run.mjs, .reliability/run.mjs):
 * both lie three folders below the root.
 */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DATABASE = 'BenchDatabase';
export const TABLE = 'BenchTable';

export interface Emulator {
  readonly process: ManagedProcess;
  readonly endpoint: string;
  readonly admin: (path: string, method?: string, body?: unknown) => Promise<unknown>;
}

/** Options of the processes under test. */
export interface ProcessOptions {
  /** Node's own options, before the script (e.g. `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
}

/** The emulator's CLI as a child process, with the benchmark's table. */
export const startEmulatorProcess = async (
  workspace: Workspace,
  extraArgs: readonly string[] = [],
  options: ProcessOptions = {},
): Promise<Emulator> => {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = workspace.start('timestream-local', process.execPath, [
    ...(options.nodeArgs ?? []),
    join(REPO, 'packages', 'timestream-local', 'bin', 'timestream-local.js'),
    `--port=${port}`,
    `--create=${DATABASE}.${TABLE}`,
    '--log-level=error',
    ...extraArgs,
  ]);
  const admin = async (path: string, method = 'GET', body?: unknown) => {
    const response = await fetch(`${endpoint}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  };
  await waitForHttp(child, `${endpoint}/__admin/metering`);
  return { process: child, endpoint, admin };
};

export interface ConnectorProcess {
  readonly process: ManagedProcess;
  readonly url: string;
}

/** The connector's CLI (standalone server) as a child process in front of `emulator`. */
export const startConnectorProcess = async (
  workspace: Workspace,
  emulator: Emulator,
  flags: readonly string[] = [],
  options: ProcessOptions = {},
): Promise<ConnectorProcess> => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = workspace.start('connector', process.execPath, [
    ...(options.nodeArgs ?? []),
    join(REPO, 'packages', 'connector', 'bin', 'timestream-prometheus-connector.js'),
    `--default-database=${DATABASE}`,
    `--default-table=${TABLE}`,
    `--write-base-endpoint=${emulator.endpoint}`,
    `--query-base-endpoint=${emulator.endpoint}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=error',
    ...flags,
  ]);
  await waitForHttp(child, `${url}/metrics`);
  return { process: child, url };
};
