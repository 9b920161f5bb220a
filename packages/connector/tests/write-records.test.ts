/**
 * The lean WriteRecords path against the SDK it replaces: both talk to the same scripted
 * capturing server on loopback, and every case compares what the lean path sends and how it ends
 * (outcome, error shape, attempts, classification) with what TimestreamWriteClient +
 * WriteRecordsCommand do for the same answers.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { SignatureV4 } from '@smithy/signature-v4';
import { createClientPool, USER_AGENT } from '../src/clients.js';
import { readFlags } from '../src/config.js';
import { classifyTimestreamError } from '../src/timestream-errors.js';
import { createLeanWriteRecords, type LeanWriteRecordsOptions } from '../src/write-records.js';

const credentials = { accessKeyId: 'AKIDLEAN', secretAccessKey: 'lean-secret', sessionToken: 'lean-token' };
const destination = { database: 'prom', table: 'metrics' };
const TYPE = 'com.amazonaws.timestream.v20181101#';

/** A WriteRecords input of 100 records, in the schema's member order (see WriteRecordsCall). */
const input = {
  DatabaseName: destination.database,
  TableName: destination.table,
  Records: Array.from({ length: 100 }, (_, i) => ({
    Dimensions: [{ Name: 'instance', Value: `host-${i % 7}:9100` }],
    MeasureName: 'node_cpu_seconds_total',
    MeasureValue: String(i * 1.5),
    Time: String(1_700_000_000_000 + i),
  })),
  CommonAttributes: { MeasureValueType: 'DOUBLE' as const, TimeUnit: 'MILLISECONDS' as const },
};
const body = JSON.stringify(input);

// --- The scripted capturing server ---------------------------------------------------------------

/** What the server does with one WriteRecords request. */
type Answer =
  | { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string }
  | 'reset'
  | 'hang';

interface Seen {
  readonly target: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'req-1', ...headers },
  body: JSON.stringify(value),
});
const fault = (status: number, name: string, message: string, extra: object = {}): Answer =>
  json(status, { __type: `${TYPE}${name}`, message, ...extra });
const OK = json(200, { RecordsIngested: { Total: 100, MemoryStore: 100, MagneticStore: 0 } });

