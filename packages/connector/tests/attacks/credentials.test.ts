/**
 * Attack: in passthrough mode, get one caller's samples written with another caller's AWS
 * credentials (the Go connector shared one mutable client between concurrent requests). Many
 * callers write at once through the real standalone server, with fewer cached client pairs than
 * callers so pairs are evicted mid-flight; a loopback Timestream stand-in verifies every
 * WriteRecords signature itself and checks each record belongs to the key that signed it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningServer } from '../../src/server.js';
import { basicAuth, type Harness, startHarness, writeBody } from '../../support/harness.js';
import { PROMETHEUS_HEADERS, serve } from './helpers.js';

const CALLERS = 64;
const REQUESTS_PER_CALLER = 3;
/** More than one WriteRecords batch (100 records) per request. */
const SERIES_PER_REQUEST = 150;
const CLIENT_PAIRS = 8;
const REGION = 'us-east-1';
const SERVICE = 'timestream';

interface Caller {
  readonly index: number;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string | undefined;
}

/** Distinct keys; every other caller has temporary credentials (a session token). */
const CALLER_LIST: readonly Caller[] = Array.from({ length: CALLERS }, (_, index) => ({
  index,
  accessKeyId: `AKIDATTACK${String(index).padStart(3, '0')}`,
  secretAccessKey: createHash('sha256').update(`secret-${index}`).digest('base64url').slice(0, 40),
  sessionToken: index % 2 === 0 ? `FwoGZXIvYXdzEJr//session/${index}/${'x'.repeat(index)}==` : undefined,
}));
const CALLER_BY_KEY = new Map(CALLER_LIST.map((caller) => [caller.accessKeyId, caller]));

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const headerText = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

/**
 * Verifies an AWS Signature Version 4 from the spec, independently of the SDK: the canonical
 * request (method, path, empty query, the signed headers, the body's SHA-256), the string to sign,
 * and the HMAC key chain date → region → service → `aws4_request` from the key's own secret.
 *
 * @returns the caller whose secret produced the signature, or why it is not valid
 */
const verifySigV4 = (
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): { caller: Caller } | { error: string } => {
  const match = AUTHORIZATION.exec(headerText(headers, 'authorization') ?? '');
  if (match === null) return { error: `not a SigV4 Authorization header: ${headers.authorization}` };
  const [, accessKeyId = '', date = '', region, service, signedHeaders = '', signature = ''] = match;
  const caller = CALLER_BY_KEY.get(accessKeyId);
  if (caller === undefined) return { error: `unknown access key id ${accessKeyId}` };
  const amzDate = headerText(headers, 'x-amz-date') ?? '';
  if (!amzDate.startsWith(date)) return { error: `x-amz-date ${amzDate} is not in the scope's day ${date}` };
  if (region !== REGION || service !== SERVICE) return { error: `scope ${region}/${service}` };
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date'))
    return { error: `host and x-amz-date are not signed: ${signedHeaders}` };
  const canonicalHeaders = names
    .map((name) => `${name}:${(headerText(headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalRequest = [method, path, '', canonicalHeaders, signedHeaders, sha256Hex(body)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${caller.secretAccessKey}`, date), region), service),
    'aws4_request',
  );
  const expected = hmac(signingKey, stringToSign);
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'))
    ? { caller }
    : { error: `signature of ${accessKeyId} does not verify with its secret` };
};

interface WriteRecordsBody {
  readonly CommonAttributes?: { readonly Dimensions?: { Name: string; Value: string }[] };
  readonly Records: {
    readonly Dimensions?: { Name: string; Value: string }[];
    readonly MeasureName?: string;
    readonly Time: string;
  }[];
}

interface CapturingTimestream {
  readonly endpoint: string;
  /** Every verification failure or record that belongs to another caller, described. */
  readonly mismatches: string[];
  /** `caller/request/series` → times the record arrived. */
  readonly seen: Map<string, number>;
  readonly calls: () => number;
  readonly stop: () => Promise<void>;
}

