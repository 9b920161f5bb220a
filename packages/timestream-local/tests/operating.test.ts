import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import {
  CreateDatabaseCommand,
  CreateTableCommand,
  DescribeTableCommand,
  RejectedRecordsException,
  TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { startTimestreamLocal } from '../src/index.js';
import { credentials, thrown } from './helpers/emulator.js';

const NOW = Date.parse('2026-01-01T00:00:00.000Z');
const record = (value: string) => ({
  Dimensions: [{ Name: 'job', Value: 'node' }],
  MeasureName: 'up',
  MeasureValue: value,
  Time: String(NOW - 1000),
});

describe('endpoint discovery through AWS_ENDPOINT_URL_TIMESTREAM_WRITE', () => {
  it('answers DescribeEndpoints with the bare host, so the SDK writes to the emulator', async () => {
    // Prepare
    const emulator = await startTimestreamLocal({
      port: 0,
      now: () => NOW,
      create: ['prom.samples'],
      logLevel: 'error',
    });
    const saved = process.env.AWS_ENDPOINT_URL_TIMESTREAM_WRITE;
    process.env.AWS_ENDPOINT_URL_TIMESTREAM_WRITE = emulator.endpoint;
    const client = new TimestreamWriteClient({
      region: 'us-east-1',
      credentials: credentials('AKIDDISCOVERY'),
    });
    try {
      // Act
      await client.send(
        new WriteRecordsCommand({ DatabaseName: 'prom', TableName: 'samples', Records: [record('1')] }),
      );

      // Assess
      expect(emulator.requests().map((r) => [r.operation, r.accessKeyId, r.status])).toEqual([
        ['DescribeEndpoints', 'AKIDDISCOVERY', 200],
        ['WriteRecords', 'AKIDDISCOVERY', 200],
      ]);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_TIMESTREAM_WRITE;
      else process.env.AWS_ENDPOINT_URL_TIMESTREAM_WRITE = saved;
      client.destroy();
      await emulator.stop();
    }
  });
});

describe('the admin API', () => {
  it('sets a fault for one operation over HTTP, meters it, and clears it', async () => {
    // Prepare
    const emulator = await startTimestreamLocal({
      port: 0,
      now: () => NOW,
      create: ['prom.samples'],
      logLevel: 'error',
    });
    const query = new TimestreamQueryClient({
      endpoint: emulator.endpoint,
      region: 'us-east-1',
      credentials: credentials(),
      maxAttempts: 1,
    });
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${emulator.endpoint}/__admin/${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    try {
      // Act
      const set = await admin('POST', 'faults', { operation: 'Query', throttleRate: 1 });
      const throttled = await thrown(query.send(new QueryCommand({ QueryString: 'SELECT 1' })));
      const metering = (await (await admin('GET', 'metering')).json()) as { faults: unknown };
      await admin('DELETE', 'faults');
      const after = await query.send(new QueryCommand({ QueryString: 'SELECT 1' }));
      const bad = await admin('POST', 'faults', { throttleRate: 3 });

      // Assess
      expect(set.status).toBe(200);
      expect(throttled.name).toBe('ThrottlingException');
      expect(metering.faults).toEqual({ throttled: 1, errors: 0 });
      expect(after.Rows).toEqual([{ Data: [{ ScalarValue: '1' }] }]);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ message: 'throttleRate must be a number from 0 to 1, got 3' });
    } finally {
      query.destroy();
      await emulator.stop();
    }
  });

  it('delays answers by a latency rule', async () => {
    // Prepare
    const emulator = await startTimestreamLocal({
      port: 0,
      now: () => NOW,
      logLevel: 'error',
      faults: { latencyMs: 300 },
    });
    const query = new TimestreamQueryClient({
      endpoint: emulator.endpoint,
      region: 'us-east-1',
      credentials: credentials(),
    });
    try {
      // Act
      const started = performance.now();
      await query.send(new QueryCommand({ QueryString: 'SELECT 1' }));
      const elapsed = performance.now() - started;

      // Assess: a lower bound only; how much longer it takes is not this test's business.
      expect(elapsed).toBeGreaterThanOrEqual(290);
    } finally {
      query.destroy();
      await emulator.stop();
    }
  });
});

