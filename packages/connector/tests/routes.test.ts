/**
 * Routes and refusals as a caller sees them, through both adapters: the standalone server over real
 * HTTP (exact routes, health probes, HEAD) and the Lambda handler with API Gateway v2 events (stage
 * prefixes). Wrong-URL hints use bodies and headers captured from a real Prometheus 2.42.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeReadRequest } from '@prometheus-timestream/codec';
import { type ApiGatewayEvent, type ApiGatewayResult, createLambdaHandler } from '../src/lambda.js';
import type { RunningServer } from '../src/server.js';
import {
  basicAuth,
  type Harness,
  nodeSeries,
  startHarness,
  V2_HEADERS,
  writeBody,
  writeBodyV2,
} from '../support/harness.js';
import { connectRaw, PROMETHEUS_HEADERS, rawExchange, serve } from './attacks/helpers.js';

const FIXTURES = join(__dirname, '../../codec/tests/fixtures/prometheus-2.42');

/** A request Prometheus 2.42 really sent: its body and headers, with the harness's caller. */
const captured = (name: string): { body: Buffer; headers: Record<string, string> } => {
  const { headers } = JSON.parse(readFileSync(join(FIXTURES, `${name}.headers.json`), 'utf8')) as {
    headers: Record<string, string>;
  };
  const { host: _host, 'content-length': _length, ...sent } = headers;
  return {
    body: readFileSync(join(FIXTURES, `${name}.bin`)),
    headers: { ...sent, authorization: basicAuth() },
  };
};

const WRITE = captured('write-0000');
const READ = captured('read-0019');
const withoutVersion = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith('x-prometheus-')));

const BASIC_CHALLENGE = 'Basic realm="timestream-prometheus-connector", charset="UTF-8"';
const BEARER_CHALLENGE = 'Bearer realm="timestream-prometheus-connector"';

const SERVER_NOT_FOUND =
  'not found: the connector serves POST /write (remote_write url), POST /read (remote_read url), GET or HEAD /healthz, /-/healthy, /-/ready and /metrics\n';

const WRITE_SENT_TO_READ =
  "this is a remote-write request sent to /read: point remote_write's url at …/write (remote_read's url is the one that ends in /read)\n";
const READ_SENT_TO_WRITE =
  "this is a remote-read request sent to /write: point remote_read's url at …/read (remote_write's url is the one that ends in /write)\n";

const basicRefusal = (section: string): string =>
  `missing Authorization header: configure Prometheus ${section} basic_auth with the AWS access key id as username and the secret access key as password (for temporary credentials: secret:session-token)\n`;
const bearerRefusal = (section: string): string =>
  `missing or wrong bearer token: configure Prometheus ${section} authorization: { type: Bearer, credentials_file: ... }\n`;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

const call = async (
  server: RunningServer,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Uint8Array,
): Promise<Answer> => {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
};

const writeCalls = (h: Harness): number =>
  h.emulator.requests().filter((r) => r.operation === 'WriteRecords').length;

