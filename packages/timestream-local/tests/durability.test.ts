import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { type _Record, TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import { TimestreamStore } from '../src/store.js';
import { credentials, thrown } from './helpers/emulator.js';

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

interface DataDirRun {
  /** Starts the CLI over the run's data dir; every child started is SIGKILLed when the run ends. */
  readonly start: () => Promise<{ child: ChildProcess; endpoint: string }>;
  /** A real SDK write client for `endpoint` with the tests' credentials. */
  readonly writer: (endpoint: string) => TimestreamWriteClient;
}

/** Runs `body` over a fresh data dir, then kills what it started and removes the dir. */
const withDataDir = async (body: (run: DataDirRun) => Promise<void>): Promise<void> => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'timestream-local-durability-'));
  const children: ChildProcess[] = [];
  try {
    await body({
      start: async () => {
        const started = await startCli(dataDir);
        children.push(started.child);
        return started;
      },
      writer: (endpoint) =>
        new TimestreamWriteClient({ endpoint, region: 'us-east-1', credentials: credentials() }),
    });
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(children.map(exitOf));
    rmSync(dataDir, { recursive: true, force: true });
  }
};

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

const BATCHES = 12;
const BATCH_RECORDS = 100;
/** Versions 1 … ACKED_VERSION are each acknowledged for every batch; the next one is in flight. */
const ACKED_VERSION = 3;
/** Answers of the last, concurrent round to wait for before the kill. */
const ANSWERS_BEFORE_KILL = 4;

/** Batch `batch` at `version`: distinct times per record, and a value that names the version. */
const versionedRecords = (batch: number, version: number, now: number): _Record[] =>
  Array.from({ length: BATCH_RECORDS }, (_, i) => ({
    Dimensions: [{ Name: 'job', Value: 'node' }],
    MeasureName: 'up',
    MeasureValue: String(version),
    Time: String(now - 60_000 - batch * BATCH_RECORDS - i),
    Version: version,
  }));