describe('--data-dir persistence', () => {
  it('keeps databases, tables, rows and record identities across restarts', async () => {
    // Prepare
    const dataDir = mkdtempSync(path.join(tmpdir(), 'timestream-local-'));
    const start = () => startTimestreamLocal({ port: 0, now: () => NOW, dataDir, logLevel: 'error' });
    const clients = (endpoint: string) => ({
      write: new TimestreamWriteClient({ endpoint, region: 'us-east-1', credentials: credentials() }),
      query: new TimestreamQueryClient({ endpoint, region: 'us-east-1', credentials: credentials() }),
    });
    try {
      const first = await start();
      const a = clients(first.endpoint);
      await a.write.send(new CreateDatabaseCommand({ DatabaseName: 'prom' }));
      await a.write.send(new CreateTableCommand({ DatabaseName: 'prom', TableName: 'samples' }));
      await a.write.send(
        new WriteRecordsCommand({ DatabaseName: 'prom', TableName: 'samples', Records: [record('1')] }),
      );
      a.write.destroy();
      a.query.destroy();
      await first.stop();

      // Act
      const second = await start();
      const b = clients(second.endpoint);
      const rows = await b.query.send(
        new QueryCommand({ QueryString: `SELECT "job", measure_value::double FROM "prom"."samples"` }),
      );
      await b.write.send(
        new WriteRecordsCommand({ DatabaseName: 'prom', TableName: 'samples', Records: [record('1')] }),
      );
      const conflict = await thrown(
        b.write.send(
          new WriteRecordsCommand({ DatabaseName: 'prom', TableName: 'samples', Records: [record('2')] }),
        ),
      );
      b.write.destroy();
      b.query.destroy();
      await second.stop();

      // Assess
      expect(rows.Rows).toEqual([{ Data: [{ ScalarValue: 'node' }, { ScalarValue: '1.0' }] }]);
      expect(conflict).toBeInstanceOf(RejectedRecordsException);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the timestream-local CLI', () => {
  const bin = path.join(__dirname, '..', 'bin', 'timestream-local.js');

  it('prints where it listens, serves, and stops cleanly on SIGTERM', async () => {
    // Prepare
    const child = spawn(
      process.execPath,
      [bin, '--port', '0', '--create', 'prom.samples', '--log-level', 'warn'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', () => reject(new Error('the CLI exited before listening')));
      });
      const endpoint = line.match(/^timestream-local listening on (http:\/\/127\.0\.0\.1:\d+)$/)?.[1];
      expect(endpoint).toBeDefined();

      // Act
      const client = new TimestreamWriteClient({
        endpoint: endpoint as string,
        region: 'us-east-1',
        credentials: credentials(),
      });
      const table = await client.send(
        new DescribeTableCommand({ DatabaseName: 'prom', TableName: 'samples' }),
      );
      client.destroy();
      child.kill('SIGTERM');

      // Assess
      expect(table.Table?.TableName).toBe('samples');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it.each([
    [['--port', 'eighty'], '--port must be a number from 0 to 65535, got "eighty"'],
    [['--throttle-rate', '2'], '--throttle-rate must be a number from 0 to 1, got "2"'],
    [['--create', 'nodot'], '--create expects DB.TABLE, got "nodot"'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j with a readable message', async (args, message) => {
    // Act
    const child = spawn(process.execPath, [bin, '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

    // Assess
    expect(code).not.toBe(0);
    expect(stderr).toContain(message);
  });
});

describe('rejected records in the log', () => {
  it.each([
    ['warn', true],
    ['error', false],
  ] as const)('at log level %s, says why each record was rejected: %s', async (logLevel, logged) => {
    // Prepare
    const emulator = await startTimestreamLocal({
      port: 0,
      now: () => NOW,
      create: ['prom.samples'],
      logLevel,
    });
    const client = new TimestreamWriteClient({
      endpoint: emulator.endpoint,
      region: 'us-east-1',
      credentials: credentials(),
    });
    const lines: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      // Only the emulator's own lines (the SDK may print its Node version warning here too).
      if (String(chunk).startsWith('timestream-local')) lines.push(String(chunk));
      return true;
    });
    try {
      // Act: 7 h old (outside the default 6 h memory store), then twice 2 minutes in the future.
      const old = { ...record('1'), Time: String(NOW - 7 * 3_600_000) };
      const error = await thrown(
        client.send(
          new WriteRecordsCommand({
            DatabaseName: 'prom',
            TableName: 'samples',
            Records: [old, record('1'), { ...old, Time: String(NOW - 8 * 3_600_000) }],
          }),
        ),
      );

      // Assess
      expect(error).toBeInstanceOf(RejectedRecordsException);
      const reason =
        'The record timestamp is outside the time range [2025-12-31T18:00:00.000Z, 2026-01-01T00:15:00.000Z) of the memory store.';
      expect((error as unknown as RejectedRecordsException).RejectedRecords?.map((r) => r.Reason)).toEqual([
        reason,
        reason,
      ]);
      expect(lines).toEqual(
        logged
          ? [
              `timestream-local warn: WriteRecords prom.samples: rejected 2 of 3 records: records 0, 2: ${reason}\n`,
            ]
          : [],
      );
    } finally {
      stderr.mockRestore();
      client.destroy();
      await emulator.stop();
    }
  });
});
