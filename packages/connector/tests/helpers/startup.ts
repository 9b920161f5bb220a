/**
 * Reads back what the CLI prints on stdout once it listens: blocks separated by an empty line,
 * each headed by `# ` comment lines. The prometheus.yml blocks are told apart by their keys.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(__dirname, '../../bin/timestream-prometheus-connector.js');

export interface StartupText {
  /** The writer's prometheus.yml (remote_write and remote_read), heading comments included. */
  readonly writer: string;
  /** The reader-only prometheus.yml (remote_read with read_recent). */
  readonly reader: string;
  /** The AWS CLI lines. */
  readonly awsCli: string;
}

/** Whether `stdout` holds the whole start-up text (the AWS CLI block comes last). */
export const startupComplete = (stdout: string): boolean => /^aws timestream-query query .*\n/m.test(stdout);

export const parseStartupText = (stdout: string): StartupText => {
  const blocks = stdout.split(/\n\n+/).map((block) => `${block.trimEnd()}\n`);
  const find = (what: string, predicate: (block: string) => boolean): string => {
    const found = blocks.filter(predicate);
    if (found.length !== 1) throw new Error(`expected one ${what} block in:\n${stdout}`);
    return found[0] as string;
  };
  return {
    writer: find('writer', (block) => /^remote_write:/m.test(block)),
    reader: find('reader', (block) => !/^remote_write:/m.test(block) && /^remote_read:/m.test(block)),
    awsCli: find('AWS CLI', (block) => /^aws timestream-query/m.test(block)),
  };
};

export interface Started {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdout: string;
  /** stderr so far (logs). */
  readonly stderr: () => string;
}

/** Spawns the CLI and resolves once it printed its start-up text; rejects if it exits first. */
export const startCli = (args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Started> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (startupComplete(stdout)) resolve({ child, stdout, stderr: () => stderr });
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) =>
      reject(new Error(`exited with ${code} before printing its start-up text:\n${stdout}\n${stderr}`)),
    );
  });

export interface Exited {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Spawns the CLI and resolves once it exits; a process still running after `limitMs` is killed
 * and resolves with its signal (SIGKILL), so a failed start that stays up fails the assertion.
 */
export const runCli = (args: readonly string[], limitMs = 10_000): Promise<Exited> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
