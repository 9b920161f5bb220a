/**
 * The Lambda adapter with the event shapes API Gateway really sends (HTTP API payload 2.0, REST /
 * payload 1.0, Function URLs), through the core handler and the real SDK client to the emulator.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeReadResponse, encodeReadRequest } from '@prometheus-timestream/codec';
import {
  type ApiGatewayEvent,
  createLambdaHandler,
  handler,
  toApiGatewayResult,
  toCoreRequest,
} from '../src/lambda.js';
import {
  basicAuth,
  DATABASE,
  type Harness,
  nodeSeries,
  startHarness,
  TABLE,
  writeBody,
} from '../support/harness.js';

const context = (remainingMs = 30_000) => ({
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  getRemainingTimeInMillis: () => remainingMs,
});

/** An HTTP API (payload 2.0) event for `POST /dev/write`, as API Gateway sends it for a stage named dev. */
const httpApiV2Event = (body: Uint8Array, overrides: Partial<ApiGatewayEvent> = {}): ApiGatewayEvent =>
  ({
    version: '2.0',
    routeKey: 'POST /write',
    rawPath: '/dev/write',
    rawQueryString: '',
    headers: {
      authorization: basicAuth('AKIDLAMBDACALLER'),
      'content-encoding': 'snappy',
      'content-length': String(body.length),
      'content-type': 'application/x-protobuf',
      host: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'Prometheus/2.42.0+ds',
      'x-amzn-trace-id': 'Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      'x-prometheus-remote-write-version': '0.1.0',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      domainName: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abcdef1234',
      http: {
        method: 'POST',
        path: '/dev/write',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'Prometheus/2.42.0+ds',
      },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: 'POST /write',
      stage: 'dev',
      time: '21/Nov/2026:07:00:00 +0000',
      timeEpoch: 1_795_000_000_000,
    },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
    ...overrides,
  }) as ApiGatewayEvent;

/** An HTTP API (payload 2.0) event for `POST /dev/read`, with the headers Prometheus's remote read sends. */
const readEvent = (body: Uint8Array, overrides: Partial<ApiGatewayEvent> = {}): ApiGatewayEvent => {
  const { 'x-prometheus-remote-write-version': _, ...headers } = httpApiV2Event(body).headers ?? {};
  return httpApiV2Event(body, {
    rawPath: '/dev/read',
    headers: { ...headers, 'accept-encoding': 'snappy', 'x-prometheus-remote-read-version': '0.1.0' },
    ...overrides,
  });
};

/** A REST API / payload 1.0 event: mixed-case headers, multiValueHeaders, httpMethod and path. */
const restApiV1Event = (body: Uint8Array): ApiGatewayEvent =>
  ({
    version: '1.0',
    resource: '/write',
    path: '/prod/write',
    httpMethod: 'POST',
    headers: {
      Authorization: basicAuth('AKIDRESTCALLER'),
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    },
    multiValueHeaders: {
      Authorization: [basicAuth('AKIDRESTCALLER')],
      'Content-Encoding': ['snappy'],
      'Content-Type': ['application/x-protobuf'],
      'X-Prometheus-Remote-Write-Version': ['0.1.0'],
    },
    queryStringParameters: null,
    requestContext: { httpMethod: 'POST', path: '/prod/write', stage: 'prod', requestId: 'c6af9ac6' },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  }) as ApiGatewayEvent;

/** A Lambda Function URL event: payload 2.0 without a stage. */
const functionUrlEvent = (body: Uint8Array): ApiGatewayEvent =>
  httpApiV2Event(body, {
    rawPath: '/write',
    requestContext: { http: { method: 'POST', path: '/write' }, requestId: 'url-request' },
  });

/** What API Gateway / Lambda put in `requestContext.authorizer.iam` for a caller IAM authorized. */
const IAM_CALLER = {
  accessKey: 'AKIDSIGNER',
  accountId: '123456789012',
  callerId: 'AIDASIGNER',
  cognitoIdentity: null,
  principalOrgId: null,
  userArn: 'arn:aws:iam::123456789012:user/prometheus',
  userId: 'AIDASIGNER',
};

