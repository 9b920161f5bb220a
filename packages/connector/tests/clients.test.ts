import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeTableCommand,
  TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { createClientPool, streamlineWriteClient } from '../src/clients.js';
import { readFlags } from '../src/config.js';

const config = readFlags(
  [
    '--default-database=prom',
    '--default-table=metrics',
    '--credential-cache-size=2',
    '--write-base-endpoint=http://127.0.0.1:9',
  ],
  {},
);
const caller = (n: number) => ({ accessKeyId: `AKIDCALLER${n}`, secretAccessKey: `secret-${n}` });

describe('createClientPool (passthrough)', () => {
  it('gives each caller its own client and the same caller the same client', () => {
    const pool = createClientPool(config);
    const first = pool.acquire(caller(1));
    const again = pool.acquire(caller(1));
    const other = pool.acquire(caller(2));
    const sameKeyOtherSecret = pool.acquire({ accessKeyId: 'AKIDCALLER1', secretAccessKey: 'different' });
    expect(again.writeClient).toBe(first.writeClient);
    expect(other.writeClient).not.toBe(first.writeClient);
    expect(sameKeyOtherSecret.writeClient).not.toBe(first.writeClient);
    pool.destroy();
  });

  it('keeps at most credential-cache-size clients and destroys an evicted one after its last request', () => {
    // Prepare
    const pool = createClientPool(config);
    const inFlight = pool.acquire(caller(1));
    const destroyInFlight = jest.spyOn(inFlight.writeClient, 'destroy');
    const idle = pool.acquire(caller(2));
    idle.release();
    const destroyIdle = jest.spyOn(idle.writeClient, 'destroy');

    // Act: two more callers evict both.
    pool.acquire(caller(3)).release();
    pool.acquire(caller(4)).release();

    // Assess
    expect(pool.size()).toBe(2);
    expect(destroyIdle).toHaveBeenCalledTimes(1);
    expect(destroyInFlight).not.toHaveBeenCalled();
    inFlight.release();
    inFlight.release();
    expect(destroyInFlight).toHaveBeenCalledTimes(1);
    pool.destroy();
  });

  it('gives each caller a query client of its own too, destroyed with its write client on eviction', async () => {
    // Prepare
    const pool = createClientPool(config);
    const first = pool.acquire(caller(1));
    const again = pool.acquire(caller(1));
    const other = pool.acquire(caller(2));
    expect(again.queryClient).toBe(first.queryClient);
    expect(other.queryClient).not.toBe(first.queryClient);
    expect(await first.queryClient.config.credentials()).toMatchObject({ accessKeyId: 'AKIDCALLER1' });
    expect(await other.queryClient.config.credentials()).toMatchObject({ accessKeyId: 'AKIDCALLER2' });
    const destroyQuery = jest.spyOn(first.queryClient, 'destroy');
    const destroyWrite = jest.spyOn(first.writeClient, 'destroy');

    // Act: both leases end, then two other callers evict the pair.
    first.release();
    again.release();
    other.release();
    pool.acquire(caller(3)).release();
    pool.acquire(caller(4)).release();

    // Assess
    expect([destroyQuery.mock.calls.length, destroyWrite.mock.calls.length]).toEqual([1, 1]);
    pool.destroy();
  });

  it('does not grow with callers cycling through many keys', () => {
    const pool = createClientPool(config);
    for (let i = 0; i < 500; i++) pool.acquire(caller(i)).release();
    expect(pool.size()).toBe(2);
    pool.destroy();
  });
});

describe('streamlineWriteClient', () => {
  /** A server that keeps each request's body and headers and answers like WriteRecords. */
  const capture = async () => {
    const requests: { body: string; headers: IncomingHttpHeaders }[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        requests.push({ body: Buffer.concat(chunks).toString('utf8'), headers: request.headers });
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end('{"RecordsIngested":{"Total":2,"MemoryStore":2,"MagneticStore":0}}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { endpoint, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  };

  const input = {
    DatabaseName: 'prom',
    TableName: 'metrics',
    CommonAttributes: {
      Dimensions: [{ Name: 'job', Value: 'node "quoted" \\ ünïcode' }],
      MeasureValueType: 'DOUBLE' as const,
      TimeUnit: 'MILLISECONDS' as const,
    },
    Records: [
      { MeasureName: 'up', MeasureValue: '1', Time: '1700000000000' },
      { MeasureName: 'a\u0000b', Dimensions: [{ Name: 'i', Value: '\n' }], MeasureValue: '-0', Time: '1' },
    ],
  };

  const send = async (client: TimestreamWriteClient) => {
    const output = await client.send(new WriteRecordsCommand(input));
    client.destroy();
    return output;
  };

  it('sends the JSON body the SDK sends, with its headers, and reads the answer as the SDK does', async () => {
    // Prepare
    const server = await capture();
    const options = {
      region: 'us-east-1',
      endpoint: server.endpoint,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    };
    try {
      // Act
      const plain = await send(new TimestreamWriteClient(options));
      const streamlined = await send(streamlineWriteClient(new TimestreamWriteClient(options)));

      // Assess
      const [sdk, fast] = server.requests;
      expect(JSON.parse(fast?.body ?? '')).toEqual(JSON.parse(sdk?.body ?? ''));
      expect(JSON.parse(fast?.body ?? '')).toEqual(input);
      // The same JSON, not the same text: the SDK writes Records before CommonAttributes.
      expect(fast?.body).toBe(JSON.stringify(input));
      expect(sdk?.body).not.toBe(fast?.body);
      for (const header of ['content-type', 'x-amz-target', 'content-length'] as const)
        expect([header, fast?.headers[header]]).toEqual([header, sdk?.headers[header]]);
      expect(fast?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\//);
      expect(streamlined.RecordsIngested).toEqual(plain.RecordsIngested);
    } finally {
      await server.close();
    }
  });

  it('leaves other operations to the SDK serializer', async () => {
    // Prepare
    const server = await capture();
    const client = streamlineWriteClient(
      new TimestreamWriteClient({
        region: 'us-east-1',
        endpoint: server.endpoint,
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      }),
    );
    try {
      // Act
      await client
        .send(new DescribeTableCommand({ DatabaseName: 'prom', TableName: 'metrics' }))
        .catch(() => undefined);

      // Assess
      expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({
        DatabaseName: 'prom',
        TableName: 'metrics',
      });
      expect(server.requests[0]?.headers['x-amz-target']).toBe('Timestream_20181101.DescribeTable');
    } finally {
      client.destroy();
      await server.close();
    }
  });
});