describe('standalone server routes', () => {
  let h: Harness;
  let server: RunningServer;
  beforeAll(async () => {
    h = await startHarness();
    server = await serve(h);
  });
  afterAll(async () => {
    await server.close();
    await h.stop();
  });

  it.each([
    { path: '/foo/bar/write', note: 'a prefix (Lambda stage prefixes are for Lambda only)' },
    { path: '/dev/write', note: 'a stage prefix' },
    { path: '/write/', note: 'a trailing slash' },
    { path: '/', note: 'the root, even with the remote-write version header' },
    { path: '/api/v1/write', note: "another receiver's path" },
  ])('answers 404 listing the routes for POST $path ($note)', async ({ path }) => {
    // Prepare
    const before = writeCalls(h);

    // Act
    const answer = await call(server, 'POST', path, PROMETHEUS_HEADERS, writeBody(nodeSeries(2, Date.now())));

    // Assess: nothing reached Timestream.
    expect([answer.status, answer.body]).toEqual([404, SERVER_NOT_FOUND]);
    expect(writeCalls(h)).toBe(before);
  });

  it.each(
    ['/healthz', '/-/healthy', '/-/ready', '/metrics'].flatMap((path) =>
      ['GET', 'HEAD'].map((method) => ({ method, path })),
    ),
  )('answers $method $path with 200', async ({ method, path }) => {
    const answer = await call(server, method, path);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    if (method === 'HEAD') expect(answer.body).toBe('');
    else expect(answer.body.length).toBeGreaterThan(0);
  });

  it.each([
    { path: '/healthz', body: 'ok\n' },
    { path: '/-/healthy', body: 'ok\n' },
    { path: '/-/ready', body: 'ready\n' },
  ])('GET $path answers $body', async ({ path, body }) => {
    expect((await call(server, 'GET', path)).body).toBe(body);
  });

  it.each(['/healthz', '/-/healthy', '/-/ready', '/metrics'])(
    'HEAD %s sends the headers of GET and no body, on the wire',
    async (path) => {
      // Act
      const raw = await rawExchange(
        server.port,
        `HEAD ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );

      // Assess: the answer ends with its headers; Content-Length is that of the GET answer.
      expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(raw.endsWith('\r\n\r\n')).toBe(true);
      const length = Number(/\r\ncontent-length: (\d+)\r\n/i.exec(raw)?.[1]);
      if (path !== '/metrics') expect(length).toBe((await call(server, 'GET', path)).body.length);
      else expect(length).toBeGreaterThan(0);
    },
  );

  it.each([
    { method: 'POST', path: '/healthz', allow: 'GET, HEAD' },
    { method: 'PUT', path: '/-/healthy', allow: 'GET, HEAD' },
    { method: 'DELETE', path: '/-/ready', allow: 'GET, HEAD' },
    { method: 'POST', path: '/metrics', allow: 'GET, HEAD' },
    { method: 'GET', path: '/write', allow: 'POST' },
    { method: 'HEAD', path: '/read', allow: 'POST' },
  ])('answers $method $path with 405 and Allow: $allow', async ({ method, path, allow }) => {
    const answer = await call(server, method, path);
    expect([answer.status, answer.headers.get('allow')]).toEqual([405, allow]);
    if (method !== 'HEAD') expect(answer.body).toBe(`method ${method} is not allowed here; use ${allow}\n`);
  });

  it.each([
    {
      description: 'a captured remote-write request sent to /read',
      path: '/read',
      request: WRITE,
      body: WRITE_SENT_TO_READ,
    },
    {
      description: 'a remote-write 2.0 request sent to /read',
      path: '/read',
      request: {
        body: Buffer.from(writeBodyV2(nodeSeries(2, Date.now()))),
        headers: { ...V2_HEADERS, 'content-encoding': 'snappy', authorization: basicAuth() },
      },
      body: WRITE_SENT_TO_READ,
    },
    {
      description: 'a captured remote-read request sent to /write',
      path: '/write',
      request: READ,
      body: READ_SENT_TO_WRITE,
    },
    {
      description: 'a captured remote-write request sent to /read without credentials',
      path: '/read',
      request: { body: WRITE.body, headers: { ...WRITE.headers, authorization: '' } },
      body: WRITE_SENT_TO_READ,
    },
  ])('answers 400 naming the fix for $description', async ({ path, request, body }) => {
    // Prepare
    const before = writeCalls(h);

    // Act
    const answer = await call(server, 'POST', path, request.headers, request.body);

    // Assess
    expect([answer.status, answer.body]).toEqual([400, body]);
    expect(writeCalls(h)).toBe(before);
  });

  it.each([
    {
      description: 'a captured remote-write body sent to /read',
      path: '/read',
      request: WRITE,
      body: "malformed request: wrong wire type 2 for Query field 1 at byte 3; is this a remote-write body? remote_write's url ends in /write\n",
    },
    {
      description: 'a captured remote-read body sent to /write',
      path: '/write',
      request: READ,
      body: "malformed request: wrong wire type 0 for TimeSeries field 1 at byte 3; is this a remote-read body? remote_read's url ends in /read\n",
    },
  ])('hints at the other route when no header tells and $description fails to decode', async (row) => {
    const answer = await call(
      server,
      'POST',
      row.path,
      withoutVersion(row.request.headers),
      row.request.body,
    );
    expect([answer.status, answer.body]).toEqual([400, row.body]);
  });

  it('gives no hint for a body that is neither kind', async () => {
    // Prepare: a snappy block of 0a ff ff ff ff 0f: field 1, length 2^32 - 1, and nothing after it.
    const bytes = Buffer.from([0x06, 0x14, 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);

    // Act
    const answer = await call(server, 'POST', '/read', withoutVersion(READ.headers), bytes);

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/^malformed request: /);
    expect(answer.body).not.toMatch(/is this a remote-/);
  });

  it.each([
    { path: '/write', request: WRITE, body: basicRefusal('remote_write') },
    { path: '/read', request: READ, body: basicRefusal('remote_read') },
  ])(
    'answers 401 on $path naming its section, with WWW-Authenticate: Basic',
    async ({ path, request, body }) => {
      const answer = await call(
        server,
        'POST',
        path,
        { ...request.headers, authorization: '' },
        request.body,
      );
      expect([answer.status, answer.body, answer.headers.get('www-authenticate')]).toEqual([
        401,
        body,
        BASIC_CHALLENGE,
      ]);
    },
  );
});

describe('standalone server in iam mode with a bearer token', () => {
  let directory: string;
  let h: Harness;
  let server: RunningServer;
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'routes-bearer-'));
    const tokenFile = join(directory, 'token');
    writeFileSync(tokenFile, 'routes-token\n');
    h = await startHarness({ flags: ['--auth=iam', `--auth-token-file=${tokenFile}`] });
    server = await serve(h);
  });
  afterAll(async () => {
    await server.close();
    await h.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it.each([
    { path: '/write', request: WRITE, body: bearerRefusal('remote_write') },
    { path: '/read', request: READ, body: bearerRefusal('remote_read') },
  ])(
    'answers 401 on $path naming its section, with WWW-Authenticate: Bearer',
    async ({ path, request, body }) => {
      const answer = await call(
        server,
        'POST',
        path,
        { ...request.headers, authorization: 'Bearer wrong' },
        request.body,
      );
      expect([answer.status, answer.body, answer.headers.get('www-authenticate')]).toEqual([
        401,
        body,
        BEARER_CHALLENGE,
      ]);
    },
  );
});

describe('standalone server readiness while stopping', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  it('answers /-/ready with 503 and /-/healthy with 200 to probes still arriving once it is stopping', async () => {
    // Prepare: two probes whose headers are not finished yet, on connections opened before the stop.
    const server = await serve(h);
    const ready = await connectRaw(server.port);
    const healthy = await connectRaw(server.port);
    const answers = [ready, healthy].map(
      (socket) =>
        new Promise<string>((resolve) => {
          let text = '';
          socket.on('data', (chunk) => {
            text += chunk.toString('latin1');
          });
          socket.on('close', () => resolve(text));
          socket.on('error', () => undefined);
        }),
    );
    ready.write('GET /-/ready HTTP/1.1\r\nHost: x\r\n');
    healthy.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n');
    // Time for the server to read those bytes: a connection in the middle of a request is not idle,
    // so the stop keeps it open for the grace period.
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Act
    const closed = server.close(5_000);
    ready.write('\r\n');
    healthy.write('\r\n');

    // Assess: each answered, then closed by the server.
    const [readyAnswer, healthyAnswer] = await Promise.all(answers);
    expect(readyAnswer).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(readyAnswer).toMatch(/\r\nconnection: close\r\n/i);
    expect(readyAnswer?.endsWith('\r\n\r\nstopping: finishing the requests in flight\n')).toBe(true);
    expect(healthyAnswer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    await closed;
  });
});

/** An HTTP API (payload 2.0) event, as API Gateway sends it for a stage named dev. */
const lambdaEvent = (
  path: string,
  request: { body: Uint8Array; headers: Record<string, string> },
  method = 'POST',
): ApiGatewayEvent => ({
  version: '2.0',
  rawPath: path,
  headers: { ...request.headers, host: 'abcdef1234.execute-api.us-east-1.amazonaws.com' },
  requestContext: { http: { method, path }, requestId: 'routes' },
  body: Buffer.from(request.body).toString('base64'),
  isBase64Encoded: true,
});

const lambdaContext = { awsRequestId: 'routes', getRemainingTimeInMillis: () => 30_000 };

describe('Lambda handler routes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  const invoke = (event: ApiGatewayEvent): Promise<ApiGatewayResult> =>
    createLambdaHandler(h.connector)(event, lambdaContext);

  const freshWrite = () => ({
    body: writeBody(nodeSeries(1, Date.now(), 'lambda-routes')),
    headers: WRITE.headers,
  });
  const emptyRead = () => ({ body: encodeReadRequest({ queries: [] }), headers: READ.headers });

  it.each([
    { path: '/dev/write', request: freshWrite, status: 204 },
    { path: '/write', request: freshWrite, status: 204 },
    { path: '/prefix/dev/write', request: freshWrite, status: 204 },
    { path: '/dev/read', request: emptyRead, status: 200 },
    { path: '/', request: freshWrite, status: 204 },
  ])('keeps stage-prefix routing: POST $path → $status', async ({ path, request, status }) => {
    expect((await invoke(lambdaEvent(path, request()))).statusCode).toBe(status);
  });

  it('answers 400 naming the fix, with the stage, for a captured remote-write request sent to /dev/read', async () => {
    const result = await invoke(lambdaEvent('/dev/read', WRITE));
    expect([result.statusCode, result.body]).toEqual([
      400,
      "this is a remote-write request sent to /dev/read: point remote_write's url at …/dev/write (remote_read's url is the one that ends in /read)\n",
    ]);
  });

  it('answers 400 naming the fix for a captured remote-read request sent to /dev/write', async () => {
    const result = await invoke(lambdaEvent('/dev/write', READ));
    expect([result.statusCode, result.body]).toEqual([
      400,
      "this is a remote-read request sent to /dev/write: point remote_read's url at …/dev/read (remote_write's url is the one that ends in /write)\n",
    ]);
  });

  it.each([
    { path: '/dev/write', request: WRITE, body: basicRefusal('remote_write') },
    { path: '/dev/read', request: READ, body: basicRefusal('remote_read') },
  ])(
    'answers 401 on $path naming its section and passes WWW-Authenticate on',
    async ({ path, request, body }) => {
      const result = await invoke(
        lambdaEvent(path, { ...request, headers: { ...request.headers, authorization: '' } }),
      );
      expect(result).toMatchObject({
        statusCode: 401,
        body,
        headers: { 'WWW-Authenticate': BASIC_CHALLENGE },
      });
    },
  );
});

describe('Lambda handler in iam mode with a bearer token', () => {
  let directory: string;
  let h: Harness;
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'routes-lambda-bearer-'));
    const tokenFile = join(directory, 'token');
    writeFileSync(tokenFile, 'routes-token\n');
    h = await startHarness({ flags: ['--auth=iam', `--auth-token-file=${tokenFile}`] });
  });
  afterAll(async () => {
    await h.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it.each([
    { path: '/dev/write', request: WRITE, body: bearerRefusal('remote_write') },
    { path: '/dev/read', request: READ, body: bearerRefusal('remote_read') },
  ])('answers 401 on $path with WWW-Authenticate: Bearer', async ({ path, request, body }) => {
    const result = await createLambdaHandler(h.connector)(
      lambdaEvent(path, { ...request, headers: { ...request.headers, authorization: '' } }),
      lambdaContext,
    );
    expect(result).toMatchObject({
      statusCode: 401,
      body,
      headers: { 'WWW-Authenticate': BEARER_CHALLENGE },
    });
  });
});