describe('toCoreRequest', () => {
  it('keeps a base64 body as the exact bytes (never decoded as text)', () => {
    const bytes = Uint8Array.from([0x00, 0xff, 0x80, 0x0a, 0xc3, 0x28]);
    const request = toCoreRequest(httpApiV2Event(bytes));
    expect([...request.body]).toEqual([...bytes]);
    expect(request).toMatchObject({ method: 'POST', path: '/dev/write' });
  });

  it('lower-cases 1.0 header names and joins multi-value headers', () => {
    const request = toCoreRequest({
      httpMethod: 'post',
      path: '/write',
      headers: { 'X-A': '1' },
      multiValueHeaders: { 'X-B': ['1', '2'] },
    });
    expect(request.headers).toEqual({ 'x-a': '1', 'x-b': '1,2' });
    expect(request.method).toBe('POST');
  });

  it('takes a body that is not base64 as UTF-8 text', () => {
    expect(Buffer.from(toCoreRequest({ body: 'héllo', isBase64Encoded: false }).body).toString('utf8')).toBe(
      'héllo',
    );
  });

  it.each([
    { description: 'null', event: null },
    { description: 'a string', event: 'POST /write' },
    {
      description: 'non-array multiValueHeaders and non-string headers',
      event: { multiValueHeaders: { a: 'x', b: [1] }, headers: { c: 3, d: null } },
    },
    {
      description: 'a non-string body and method',
      event: { body: { x: 1 }, httpMethod: 7, requestContext: { http: null } },
    },
  ])('ignores fields of the wrong type instead of crashing: $description', ({ event }) => {
    expect(toCoreRequest(event as never)).toEqual({
      method: 'GET',
      path: '/',
      headers: {},
      body: Buffer.alloc(0),
    });
  });

  const v2Context = { http: { method: 'POST', path: '/dev/write' } };
  it.each([
    {
      description: 'payload 2.0 / Function URL with requestContext.authorizer.iam',
      requestContext: { ...v2Context, authorizer: { iam: IAM_CALLER } },
      expected: 'iam',
    },
    {
      description: 'REST API / payload 1.0 with the IAM caller in requestContext.identity',
      requestContext: {
        identity: { accessKey: 'AKIDSIGNER', userArn: IAM_CALLER.userArn, sourceIp: '203.0.113.7' },
      },
      expected: 'iam',
    },
    { description: 'payload 2.0 without an authorizer', requestContext: v2Context, expected: undefined },
    {
      description: 'REST API without IAM (identity fields null)',
      requestContext: { identity: { accessKey: null, userArn: null, sourceIp: '203.0.113.7' } },
      expected: undefined,
    },
    {
      description: 'a Lambda authorizer’s context',
      requestContext: { ...v2Context, authorizer: { lambda: { userArn: IAM_CALLER.userArn } } },
      expected: undefined,
    },
    {
      description: 'a JWT authorizer’s context',
      requestContext: { ...v2Context, authorizer: { jwt: { claims: {} }, principalId: 'x' } },
      expected: undefined,
    },
    {
      description: 'authorizer.iam of the wrong type or empty',
      requestContext: { ...v2Context, authorizer: { iam: 'arn:aws:iam::123456789012:user/prometheus' } },
      expected: undefined,
    },
    {
      description: 'authorizer.iam with empty fields',
      requestContext: { ...v2Context, authorizer: { iam: { accessKey: '', userArn: '' } } },
      expected: undefined,
    },
  ])('authorizedUpstream: $description → $expected', ({ requestContext, expected }) => {
    const request = toCoreRequest({ requestContext } as ApiGatewayEvent);
    expect(request.authorizedUpstream).toBe(expected);
    expect('authorizedUpstream' in request).toBe(expected !== undefined);
  });

  it('never takes IAM authorization from what the caller sends (headers, body)', () => {
    const request = toCoreRequest({
      headers: {
        'x-amzn-authorizer-iam': JSON.stringify(IAM_CALLER),
        'requestcontext.authorizer.iam': 'true',
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIDSIGNER/20260101/us-east-1/execute-api/aws4_request',
      },
      body: JSON.stringify({ requestContext: { authorizer: { iam: IAM_CALLER } } }),
    });
    expect(request.authorizedUpstream).toBeUndefined();
  });

  it('survives an event without headers or body', () => {
    expect(toCoreRequest({})).toEqual({ method: 'GET', path: '/', headers: {}, body: Buffer.alloc(0) });
  });
});