const startServer = async (
  script: Answer[],
  describeEndpoints: () => Answer = () =>
    json(200, { Endpoints: [{ Address: '127.0.0.1', CachePeriodInMinutes: 1 }] }),
) => {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']).split('.')[1] ?? '';
      seen.push({ target, url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      const answer = target === 'DescribeEndpoints' ? describeEndpoints() : (script.shift() ?? OK);
      if (answer === 'hang') return;
      if (answer === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body ?? '');
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    seen,
    writes: () => seen.filter((request) => request.target === 'WriteRecords'),
    discoveries: () => seen.filter((request) => request.target === 'DescribeEndpoints').length,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};

type Server = Awaited<ReturnType<typeof startServer>>;

// --- The two sides ----------------------------------------------------------------------------

interface Side {
  readonly maxAttempts?: number;
  /** Discovery through DescribeEndpoints (the regional endpoint resolved to the server). */
  readonly discovery?: boolean;
  readonly requestTimeoutMs?: number;
  /** The SDK's own strategy with its real backoff instead of a 1 ms one. */
  readonly sdkBackoff?: boolean;
}

/** A write client as clients.ts builds it, on the capturing server. */
const writeClientFor = (server: Server, side: Side) => {
  const maxAttempts = side.maxAttempts ?? 3;
  const url = `http://127.0.0.1:${server.port}`;
  return new TimestreamWriteClient({
    region: 'us-east-1',
    credentials,
    customUserAgent: USER_AGENT,
    maxAttempts,
    ...(side.sdkBackoff ? {} : { retryStrategy: new ConfiguredRetryStrategy(maxAttempts, 1) }),
    ...(side.discovery ? { endpointProvider: () => ({ url: new URL(url) }) } : { endpoint: url }),
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: side.requestTimeoutMs ?? 20_000,
      // The lean path's timeout always fails the call; the SDK's only with this.
      throwOnRequestTimeout: true,
    },
  });
};

type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

const outcomeOf = async (call: Promise<unknown>): Promise<Outcome> => {
  try {
    await call;
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
};

const viaSdk = async (server: Server, side: Side, signal?: AbortSignal) => {
  const client = writeClientFor(server, side);
  try {
    return await outcomeOf(
      client.send(new WriteRecordsCommand(input), signal ? { abortSignal: signal } : {}),
    );
  } finally {
    client.destroy();
  }
};

const viaLean = async (
  server: Server,
  side: Side,
  signal = new AbortController().signal,
  options: LeanWriteRecordsOptions = {},
) => {
  const client = writeClientFor(server, side);
  const lean = createLeanWriteRecords(client, {
    ...(side.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: side.requestTimeoutMs }),
    ...options,
  });
  try {
    return await outcomeOf(lean.writeRecords(body, signal));
  } finally {
    lean.destroy();
    client.destroy();
  }
};

/** Everything writeBatches and classifyTimestreamError read of an outcome, and a bit more. */
const shapeOf = (outcome: Outcome) => {
  if (outcome.ok) return { ok: true };
  const error = outcome.error as Error & Record<string, unknown>;
  const metadata = (error.$metadata ?? {}) as Record<string, unknown>;
  const classified = classifyTimestreamError(error, destination, 'passthrough', 'write');
  return {
    ok: false,
    class: error.constructor.name,
    name: error.name,
    message: error.message,
    code: error.code,
    fault: error.$fault,
    status: metadata.httpStatusCode,
    requestId: metadata.requestId,
    attempts: metadata.attempts,
    rejectedRecords: error.RejectedRecords,
    reason: (error.reason as Error | undefined)?.name,
    classified:
      classified === undefined
        ? undefined
        : { class: classified.name, status: classified.status, message: classified.message },
  };
};

/** Runs the SDK and the lean path on two servers with the same script. */
const both = async (script: Answer[], side: Side = {}, signals?: () => AbortSignal) => {
  const sdkServer = await startServer([...script]);
  const leanServer = await startServer([...script]);
  try {
    const sdk = await viaSdk(sdkServer, side, signals?.());
    const lean = await viaLean(leanServer, side, signals?.());
    return { sdk, lean, sdkServer, leanServer };
  } finally {
    await sdkServer.close();
    await leanServer.close();
  }
};

// --- What goes on the wire ---------------------------------------------------------------------

/** x-amz-date (20240102T030405Z) as a Date. */
const dateOf = (amzDate: string): Date =>
  new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));

describe('the lean WriteRecords path sends what the SDK sends', () => {
  it.each([
    { description: 'custom endpoint', discovery: false },
    { description: 'discovered endpoint', discovery: true },
  ])('method, path, signed headers and body bytes ($description)', async ({ discovery }) => {
    // Prepare
    const { sdkServer, leanServer, sdk, lean } = await both([], { discovery });
    const [fromSdk] = sdkServer.writes();
    const [fromLean] = leanServer.writes();
    if (fromSdk === undefined || fromLean === undefined) throw new Error('no WriteRecords arrived');
    const signedOf = (seen: Seen) =>
      /SignedHeaders=([^,]+)/.exec(String(seen.headers.authorization))?.[1]?.split(';') ?? [];

    // Assess
    expect(sdk).toEqual({ ok: true });
    expect(lean).toEqual({ ok: true });
    expect(leanServer.discoveries()).toBe(sdkServer.discoveries());
    expect(fromLean.url).toBe(fromSdk.url);
    expect(fromLean.body.equals(fromSdk.body)).toBe(true);
    expect(signedOf(fromLean)).toEqual(signedOf(fromSdk));
    for (const name of signedOf(fromSdk)) {
      if (['amz-sdk-invocation-id', 'x-amz-date', 'host'].includes(name)) continue;
      expect([name, fromLean.headers[name]]).toEqual([name, fromSdk.headers[name]]);
    }
    expect(fromLean.headers.host).toBe(`127.0.0.1:${leanServer.port}`);
    expect(fromLean.headers['x-amz-security-token']).toBe(credentials.sessionToken);
    expect(fromLean.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(fromLean.headers['amz-sdk-invocation-id']).toMatch(/^[0-9a-f-]{36}$/);
    // The SDK adds its feature codes (m/…) to user-agent; the lean path has none to report.
    expect(String(fromLean.headers['user-agent'])).toBe(
      String(fromSdk.headers['user-agent']).replace(/ m\/\S+/, ''),
    );
  });

  it('signs so that SignatureV4 computes the same signature from what arrived', async () => {
    // Prepare
    const server = await startServer([]);
    await viaLean(server, {});
    await server.close();
    const [seen] = server.writes();
    if (seen === undefined) throw new Error('no WriteRecords arrived');
    const authorization = String(seen.headers.authorization);
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
    const headers = Object.fromEntries(signedHeaders.map((name) => [name, String(seen.headers[name])]));

    // Act
    const verifier = new SignatureV4({
      credentials,
      region: 'us-east-1',
      service: 'timestream',
      sha256: writeClientFor(server, {}).config.sha256,
    });
    const recomputed = await verifier.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: server.port,
        path: seen.url,
        query: {},
        headers,
        body: seen.body,
      },
      { signingDate: dateOf(String(seen.headers['x-amz-date'])) },
    );

    // Assess
    expect(authorization).toContain(`Credential=${credentials.accessKeyId}/`);
    expect(recomputed.headers.authorization).toBe(authorization);
  });
});

