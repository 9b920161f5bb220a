/**
 * Child processes for the end-to-end tests, the benchmarks and the reliability checks: real
 * Prometheus, node-exporter, vmagent and VictoriaMetrics binaries from Debian packages, started on
 * free loopback ports with their data in a temporary directory, and always stopped again (SIGTERM,
 * then SIGKILL).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** The Debian package that provides each binary the tests run (CI installs them in `.ci/run`). */
export const DEBIAN_PACKAGES = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'prometheus-node-exporter': 'prometheus-node-exporter',
  'victoria-metrics': 'victoria-metrics',
  vmagent: 'victoria-metrics',
  // The README's verification steps run the AWS CLI (v1 from PyPI works as well) and curl.
  aws: 'awscli',
  curl: 'curl',
} as const;

export type Binary = keyof typeof DEBIAN_PACKAGES;

/**
 * The absolute path of `binary` on PATH.
 *
 * @throws Error naming the Debian package to install: a missing peer fails the test, never skips it
 */
export const requireBinary = (binary: Binary): string => {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  const pkg = DEBIAN_PACKAGES[binary];
  throw new Error(
    `${binary} is not installed (not on PATH). The end-to-end tests need it: install the Debian package ` +
      `"${pkg}" (apt-get install -y --no-install-recommends ${pkg}); .ci/run installs it in CI.`,
  );
};

/** A binary of the Prometheus 3 release the end-to-end tests build (tests/e2e/peers/build-prometheus3.sh). */
export type Prometheus3Binary = 'prometheus' | 'promtool';

/**
 * The absolute path of Prometheus 3's `binary`, which the end-to-end configuration's globalSetup
 * builds (or finds cached) before any test runs.
 *
 * @throws Error saying how to build it when the tests run without that setup
 */
export const requirePrometheus3 = (binary: Prometheus3Binary): string => {
  const directory = process.env.PROMETHEUS3_DIR;
  const candidate = directory === undefined ? undefined : join(directory, binary);
  try {
    if (candidate === undefined) throw new Error('PROMETHEUS3_DIR is not set');
    accessSync(candidate, constants.X_OK);
    return candidate;
  } catch {
    throw new Error(
      `Prometheus 3's ${binary} is not built: run the tests with jest.e2e.config.cjs (npm run test:e2e), ` +
        'whose globalSetup builds it, or bash packages/connector/tests/e2e/peers/build-prometheus3.sh ' +
        'and set PROMETHEUS3_DIR to the directory it prints.',
    );
  }
};

/** A free TCP port on 127.0.0.1 (released just before use; fine on a test machine). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number | undefined;
  /** The process's combined stdout and stderr so far, last `lines` lines. */
  readonly logTail: (lines?: number) => string;
  /** The whole log so far. */
  readonly log: () => string;
  /** Exit code or signal once it exited, undefined while it runs. */
  readonly exited: () => string | undefined;
  readonly signal: (signal: NodeJS.Signals) => void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  readonly stop: (graceMs?: number) => Promise<void>;
}

/** Starts `command` with its stdout and stderr appended to `logFile`. */
export const startProcess = (
  name: string,
  command: string,
  args: readonly string[],
  options: {
    readonly cwd: string;
    readonly logFile: string;
    /** The whole environment. @default this process's, with LANG=C */
    readonly env?: NodeJS.ProcessEnv;
    /**
     * Runs the command in a process group of its own and signals the whole group: for commands
     * that run the process under test as their child (`npm start`), which would outlive them.
     */
    readonly group?: boolean;
  },
): ManagedProcess => {
  const fd = openSync(options.logFile, 'a');
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    stdio: ['ignore', fd, fd],
    env: options.env ?? { ...process.env, LANG: 'C' },
    detached: options.group === true,
  });
  const kill = (signal: NodeJS.Signals): void => {
    if (options.group === true && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  };
  let exit: string | undefined;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal === null ? `exit code ${code}` : `signal ${signal}`;
      resolve();
    });
    child.once('error', (error) => {
      exit = `failed to start: ${error.message}`;
      resolve();
    });
  });
  const log = (): string => {
    try {
      return readFileSync(options.logFile, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    name,
    pid: child.pid,
    log,
    logTail: (lines = 30) => log().trimEnd().split('\n').slice(-lines).join('\n'),
    exited: () => exit,
    signal: (signal) => {
      if (exit === undefined) kill(signal);
    },
    stop: async (graceMs = 10_000) => {
      if (exit !== undefined) return;
      kill('SIGTERM');
      const timer = setTimeout(() => kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    },
  };
};

/** Thrown by a `waitFor` check to stop waiting at once (a process died, say). */
export class GiveUpError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'GiveUpError';
  }
}

/**
 * Polls `check` every `intervalMs` until it returns a value other than undefined; errors it throws
 * count as "not yet", except GiveUpError.
 *
 * @throws Error with `describe()`'s text when `timeoutMs` passes first
 */
export const waitFor = async <T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { readonly timeoutMs: number; readonly intervalMs?: number; readonly describe?: () => string },
): Promise<T> => {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof GiveUpError) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(
        `timed out after ${options.timeoutMs} ms waiting for ${what}${cause}\n${options.describe?.() ?? ''}`,
      );
    }
    await sleep(options.intervalMs ?? 250);
  }
};

/** GET `url` and return the body; throws for a non-2xx answer. */
export const httpGet = async (url: string, timeoutMs = 30_000): Promise<string> => {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${body.slice(0, 500)}`);
  return body;
};

/** Throws GiveUpError, with the log, if `process` has exited. */
export const assertRunning = (process: ManagedProcess): void => {
  const exited = process.exited();
  if (exited !== undefined)
    throw new GiveUpError(
      `${process.name} exited unexpectedly (${exited}); its log ends:\n${process.logTail()}`,
    );
};

/** Sleeps until `until` (epoch ms), failing at once if one of `processes` dies meanwhile. */
export const runUntil = async (until: number, processes: readonly ManagedProcess[]): Promise<void> => {
  while (Date.now() < until) {
    for (const child of processes) assertRunning(child);
    await sleep(Math.min(1_000, until - Date.now()));
  }
};

/** Waits until `url` answers 2xx, failing early (with its log) if the process exits. */
export const waitForHttp = (process: ManagedProcess, url: string, timeoutMs = 30_000): Promise<boolean> =>
  waitFor(
    `${process.name} to answer ${url}`,
    async () => {
      assertRunning(process);
      await httpGet(url, 2_000);
      return true;
    },
    { timeoutMs, describe: () => `${process.name} log:\n${process.logTail()}` },
  );