describe('toApiGatewayResult', () => {
  it('returns bytes base64-encoded with isBase64Encoded, text as is', () => {
    expect(toApiGatewayResult({ status: 200, headers: {}, body: Uint8Array.from([1, 2, 255]) })).toEqual({
      statusCode: 200,
      headers: {},
      body: 'AQL/',
      isBase64Encoded: true,
    });
    expect(
      toApiGatewayResult({ status: 400, headers: { 'Content-Type': 'text/plain' }, body: 'bad\n' }),
    ).toEqual({
      statusCode: 400,
      headers: { 'Content-Type': 'text/plain' },
      body: 'bad\n',
      isBase64Encoded: false,
    });
  });
});

describe('Lambda handler through the emulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  it.each([
    {
      shape: 'HTTP API payload 2.0 with a stage',
      event: httpApiV2Event,
      caller: 'AKIDLAMBDACALLER',
      job: 'lambda-v2',
    },
    { shape: 'REST API payload 1.0', event: restApiV1Event, caller: 'AKIDRESTCALLER', job: 'lambda-v1' },
    { shape: 'Function URL', event: functionUrlEvent, caller: 'AKIDLAMBDACALLER', job: 'lambda-url' },
  ])('$shape: writes the samples with the caller’s key and answers 204', async ({ event, caller, job }) => {
    // Prepare
    const lambda = createLambdaHandler(h.connector);
    const body = writeBody(nodeSeries(150, Date.now(), job));

    // Act
    const result = await lambda(event(body), context());

    // Assess
    expect(result).toEqual({ statusCode: 204, headers: {}, body: '', isBase64Encoded: false });
    const rows = await h.query(`SELECT count(*) AS n FROM "${DATABASE}"."${TABLE}" WHERE job = '${job}'`);
    expect(Number(rows[0]?.n)).toBe(150);
    const writes = h.emulator.requests().filter((r) => r.operation === 'WriteRecords');
    expect(writes.at(-1)?.accessKeyId).toBe(caller);
  });

  it('HTTP API payload 2.0: answers a remote read with the protobuf body base64-encoded', async () => {
    // Prepare
    const lambda = createLambdaHandler(h.connector);
    const now = Date.now();
    expect(
      (await lambda(httpApiV2Event(writeBody(nodeSeries(3, now, 'lambda-read'))), context())).statusCode,
    ).toBe(204);
    const query = encodeReadRequest({
      queries: [
        {
          startTimestampMs: now - 1000,
          endTimestampMs: now,
          matchers: [{ type: 'EQ', name: 'job', value: 'lambda-read' }],
        },
      ],
    });
    const event = readEvent(query);

    // Act
    const result = await lambda(event, context());

    // Assess
    expect(result).toMatchObject({
      statusCode: 200,
      isBase64Encoded: true,
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
    });
    const [answer] = decodeReadResponse(Buffer.from(result.body, 'base64'));
    expect(answer?.series.map((s) => s.samples.length)).toEqual([1, 1, 1]);
  });

  it('answers errors as text with the right status, never throwing', async () => {
    const lambda = createLambdaHandler(h.connector);
    const garbage = await lambda(httpApiV2Event(Uint8Array.from([1, 2, 3])), context());
    expect(garbage).toMatchObject({
      statusCode: 400,
      isBase64Encoded: false,
      body: expect.stringMatching(/^malformed request/),
    });
    const unauthenticated = await lambda(
      httpApiV2Event(writeBody(nodeSeries(1, Date.now())), { headers: {} }),
      context(),
    );
    // Without headers the event also lacks the version header, but the path routes it to /write.
    expect(unauthenticated.statusCode).toBe(401);
  });

  it('stops within the Lambda deadline and answers 503 instead of timing out', async () => {
    h.emulator.setFault({ operation: 'WriteRecords', latencyMs: 5_000 });
    try {
      const lambda = createLambdaHandler(h.connector);
      const result = await lambda(
        httpApiV2Event(writeBody(nodeSeries(1, Date.now(), 'deadline'))),
        context(2_000),
      );
      expect(result.statusCode).toBe(503);
      expect(result.body).toMatch(/deadline passed/);
    } finally {
      h.emulator.clearFaults();
    }
  });

  describe('the exported handler, configured from the environment once per container', () => {
    const saved = { ...process.env };
    afterEach(() => {
      process.env = { ...saved };
    });

    it('fails every invocation with an error naming the invalid variable, then works once it is fixed', async () => {
      // Prepare
      process.env = { ...saved, default_database: DATABASE, default_table: TABLE, max_write_retries: 'lots' };

      // Act + Assess: an invalid value is a clear error (API Gateway answers 500, Prometheus retries).
      await expect(handler(httpApiV2Event(writeBody(nodeSeries(1, Date.now()))), context())).rejects.toThrow(
        'invalid configuration: max_write_retries: expected an integer from 1 to 100, got "lots"',
      );

      process.env = {
        ...saved,
        default_database: DATABASE,
        default_table: TABLE,
        write_base_endpoint: h.emulator.endpoint,
        AWS_REGION: 'us-east-1',
        enable_logging: 'false',
      };
      const result = await handler(
        httpApiV2Event(writeBody(nodeSeries(2, Date.now(), 'env-configured'))),
        context(),
      );
      expect(result.statusCode).toBe(204);
    });
  });
});

