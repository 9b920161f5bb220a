import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { type _Record, TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import { credentials } from './helpers/emulator.js';

const bin = path.join(__dirname, '..', 'bin', 'timestream-local.js');
const CALLS = 10;
const RECORDS_PER_CALL = 100;

/** Starts the CLI on a free port over `dataDir` and resolves with the child and its endpoint. */
const startCli = async (dataDir: string): Promise<{ child: ChildProcess; endpoint: string }> => {
  const child = spawn(
    process.execPath,
    [bin, '--port', '0', '--data-dir', dataDir, '--create', 'prom.samples', '--log-level', 'error'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
    child.once('exit', () => reject(new Error('the CLI exited before listening')));
  });
  const endpoint = line.match(/^timestream-local listening on (http:\/\/127\.0\.0\.1:\d+)$/)?.[1];
  if (endpoint === undefined) throw new Error(`unexpected first line: ${line}`);
  return { child, endpoint };
};

const exitOf = (child: ChildProcess): Promise<unknown> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', resolve));

/** Call `call`'s records: distinct times; the last call adds a dimension, so it changes the schema too. */
const recordsOf = (call: number, now: number): _Record[] =>
  Array.from({ length: RECORDS_PER_CALL }, (_, i) => ({
    Dimensions: [
      { Name: 'job', Value: 'node' },
      ...(call === CALLS - 1 ? [{ Name: 'instance', Value: 'host-1:9100' }] : []),
    ],
    MeasureName: 'up',
    MeasureValue: '1',
    Time: String(now - 60_000 - call * RECORDS_PER_CALL - i),
  }));

describe('timestream-local with a data dir, killed right after acknowledging writes', () => {
  it('keeps every acknowledged record across SIGKILL and a restart', async () => {
    // Prepare
    const dataDir = mkdtempSync(path.join(tmpdir(), 'timestream-local-durability-'));
    const children: ChildProcess[] = [];
    try {
      const first = await startCli(dataDir);
      children.push(first.child);
      const write = new TimestreamWriteClient({
        endpoint: first.endpoint,
        region: 'us-east-1',
        credentials: credentials(),
      });
      const now = Date.now();

      // Act: every call answered 2xx, then SIGKILL with no pause, then a restart on the same dir.
      let acknowledged = 0;
      for (let call = 0; call < CALLS; call++) {
        const result = await write.send(
          new WriteRecordsCommand({
            DatabaseName: 'prom',
            TableName: 'samples',
            Records: recordsOf(call, now),
          }),
        );
        acknowledged += result.RecordsIngested?.Total ?? 0;
      }
      first.child.kill('SIGKILL');
      await exitOf(first.child);
      write.destroy();
      const second = await startCli(dataDir);
      children.push(second.child);
      const query = new TimestreamQueryClient({
        endpoint: second.endpoint,
        region: 'us-east-1',
        credentials: credentials(),
      });
      const result = await query.send(
        new QueryCommand({ QueryString: 'SELECT count(*), count(instance) FROM prom.samples' }),
      );
      query.destroy();

      // Assess
      expect(acknowledged).toBe(CALLS * RECORDS_PER_CALL);
      expect(result.Rows?.[0]?.Data?.map((d) => d.ScalarValue)).toEqual([
        String(CALLS * RECORDS_PER_CALL),
        String(RECORDS_PER_CALL),
      ]);
    } finally {
      for (const child of children) child.kill('SIGKILL');
      await Promise.all(children.map(exitOf));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