// --- How each answer ends ----------------------------------------------------------------------

describe('the lean WriteRecords path ends every answer as the SDK does', () => {
  const rejected = fault(400, 'RejectedRecordsException', 'One or more records have been rejected.', {
    RejectedRecords: [{ RecordIndex: 3, Reason: 'The record timestamp is outside the time range.' }],
  });
  const throttled = fault(400, 'ThrottlingException', 'Rate exceeded');

  it.each<{ description: string; script: Answer[]; side?: Side; attempts: number; ok: boolean }>([
    { description: 'success', script: [OK], attempts: 1, ok: true },
    { description: 'RejectedRecordsException', script: [rejected], attempts: 1, ok: false },
    {
      description: 'ValidationException',
      script: [fault(400, 'ValidationException', 'Invalid time unit')],
      attempts: 1,
      ok: false,
    },
    { description: 'ThrottlingException, then success', script: [throttled, OK], attempts: 2, ok: true },
    {
      description: 'ThrottlingException until the attempts are spent',
      script: [throttled, throttled, throttled],
      attempts: 3,
      ok: false,
    },
    {
      description: 'InternalServerException (500), then success',
      script: [fault(500, 'InternalServerException', 'Internal error'), OK],
      attempts: 2,
      ok: true,
    },
    {
      description: '503 with a body that is not JSON, then success',
      script: [{ status: 503, body: '<html>Service Unavailable</html>' }, OK],
      attempts: 2,
      ok: true,
    },
    {
      description: '503 with an empty body, until the attempts are spent',
      script: [{ status: 503 }, { status: 503 }],
      side: { maxAttempts: 2 },
      attempts: 2,
      ok: false,
    },
    {
      description: 'AccessDeniedException',
      script: [fault(400, 'AccessDeniedException', 'not authorized to perform timestream:WriteRecords')],
      attempts: 1,
      ok: false,
    },
    {
      description: 'ResourceNotFoundException',
      script: [fault(400, 'ResourceNotFoundException', 'The table metrics does not exist.')],
      attempts: 1,
      ok: false,
    },
    {
      description: 'error name from the x-amzn-errortype header',
      script: [{ status: 400, headers: { 'x-amzn-errortype': 'UnrecognizedClientException:http://x' } }],
      attempts: 1,
      ok: false,
    },
    {
      description: 'an error the model does not know',
      script: [fault(400, 'SomethingNew', 'new in 2030')],
      attempts: 1,
      ok: false,
    },
    { description: 'connection reset, then success', script: ['reset', OK], attempts: 2, ok: true },
    {
      description: 'no answer within the request timeout, twice',
      script: ['hang', 'hang'],
      side: { maxAttempts: 2, requestTimeoutMs: 200 },
      attempts: 2,
      ok: false,
    },
    {
      description: 'ThrottlingException, then success, with the SDK’s own backoff and jitter',
      script: [throttled, OK],
      side: { sdkBackoff: true },
      attempts: 2,
      ok: true,
    },
  ])('$description', async ({ script, side, attempts, ok }) => {
    // Act
    const { sdk, lean, sdkServer, leanServer } = await both(script, side);

    // Assess
    expect(shapeOf(lean)).toEqual(shapeOf(sdk));
    expect(lean.ok).toBe(ok);
    expect(leanServer.writes()).toHaveLength(attempts);
    expect(sdkServer.writes()).toHaveLength(attempts);
    expect(leanServer.writes().map((seen) => seen.headers['amz-sdk-request'])).toEqual(
      sdkServer.writes().map((seen) => seen.headers['amz-sdk-request']),
    );
  });

  it('fails with the socket’s error, retried, when the connection is reset on every attempt', async () => {
    // Act
    const { sdk, lean, sdkServer, leanServer } = await both(['reset', 'reset'], { maxAttempts: 2 });

    // Assess: under Jest, node's socket error comes from another realm, so the SDK's asSdkError
    // (`instanceof Error`) wraps it as "AWS SDK error wrapper for TimeoutError: socket hang up";
    // outside Jest it keeps the error as is, as the lean path does everywhere.
    expect(shapeOf(lean)).toMatchObject({
      name: 'TimeoutError',
      code: 'ECONNRESET',
      message: 'socket hang up',
      attempts: 2,
      classified: { class: 'TimestreamUnavailableError', status: 503 },
    });
    expect(shapeOf(sdk)).toMatchObject({
      message: expect.stringContaining('TimeoutError: socket hang up'),
      attempts: 2,
      classified: { class: 'TimestreamUnavailableError', status: 503 },
    });
    expect(leanServer.writes()).toHaveLength(2);
    expect(sdkServer.writes()).toHaveLength(2);
  });

  it('keeps the answer’s RejectedRecords and $metadata as writeBatches reads them', async () => {
    const { lean } = await both([rejected]);
    expect(lean.ok).toBe(false);
    const error = (lean as { error: Record<string, unknown> }).error;
    expect(error.RejectedRecords).toEqual([
      { RecordIndex: 3, Reason: 'The record timestamp is outside the time range.' },
    ]);
    expect(error.$metadata).toMatchObject({ httpStatusCode: 400, requestId: 'req-1', attempts: 1 });
  });

  it('ends with the SDK’s AbortError when the request’s signal aborts mid-call', async () => {
    // Prepare: the server never answers; each side aborts its own call after a moment.
    const signals = () => AbortSignal.timeout(100);

    // Act
    const { sdk, lean, leanServer } = await both(['hang'], {}, signals);

    // Assess
    expect(shapeOf(lean)).toEqual(shapeOf(sdk));
    expect(shapeOf(lean)).toMatchObject({ name: 'AbortError', classified: { status: 503 } });
    expect(leanServer.writes()).toHaveLength(1);
  });

  it('fails at once on a signal aborted before the call', async () => {
    const server = await startServer([]);
    const aborted = AbortSignal.abort();
    const sdk = await viaSdk(server, {}, aborted);
    const lean = await viaLean(server, {}, aborted);
    await server.close();
    expect(shapeOf(lean)).toMatchObject({ ok: false, name: 'AbortError' });
    expect(shapeOf(sdk)).toMatchObject({ ok: false, name: 'AbortError' });
    expect(server.writes()).toHaveLength(0);
  });

  it('corrects its clock from the Date of a skew error and retries, signing with the server’s time', async () => {
    // Prepare: the server's clock is 10 minutes ahead of ours.
    const ahead = new Date(Date.now() + 10 * 60_000).toUTCString();
    const skewed = json(
      400,
      { __type: `${TYPE}InvalidSignatureException`, message: 'Signature expired' },
      { date: ahead },
    );

    // Act
    const { sdk, lean, sdkServer, leanServer } = await both([skewed, OK]);

    // Assess
    expect(shapeOf(lean)).toEqual(shapeOf(sdk));
    const signedAt = (server: Server) =>
      server.writes().map((seen) => dateOf(String(seen.headers['x-amz-date'])));
    for (const server of [sdkServer, leanServer]) {
      const [first, second] = signedAt(server);
      expect(server.writes()).toHaveLength(2);
      expect(Number(second) - Number(first)).toBeGreaterThan(9 * 60_000);
    }
  });
});