describe('AuthMode=iam with a bearer token: IAM-authorized requests on /write skip the token, every other one needs it', () => {
  const TOKEN = 'iam-mode-read-token-0123456789abcdef';
  const SIGV4 =
    'AWS4-HMAC-SHA256 Credential=AKIDSIGNER/20261121/us-east-1/execute-api/aws4_request, SignedHeaders=content-encoding;content-length;content-type;host;x-amz-date;x-prometheus-remote-write-version, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
  const REFUSAL = (section: string) =>
    `missing or wrong bearer token: configure Prometheus ${section} authorization: { type: Bearer, credentials_file: ... }\n`;
  const iamAuthorizer = { iam: IAM_CALLER };
  let directory: string;
  let tokenFile: string;
  let h: Harness;
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'lambda-iam-token-'));
    tokenFile = join(directory, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    // As the stack configures an AuthMode=iam function: API Gateway IAM-authorizes /write only.
    h = await startHarness({
      flags: ['--auth=iam', `--auth-token-file=${tokenFile}`, '--iam-authorized-routes=write'],
    });
  });
  afterAll(async () => {
    await h.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  const now = Date.now();
  const readBody = (job: string) =>
    encodeReadRequest({
      queries: [
        {
          startTimestampMs: now - 60_000,
          endTimestampMs: now + 60_000,
          matchers: [{ type: 'EQ', name: 'job', value: job }],
        },
      ],
    });
  /** An event for `route`, with `authorization` (omitted when undefined) and, when `iam`, the IAM caller. */
  const event = (
    route: 'write' | 'read',
    authorization: string | undefined,
    iam: boolean,
    job: string,
  ): ApiGatewayEvent => {
    const base =
      route === 'write' ? httpApiV2Event(writeBody(nodeSeries(2, now, job))) : readEvent(readBody(job));
    const { authorization: _, ...headers } = base.headers ?? {};
    return {
      ...base,
      headers: { ...headers, ...(authorization === undefined ? {} : { authorization }) },
      requestContext: {
        ...base.requestContext,
        http: { method: 'POST', path: `/dev/${route}` },
        ...(iam ? { authorizer: iamAuthorizer } : {}),
      },
    };
  };

  it.each([
    // POST /write of an iam stack: API Gateway verified the SigV4 signature; the token is not asked.
    { route: 'write', iam: true, authorization: SIGV4, sent: 'a SigV4 signature', status: 204 },
    { route: 'write', iam: true, authorization: undefined, sent: 'no Authorization', status: 204 },
    // Without API Gateway's IAM authorization the token is the only credential.
    { route: 'write', iam: false, authorization: SIGV4, sent: 'a SigV4 signature', status: 401 },
    { route: 'write', iam: false, authorization: `Bearer ${TOKEN}`, sent: 'the token', status: 204 },
    { route: 'write', iam: false, authorization: 'Bearer wrong-token', sent: 'a wrong token', status: 401 },
    { route: 'write', iam: false, authorization: undefined, sent: 'no Authorization', status: 401 },
    // POST /read of an iam stack: never signed by Prometheus, authenticated by the token.
    { route: 'read', iam: false, authorization: `Bearer ${TOKEN}`, sent: 'the token', status: 200 },
    { route: 'read', iam: false, authorization: 'Bearer wrong-token', sent: 'a wrong token', status: 401 },
    { route: 'read', iam: false, authorization: undefined, sent: 'no Authorization', status: 401 },
    { route: 'read', iam: false, authorization: SIGV4, sent: 'a SigV4 signature', status: 401 },
    // /read is not among the IAM-authorized routes: an event claiming IAM authorization there (a
    // crafted direct Invoke) still needs the token.
    { route: 'read', iam: true, authorization: SIGV4, sent: 'a SigV4 signature', status: 401 },
  ] as const)(
    'POST /$route, IAM-authorized upstream: $iam, $sent → $status',
    async ({ route, iam, authorization, status }) => {
      // Prepare
      const job = `iam-token-${route}-${iam}-${status}-${(authorization ?? 'none').slice(0, 10)}`;
      const lambda = createLambdaHandler(h.connector);
      const writesBefore = h.emulator.requests().filter((r) => r.operation === 'WriteRecords').length;

      // Act
      const result = await lambda(event(route, authorization, iam, job), context());

      // Assess
      expect(result.statusCode).toBe(status);
      const writes =
        h.emulator.requests().filter((r) => r.operation === 'WriteRecords').length - writesBefore;
      expect(writes).toBe(route === 'write' && status === 204 ? 1 : 0);
      if (status === 401) {
        expect(result.body).toBe(REFUSAL(route === 'write' ? 'remote_write' : 'remote_read'));
        expect(result.headers['WWW-Authenticate']).toBe('Bearer realm="timestream-prometheus-connector"');
      }
      if (route === 'read' && status === 200) expect(result.isBase64Encoded).toBe(true);
    },
  );

  it('without --iam-authorized-routes (token mode), an event claiming IAM authorization still needs the token', async () => {
    // Prepare
    const tokenMode = await startHarness({ flags: ['--auth=iam', `--auth-token-file=${tokenFile}`] });
    try {
      const lambda = createLambdaHandler(tokenMode.connector);

      // Act
      const claimed = await lambda(event('write', SIGV4, true, 'token-mode-claimed'), context());
      const withToken = await lambda(event('write', `Bearer ${TOKEN}`, true, 'token-mode-token'), context());

      // Assess
      expect([claimed.statusCode, claimed.body]).toEqual([401, REFUSAL('remote_write')]);
      expect(withToken.statusCode).toBe(204);
    } finally {
      await tokenMode.stop();
    }
  });

  it('a REST API / payload 1.0 event IAM authorized writes without the token; one that is not gets 401', async () => {
    const lambda = createLambdaHandler(h.connector);
    const v1 = (identity: Record<string, unknown>, job: string): ApiGatewayEvent => {
      const base = restApiV1Event(writeBody(nodeSeries(2, now, job)));
      return {
        ...base,
        headers: { ...base.headers, Authorization: SIGV4 },
        multiValueHeaders: { ...base.multiValueHeaders, Authorization: [SIGV4] },
        requestContext: { ...base.requestContext, identity } as NonNullable<
          ApiGatewayEvent['requestContext']
        >,
      };
    };
    const signed = await lambda(
      v1({ accessKey: 'AKIDSIGNER', userArn: iamAuthorizer.iam.userArn, sourceIp: '203.0.113.7' }, 'v1-iam'),
      context(),
    );
    const unsigned = await lambda(
      v1({ accessKey: null, userArn: null, sourceIp: '203.0.113.7' }, 'v1-none'),
      context(),
    );
    expect([signed.statusCode, unsigned.statusCode]).toEqual([204, 401]);
  });
});