/** Every row of `prom.samples` as time (ms) → the values stored at that time, all pages read. */
const storedValues = async (endpoint: string): Promise<Map<number, string[]>> => {
  const query = new TimestreamQueryClient({ endpoint, region: 'us-east-1', credentials: credentials() });
  const values = new Map<number, string[]>();
  try {
    let nextToken: string | undefined;
    do {
      const page = await query.send(
        new QueryCommand({
          QueryString: 'SELECT to_milliseconds(time), measure_value::double FROM prom.samples',
          NextToken: nextToken,
        }),
      );
      for (const row of page.Rows ?? []) {
        const [time, value] = (row.Data ?? []).map((d) => d.ScalarValue);
        const key = Number(time);
        values.set(key, [...(values.get(key) ?? []), String(Number(value))]);
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
  } finally {
    query.destroy();
  }
  return values;
};

describe('timestream-local with a data dir, killed right after acknowledging writes', () => {
  it('keeps every acknowledged record across SIGKILL and a restart', () =>
    withDataDir(async ({ start, writer }) => {
      // Prepare
      const first = await start();
      const write = writer(first.endpoint);
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
      const second = await start();
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
    }));

  it(
    'keeps every acknowledged overwrite (a higher Version) exactly once, killed with overwrites in flight',
    () =>
      withDataDir(async ({ start, writer }) => {
        // Prepare: every batch written at version 1, then overwritten at each higher version up to
        // ACKED_VERSION, each call acknowledged; identical resends (same version, same value) between.
        const first = await start();
        const write = writer(first.endpoint);
        const now = Date.now();
        const send = (batch: number, version: number) =>
          write.send(
            new WriteRecordsCommand({
              DatabaseName: 'prom',
              TableName: 'samples',
              Records: versionedRecords(batch, version, now),
            }),
          );
        let calls = 0;
        let acknowledged = 0;
        for (let version = 1; version <= ACKED_VERSION; version++) {
          for (let batch = 0; batch < BATCHES; batch++) {
            for (let copy = 0; copy < (batch % 3 === 0 ? 2 : 1); copy++) {
              acknowledged += (await send(batch, version)).RecordsIngested?.Total ?? 0;
              calls++;
            }
          }
        }
        /** The version each batch's last acknowledged call wrote. */
        const ackedVersion = Array.from({ length: BATCHES }, () => ACKED_VERSION);

        // Act: every batch overwritten once more, all calls in flight at once (the emulator stores
        // them one after the other). Once ANSWERS_BEFORE_KILL of them are answered, SIGKILL half a
        // call's time later (the mean gap between those answers), while the emulator is replacing
        // the next batch's acknowledged rows; then a restart on the same dir.
        const next = ACKED_VERSION + 1;
        const answeredAt: number[] = [];
        const failedBeforeKill: unknown[] = [];
        let killed = false;
        await new Promise<void>((resolve) => {
          const kill = () => {
            killed = true;
            first.child.kill('SIGKILL');
            resolve();
          };
          for (let batch = 0; batch < BATCHES; batch++) {
            send(batch, next).then(
              () => {
                if (killed) return;
                ackedVersion[batch] = next;
                answeredAt.push(performance.now());
                if (answeredAt.length === BATCHES) kill();
                if (answeredAt.length !== ANSWERS_BEFORE_KILL) return;
                const gap =
                  ((answeredAt.at(-1) as number) - (answeredAt[0] as number)) / (ANSWERS_BEFORE_KILL - 1);
                setTimeout(kill, gap / 2);
              },
              (error: unknown) => {
                // A call failing while the emulator is up is a failure of its own (and would leave
                // this promise waiting): recorded, and the kill comes at once.
                if (killed) return;
                failedBeforeKill.push(error);
                kill();
              },
            );
          }
        });
        await exitOf(first.child);
        write.destroy();
        const second = await start();
        const stored = await storedValues(second.endpoint);

        // Assess: each record once, with its last acknowledged value, or the in-flight one after it.
        expect(acknowledged).toBe(calls * BATCH_RECORDS);
        expect(failedBeforeKill).toEqual([]);
        const wrong: string[] = [];
        for (let batch = 0; batch < BATCHES; batch++) {
          const allowed =
            ackedVersion[batch] === next ? [String(next)] : [String(ACKED_VERSION), String(next)];
          for (const record of versionedRecords(batch, next, now)) {
            const values = stored.get(Number(record.Time)) ?? [];
            if (values.length !== 1 || !allowed.includes(values[0] as string))
              wrong.push(
                `batch ${batch} time ${record.Time}: [${values.join(', ')}], expected one of ${allowed}`,
              );
          }
        }
        expect({
          rows: [...stored.values()].flat().length,
          wrong: wrong.slice(0, 5),
          wrongCount: wrong.length,
        }).toEqual({
          rows: BATCHES * BATCH_RECORDS,
          wrong: [],
          wrongCount: 0,
        });
      }),
    30_000,
  );
});

describe('timestream-local with a data dir, when storing a call fails', () => {
  it('leaves the table as it was when an overwrite fails to be stored, and stores its retry', async () => {
    // Prepare: 100 records stored at version 1; then a column added behind the store's back, so
    // the next call's DELETEs run and its appender fails on its first row (one column short).
    const dataDir = mkdtempSync(path.join(tmpdir(), 'timestream-local-durability-'));
    const store = await TimestreamStore.open({ dataDir });
    try {
      store.createDatabase('prom', undefined);
      await store.createTable({ DatabaseName: 'prom', TableName: 'samples' });
      const now = Date.now();
      const write = (version: number) =>
        store.writeRecords({
          DatabaseName: 'prom',
          TableName: 'samples',
          Records: versionedRecords(0, version, now),
        });
      await write(1);
      const schema = store.lookup('prom', 'samples');
      if (typeof schema === 'string') throw new Error(`no table: ${schema}`);
      const table = `"${schema.physicalName}"`;
      const values = async () =>
        (
          await (
            await store.forReading()
          ).runAndReadAll(
            `SELECT "measure_value::double" AS v, count(*) AS n FROM ${table} GROUP BY v ORDER BY v`,
          )
        ).getRowObjectsJson();
      await (await store.forReading()).run(`ALTER TABLE ${table} ADD COLUMN extra VARCHAR`);

      // Act: the overwrite fails; the column is removed; the same call is sent again.
      const failure = await thrown(write(2));
      const afterFailure = await values();
      await (await store.forReading()).run(`ALTER TABLE ${table} DROP COLUMN extra`);
      const retry = await write(2);

      // Assess: the failed call changed nothing (before, its DELETEs had committed: 0 rows), and
      // its retry was stored, not taken for an identical resend.
      expect(failure.message).toMatch(/column/i);
      expect(afterFailure).toEqual([{ v: 1, n: '100' }]);
      expect(retry.ingested).toBe(BATCH_RECORDS);
      expect(await values()).toEqual([{ v: 2, n: '100' }]);
    } finally {
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('takes back the identities of new records that fail to be stored, and stores their retry', async () => {
    // Prepare: one batch stored; then a column added behind the store's back, so that the next
    // call's appender fails (one column short). Its records are new: a later and an earlier batch,
    // interleaved with the stored one in time.
    const dataDir = mkdtempSync(path.join(tmpdir(), 'timestream-local-durability-'));
    const store = await TimestreamStore.open({ dataDir });
    try {
      store.createDatabase('prom', undefined);
      await store.createTable({ DatabaseName: 'prom', TableName: 'samples' });
      const now = Date.now();
      const write = (records: _Record[]) =>
        store.writeRecords({ DatabaseName: 'prom', TableName: 'samples', Records: records });
      await write(versionedRecords(1, 1, now));
      const schema = store.lookup('prom', 'samples');
      if (typeof schema === 'string') throw new Error(`no table: ${schema}`);
      const table = `"${schema.physicalName}"`;
      const rows = async () =>
        (
          await (await store.forReading()).runAndReadAll(`SELECT count(*) AS n FROM ${table}`)
        ).getRowObjectsJson();
      await (await store.forReading()).run(`ALTER TABLE ${table} ADD COLUMN extra VARCHAR`);
      const fresh = [
        ...versionedRecords(0, 1, now).slice(0, 50),
        ...versionedRecords(2, 1, now).slice(0, 50),
      ];

      // Act
      const failure = await thrown(write(fresh));
      const afterFailure = await rows();
      await (await store.forReading()).run(`ALTER TABLE ${table} DROP COLUMN extra`);
      const retry = await write(fresh);
      const resend = await write(fresh);

      // Assess: the retry was stored, not taken for an identical resend; the resend after it was.
      expect(failure.message).toMatch(/column/i);
      expect(afterFailure).toEqual([{ n: '100' }]);
      expect(retry.ingested).toBe(100);
      expect(resend.ingested).toBe(100);
      expect(await rows()).toEqual([{ n: '200' }]);
    } finally {
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