/** A WriteRecords endpoint on 127.0.0.1 that checks every call, with random latency so calls overlap. */
const startCapturingTimestream = async (): Promise<CapturingTimestream> => {
  const mismatches: string[] = [];
  const seen = new Map<string, number>();
  let calls = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      calls++;
      const body = Buffer.concat(chunks);
      const target = headerText(request.headers, 'x-amz-target') ?? '';
      const verified = verifySigV4(request.method ?? '', request.url ?? '', request.headers, body);
      let total = 0;
      if ('error' in verified) mismatches.push(verified.error);
      else if (!target.endsWith('.WriteRecords')) mismatches.push(`unexpected call ${target}`);
      else {
        const { caller } = verified;
        const token = headerText(request.headers, 'x-amz-security-token');
        if (token !== caller.sessionToken)
          mismatches.push(`${caller.accessKeyId} signed with session token ${String(token)}`);
        const input = JSON.parse(body.toString('utf8')) as WriteRecordsBody;
        total = input.Records.length;
        const foreign = new Map<string | undefined, number>();
        for (const record of input.Records) {
          const dimensions = new Map(
            [...(input.CommonAttributes?.Dimensions ?? []), ...(record.Dimensions ?? [])].map((d) => [
              d.Name,
              d.Value,
            ]),
          );
          const owner = dimensions.get('caller');
          if (owner !== String(caller.index)) foreign.set(owner, (foreign.get(owner) ?? 0) + 1);
          const key = `${owner}/${dimensions.get('request')}/${dimensions.get('series')}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
        for (const [owner, count] of foreign)
          mismatches.push(`${count} records of caller ${owner} were signed by ${caller.accessKeyId}`);
      }
      setTimeout(
        () => {
          response.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
          response.end(
            JSON.stringify({ RecordsIngested: { Total: total, MemoryStore: total, MagneticStore: 0 } }),
          );
        },
        Math.floor(Math.random() * 25),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mismatches,
    seen,
    calls: () => calls,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** One request's series: every label names its caller, request and series. */
const callerSeries = (caller: Caller, request: number, timestampMs: number) =>
  Array.from({ length: SERIES_PER_REQUEST }, (_, series) => ({
    labels: [
      { name: '__name__', value: 'attack_isolation' },
      { name: 'caller', value: String(caller.index) },
      { name: 'request', value: String(request) },
      { name: 'series', value: String(series) },
    ],
    samples: [{ timestampMs, value: series }],
  }));

describe('credential isolation in passthrough mode', () => {
  let timestream: CapturingTimestream;
  let h: Harness;
  let server: RunningServer;
  beforeAll(async () => {
    timestream = await startCapturingTimestream();
    h = await startHarness({
      writeEndpoint: () => timestream.endpoint,
      flags: [`--credential-cache-size=${CLIENT_PAIRS}`],
    });
    server = await serve(h);
  });
  afterAll(async () => {
    await server.close();
    await h.stop();
    await timestream.stop();
  });

  it(`signs every record with its own caller’s keys: ${CALLERS} callers × ${REQUESTS_PER_CALLER} requests at once, ${CLIENT_PAIRS} cached client pairs`, async () => {
    // Prepare: requests of different callers interleaved, so the pool's eviction order is mixed.
    const now = Date.now();
    const requests = Array.from({ length: REQUESTS_PER_CALLER }, (_, request) =>
      CALLER_LIST.map((caller) => ({ caller, request })),
    ).flat();
    const password = (caller: Caller) =>
      caller.sessionToken === undefined
        ? caller.secretAccessKey
        : `${caller.secretAccessKey}:${caller.sessionToken}`;

    // Act
    const statuses = await Promise.all(
      requests.map(async ({ caller, request }) => {
        const response = await fetch(`${server.url}/write`, {
          method: 'POST',
          headers: { ...PROMETHEUS_HEADERS, Authorization: basicAuth(caller.accessKeyId, password(caller)) },
          body: writeBody(callerSeries(caller, request, now)),
        });
        return `${response.status} ${await response.text()}`;
      }),
    );

    // Assess
    expect(timestream.mismatches).toEqual([]);
    expect(statuses.filter((status) => status !== '204 ')).toEqual([]);
    expect(timestream.calls()).toBe(requests.length * Math.ceil(SERIES_PER_REQUEST / 100));
    const missingOrRepeated = requests.flatMap(({ caller, request }) =>
      Array.from(
        { length: SERIES_PER_REQUEST },
        (_, series) => `${caller.index}/${request}/${series}`,
      ).filter((key) => timestream.seen.get(key) !== 1),
    );
    expect(missingOrRepeated).toEqual([]);
    expect(timestream.seen.size).toBe(requests.length * SERIES_PER_REQUEST);
  }, 30_000);

  it('the verifier itself refuses a signature made with another caller’s secret', () => {
    // Prepare: requests claiming the owner's key, signed with its secret or with another caller's
    // (what a client crossed between callers would send).
    const [owner, other] = CALLER_LIST as [Caller, Caller];
    const body = Buffer.from('{}');
    const date = '20260101';
    const amzDate = `${date}T000000Z`;
    const headers = { host: '127.0.0.1:1', 'x-amz-date': amzDate };
    const canonical = [
      'POST',
      '/',
      '',
      `host:127.0.0.1:1\nx-amz-date:${amzDate}\n`,
      'host;x-amz-date',
      sha256Hex(body),
    ].join('\n');
    const scope = `${date}/${REGION}/${SERVICE}/aws4_request`;
    const signedWith = (secret: string) => {
      const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), REGION), SERVICE), 'aws4_request');
      const signature = hmac(key, ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n'));
      return {
        ...headers,
        authorization: `AWS4-HMAC-SHA256 Credential=${owner.accessKeyId}/${scope}, SignedHeaders=host;x-amz-date, Signature=${signature.toString('hex')}`,
      };
    };

    // Act + Assess
    expect(verifySigV4('POST', '/', signedWith(owner.secretAccessKey), body)).toEqual({ caller: owner });
    expect(verifySigV4('POST', '/', signedWith(other.secretAccessKey), body)).toEqual({
      error: `signature of ${owner.accessKeyId} does not verify with its secret`,
    });
  });
});