// --- Endpoint discovery ------------------------------------------------------------------------

describe('endpoint discovery on the lean WriteRecords path', () => {
  it('discovers once, keeps the endpoint for CachePeriodInMinutes, then discovers again', async () => {
    // Prepare
    const server = await startServer([]);
    let now = 1_000_000;
    const client = writeClientFor(server, { discovery: true });
    const lean = createLeanWriteRecords(client, { now: () => now });
    const signal = new AbortController().signal;

    // Act
    await lean.writeRecords(body, signal);
    await lean.writeRecords(body, signal);
    const afterTwo = server.discoveries();
    now += 59_000;
    await lean.writeRecords(body, signal);
    const beforeExpiry = server.discoveries();
    now += 2_000;
    await lean.writeRecords(body, signal);

    // Assess
    expect(afterTwo).toBe(1);
    expect(beforeExpiry).toBe(1);
    expect(server.discoveries()).toBe(2);
    expect(server.writes()).toHaveLength(4);
    lean.destroy();
    client.destroy();
    await server.close();
  });

  it('sends one DescribeEndpoints for calls that start together, as the SDK does', async () => {
    const server = await startServer([]);
    const client = writeClientFor(server, { discovery: true });
    const lean = createLeanWriteRecords(client);
    const signal = new AbortController().signal;
    await Promise.all([1, 2, 3].map(() => lean.writeRecords(body, signal)));
    const sdkClient = writeClientFor(server, { discovery: true });
    await Promise.all([1, 2, 3].map(() => sdkClient.send(new WriteRecordsCommand(input))));
    expect(server.discoveries()).toBe(2);
    expect(server.writes()).toHaveLength(6);
    lean.destroy();
    client.destroy();
    sdkClient.destroy();
    await server.close();
  });

  it('discovers again and retries when Timestream answers InvalidEndpointException', async () => {
    // Act
    const invalid = fault(421, 'InvalidEndpointException', 'The endpoint is no longer valid.');
    const { sdk, lean, sdkServer, leanServer } = await both([invalid, OK], { discovery: true });

    // Assess: the lean path recovers; the SDK keeps the endpoint until it expires and fails.
    expect(lean).toEqual({ ok: true });
    expect(leanServer.discoveries()).toBe(2);
    expect(leanServer.writes()).toHaveLength(2);
    expect(shapeOf(sdk)).toMatchObject({ name: 'InvalidEndpointException', attempts: 1 });
    expect(sdkServer.discoveries()).toBe(1);
  });

  it('fails as the SDK does when DescribeEndpoints fails, so the real error is classified', async () => {
    // Prepare
    const denied = () =>
      fault(400, 'AccessDeniedException', 'not authorized to perform timestream:DescribeEndpoints');
    const sdkServer = await startServer([], denied);
    const leanServer = await startServer([], denied);

    // Act
    const sdk = await viaSdk(sdkServer, { discovery: true });
    const lean = await viaLean(leanServer, { discovery: true });
    await sdkServer.close();
    await leanServer.close();

    // Assess
    const { attempts: _, ...leanShape } = shapeOf(lean);
    const { attempts: __, ...sdkShape } = shapeOf(sdk);
    expect(leanShape).toEqual(sdkShape);
    expect(leanShape).toMatchObject({
      reason: 'AccessDeniedException',
      classified: { class: 'DestinationMisconfiguredError' },
    });
    expect(leanServer.writes()).toHaveLength(0);
  });
});

describe('ClientLease.writeRecords', () => {
  it('writes through the pair’s write client and closes its sockets with the pool', async () => {
    // Prepare
    const server = await startServer([fault(400, 'ValidationException', 'bad')]);
    const config = readFlags(
      [
        '--default-database=prom',
        '--default-table=metrics',
        `--write-base-endpoint=http://127.0.0.1:${server.port}`,
        '--auth=passthrough',
      ],
      {},
    );
    const pool = createClientPool(config);
    const lease = pool.acquire(credentials);
    const signal = new AbortController().signal;

    // Act
    const failed = await outcomeOf(lease.writeRecords(body, signal));
    const written = await outcomeOf(lease.writeRecords(body, signal));
    lease.release();
    pool.destroy();

    // Assess
    expect(shapeOf(failed)).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(written).toEqual({ ok: true });
    expect(server.writes().map((seen) => seen.headers['x-amz-security-token'])).toEqual([
      credentials.sessionToken,
      credentials.sessionToken,
    ]);
    await server.close();
  });
});
