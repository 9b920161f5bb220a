/**
 * The fuzz targets that go through the connector against the real emulator (no faults injected):
 * the core handler in-process, the standalone server over raw TCP, and the Lambda adapter. Every
 * answer must be a 2xx (a mutant that is still valid) or a 4xx with a readable text message; a
 * 5xx, a throw, or an input that takes longer than `INPUT_TIMEOUT_MS` is a failure.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { WRITE_CONTENT_TYPES } from '@prometheus-timestream/codec';
import { readFlags } from '../src/config.js';
import type { CoreRequest } from '../src/handler.js';
import { type ApiGatewayResult, createLambdaHandler, type LambdaHandler } from '../src/lambda.js';
import { type RunningServer, startServer } from '../src/server.js';
import {
  basicAuth,
  DATABASE,
  type Harness,
  startHarness,
  TABLE,
  V1_HEADERS,
  V2_HEADERS,
} from '../support/harness.js';
import {
  describeError,
  type FailingInput,
  type FuzzFailureKind,
  messageProblem,
  type Recorder,
  RSS_LIMIT_BYTES,
  type watchRss,
} from './fuzz-report.js';
import { concatBytes, havoc, mutateSnappyBody, mutateText, type Random, randomFor } from './mutate.js';
import type { BodySeed, Seeds } from './seeds.js';

/** An input still unanswered after this long is a hang. */
const INPUT_TIMEOUT_MS = 10_000;
/** The raw HTTP client gives a connection this long to be answered and closed. */
const CONNECTION_TIMEOUT_MS = 5_000;
/** The standalone server must still answer /healthz after every batch of this many connections. */
const HEALTH_CHECK_EVERY = 100;
/** Mutated bodies are cut to this size (the connector's body limit is 10 MiB). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The connector in front of the emulator, as the three targets drive it. */
export interface SystemUnderTest {
  readonly harness: Harness;
  readonly server: RunningServer;
  readonly lambda: LambdaHandler;
  readonly stop: () => Promise<void>;
}

/**
 * The emulator (its clock just after the captured samples, so unmutated bodies are written), the
 * core handler built as the tests build it, the standalone server and the Lambda adapter over it.
 */
export const startSystemUnderTest = async (seeds: Seeds): Promise<SystemUnderTest> => {
  const now = seeds.newestTimestampMs + 60_000;
  const harness = await startHarness({ emulator: { now: () => now } });
  try {
    const server = await startServer(
      readFlags(
        [`--default-database=${DATABASE}`, `--default-table=${TABLE}`, '--web.listen-address=127.0.0.1:0'],
        {},
      ),
      { connector: harness.connector, logger: harness.logger, metrics: harness.metrics },
    );
    return {
      harness,
      server,
      // With the body limit, as the container's handler is built.
      lambda: createLambdaHandler(harness.connector),
      stop: async () => {
        await server.close(1_000);
        await harness.stop();
      },
    };
  } catch (error) {
    await harness.stop();
    throw error;
  }
};

// ---------------------------------------------------------------------------------------------
// Inputs

type Route = 'write-1.0' | 'write-2.0' | 'read';

const READ_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'accept-encoding': 'snappy',
  'x-prometheus-remote-read-version': '0.1.0',
};

const HEADERS_OF: Readonly<Record<Route, Readonly<Record<string, string>>>> = {
  'write-1.0': V1_HEADERS,
  'write-2.0': V2_HEADERS,
  read: READ_HEADERS,
};

const basic = (userAndPassword: string | Uint8Array): string =>
  `Basic ${Buffer.from(userAndPassword).toString('base64')}`;

/** Header values worth trying, by header; anything else comes from `mutateText`. */
const INTERESTING_HEADERS: Readonly<Record<string, readonly string[]>> = {
  'content-type': [
    '',
    'application/x-protobuf',
    WRITE_CONTENT_TYPES['2.0'],
    'application/x-protobuf;proto=prometheus.WriteRequest',
    'APPLICATION/X-PROTOBUF; PROTO=io.prometheus.write.v2.Request',
    'application/x-protobuf;proto=',
    'application/x-protobuf;proto',
    'application/x-protobuf;proto="io.prometheus.write.v2.Request"',
    'application/x-protobuf;proto=io.prometheus.write.v2.Request;proto=prometheus.WriteRequest',
    'application/x-protobuf; charset=utf-8',
    'application/x-protobuf;=',
    ';;;',
    'application/json',
    'text/plain',
    'application/x-protobuf;proto=io.prometheus.write.v3.Request',
  ],
  'content-encoding': [
    '',
    'snappy',
    'SNAPPY',
    ' snappy ',
    'gzip',
    'snappy, gzip',
    'identity',
    'zstd',
    'x-snappy-framed',
  ],
  'x-prometheus-remote-write-version': ['', '0.1.0', '1.0.0', '2.0.0', '2.0', 'x', '999'],
  'x-prometheus-remote-read-version': ['', '0.1.0', '1.0', 'x'],
  authorization: [
    '',
    'Basic',
    'Basic ',
    'basic QUtJREZVWlo6c2VjcmV0',
    'Bearer some-token',
    'Basic !!!!',
    'Basic QUtJRA',
    `${basicAuth()} extra`,
    `Basic  ${basicAuth().slice(6)}`,
    basic('AKIDFUZZ'),
    basic(':secret'),
    basic('AKIDFUZZ:'),
    basic('AKIDFUZZ:secret:'),
    basic('AKIDFUZZ:secret:session-token'),
    basic('AKIDFUZZ:secret:tok\r\nen'),
    basic('AKIDFUZZ:secret:tök'),
    basic('AKIDFUZZ:secret:日本'),
    basic('AKIDFUZZ:sec\0ret'),
    basic('AKID-FUZZ:secret'),
    basic(`${'A'.repeat(129)}:secret`),
    basic(Uint8Array.from([0x41, 0x4b, 0x49, 0x44, 0x3a, 0xff, 0xfe, 0x3a, 0xc3, 0x28])),
  ],
  'x-fuzz': ['', 'x'],
};

const METHODS = ['POST', 'GET', 'PUT', 'HEAD', 'OPTIONS', 'DELETE', 'PATCH', 'post', '', 'P\0ST'];
const PATHS = [
  '/write',
  '/read',
  '/dev/write',
  '/prefix/dev/read',
  '/write/',
  '/write?x=1',
  '/write?',
  '//write//',
  '/',
  '',
  '/api/v1/write',
  '/healthz',
  '/metrics',
  '*',
  'write',
  '/read/write',
  '/%77rite',
  '/wr\0ite',
];

const seedsOf = (seeds: Seeds, route: Route): readonly BodySeed[] =>
  route === 'read' ? seeds.read : route === 'write-2.0' ? seeds.write2 : seeds.write1;

/** A body of the route's kind: the seed as is one time in ten, otherwise a layered mutant. */
const bodyFor = (seeds: Seeds, route: Route, random: Random): Uint8Array => {
  const pool = seedsOf(seeds, route);
  const seed = random.pick(pool);
  return random.chance(0.1)
    ? seed.compressed
    : mutateSnappyBody(seed, random, { others: pool, maxBytes: MAX_BODY_BYTES });
};

const pickRoute = (random: Random): Route =>
  random.pick<Route>(['write-1.0', 'write-1.0', 'write-2.0', 'read']);

/** Deletes a header, or replaces its value with an interesting or mutated one. */
const mutateHeaders = (headers: Record<string, string>, random: Random): void => {
  for (let edits = random.int(1, 3); edits > 0; edits--) {
    const name = random.pick(Object.keys(INTERESTING_HEADERS));
    if (random.chance(0.2)) delete headers[name];
    else headers[name] = mutateText(headers[name] ?? '', random, INTERESTING_HEADERS[name] ?? []);
  }
};

/** Input `index` of the core-handler target: a mutated body, and sometimes a mutated method, path or headers. */
export const coreHandlerInput = (seeds: Seeds, seed: number, index: number): CoreRequest => {
  const random = randomFor(seed, 'core-handler', index);
  const route = pickRoute(random);
  const body = bodyFor(seeds, route, random);
  const headers: Record<string, string> = { ...HEADERS_OF[route], authorization: basicAuth() };
  if (random.chance(0.3)) mutateHeaders(headers, random);
  const canonical = route === 'read' ? '/read' : '/write';
  return {
    method: random.chance(0.06) ? mutateText('POST', random, METHODS) : 'POST',
    path: random.chance(0.12) ? mutateText(canonical, random, PATHS) : canonical,
    headers,
    body,
  };
};

/** Sets an own property, even one named `__proto__`, as JSON.parse would. */
const setOwn = (target: Record<string, unknown>, key: string, value: unknown): void => {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
};

const WRONG_VALUES: readonly unknown[] = [
  null,
  undefined,
  0,
  -1,
  1.5,
  true,
  false,
  '',
  'x',
  [],
  {},
  ['a', 1],
  { nested: { deeper: [null] } },
  'POST',
  '/write',
];
const EVENT_FIELDS: readonly (readonly string[])[] = [
  ['version'],
  ['rawPath'],
  ['requestContext'],
  ['requestContext', 'http'],
  ['requestContext', 'http', 'method'],
  ['requestContext', 'http', 'path'],
  ['httpMethod'],
  ['path'],
  ['headers'],
  ['multiValueHeaders'],
  ['body'],
  ['isBase64Encoded'],
];
const HEADER_NAMES = [
  'content-type',
  'Content-Type',
  'CONTENT-ENCODING',
  'authorization',
  'x-prometheus-remote-write-version',
  'x-prometheus-remote-read-version',
  '__proto__',
  'constructor',
  'toString',
  '',
  ' content-type',
];
const NOT_BASE64 = ['!!!!', '%%%', 'a', 'ab=', '====', 'ÿĀ', '-_-_', 'QUJD\nREVG', 'QUJD REVG', 'QUJDREVG=='];

/** An API Gateway event of either payload version, as the Lambda tests build them. */
const baseEvent = (random: Random, route: Route, body: Uint8Array): Record<string, unknown> => {
  const path = route === 'read' ? '/dev/read' : '/dev/write';
  const headers: Record<string, string> = {
    ...HEADERS_OF[route],
    authorization: basicAuth('AKIDLAMBDAFUZZ'),
  };
  const encoded = Buffer.from(body).toString('base64');
  if (random.chance(0.5)) {
    return {
      version: '2.0',
      routeKey: `POST ${path.slice(4)}`,
      rawPath: path,
      rawQueryString: '',
      headers,
      requestContext: {
        http: { method: 'POST', path, protocol: 'HTTP/1.1' },
        requestId: 'fuzz',
        stage: 'dev',
      },
      body: encoded,
      isBase64Encoded: true,
    };
  }
  const upper = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name.replace(/(^|-)[a-z]/g, (c) => c.toUpperCase()),
      value,
    ]),
  );
  return {
    version: '1.0',
    resource: path.slice(4),
    path,
    httpMethod: 'POST',
    headers: upper,
    multiValueHeaders: Object.fromEntries(Object.entries(upper).map(([name, value]) => [name, [value]])),
    requestContext: { httpMethod: 'POST', path, stage: 'dev', requestId: 'fuzz' },
    body: encoded,
    isBase64Encoded: true,
  };
};

const objectAt = (
  event: Record<string, unknown>,
  path: readonly string[],
): Record<string, unknown> | undefined => {
  let node: unknown = event;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : undefined;
};

type EventMutation = (event: Record<string, unknown>, random: Random) => void;

const EVENT_MUTATIONS: readonly EventMutation[] = [
  // a field of the wrong type, or missing
  (event, random) => {
    const path = random.pick(EVENT_FIELDS);
    const parent = objectAt(event, path.slice(0, -1));
    // A copy: later edits must not change the shared value (input i must not depend on earlier ones).
    const value = structuredClone(random.pick(WRONG_VALUES));
    if (parent === undefined) return;
    if (value === undefined) delete parent[path[path.length - 1] as string];
    else setOwn(parent, path[path.length - 1] as string, value);
  },
  // a header added, replaced, of the wrong type, or under an odd name
  (event, random) => {
    const group = random.chance(0.7) ? 'headers' : 'multiValueHeaders';
    const headers = objectAt(event, [group]);
    if (headers === undefined) return;
    const name = random.pick(HEADER_NAMES);
    const text = mutateText(
      String(headers[name] ?? ''),
      random,
      INTERESTING_HEADERS[name.toLowerCase()] ?? [],
    );
    const value = random.chance(0.7) ? text : structuredClone(random.pick(WRONG_VALUES));
    setOwn(headers, name, group === 'multiValueHeaders' && random.chance(0.7) ? [value, text] : value);
  },
  // a huge header value
  (event, random) => {
    const headers = objectAt(event, ['headers']);
    if (headers !== undefined)
      setOwn(headers, random.pick(HEADER_NAMES), 'x'.repeat(1 << random.int(10, 21)));
  },
  // a body that is not base64, or base64 of the wrong thing
  (event, random) => {
    const body = typeof event.body === 'string' ? event.body : '';
    event.body = random.chance(0.5) ? random.pick(NOT_BASE64) : mutateText(body, random, NOT_BASE64);
    if (random.chance(0.3)) event.isBase64Encoded = random.pick([true, false, 'true', 1]);
  },
  // the body's bytes sent as text (isBase64Encoded false)
  (event) => {
    event.body = Buffer.from(String(event.body ?? ''), 'base64').toString('latin1');
    event.isBase64Encoded = false;
  },
  // method and path
  (event, random) => {
    const http = objectAt(event, ['requestContext', 'http']);
    if (http !== undefined) http.method = mutateText(String(http.method ?? 'POST'), random, METHODS);
    if (event.rawPath !== undefined) event.rawPath = mutateText(String(event.rawPath), random, PATHS);
    if (event.httpMethod !== undefined)
      event.httpMethod = mutateText(String(event.httpMethod), random, METHODS);
    if (event.path !== undefined) event.path = mutateText(String(event.path), random, PATHS);
  },
];

/** Input `index` of the lambda-event target: an API Gateway event, mutated most of the time. */
export const lambdaEventInput = (seeds: Seeds, seed: number, index: number): unknown => {
  const random = randomFor(seed, 'lambda-event', index);
  const route = pickRoute(random);
  if (random.chance(0.02)) return random.pick<unknown>([null, [], 'POST /write', 42, {}]);
  const event = baseEvent(random, route, bodyFor(seeds, route, random));
  if (random.chance(0.7)) {
    for (let edits = random.int(1, 4); edits > 0; edits--) random.pick(EVENT_MUTATIONS)(event, random);
  }
  return event;
};

/** An HTTP/1.1 request before it is written out. */
interface RawRequest {
  method: string;
  target: string;
  version: string;
  headers: [string, string][];
  body: Uint8Array;
  /** Chunked transfer coding: the chunk sizes written, and how the framing is broken. */
  chunked: { readonly sizes: readonly number[]; readonly breakage: number } | undefined;
  lineEnd: string;
  /** Requests pipelined after this one on the same connection. */
  pipelined: Uint8Array[];
}

const rawHealthz = (): Uint8Array =>
  Buffer.from('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n', 'latin1');

/** Writes a request out; chunk breakages: 1 bad size, 2 missing CRLF, 3 no last chunk, 4 size past the data. */
const serialize = (request: RawRequest): Uint8Array => {
  const eol = request.lineEnd;
  const lines = [`${request.method} ${request.target} ${request.version}`];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  const head = Buffer.from(`${lines.join(eol)}${eol}${eol}`, 'latin1');
  if (request.chunked === undefined) return concatBytes(head, request.body, ...request.pipelined);
  const parts: Uint8Array[] = [head];
  const { sizes, breakage } = request.chunked;
  let offset = 0;
  for (const size of sizes) {
    const chunk = request.body.subarray(offset, offset + size);
    offset += chunk.length;
    const declared = breakage === 4 ? chunk.length + 7 : chunk.length;
    parts.push(
      Buffer.from(
        `${breakage === 1 ? 'zz' : declared.toString(16)}${breakage === 1 ? '' : ';ext=1'}\r\n`,
        'latin1',
      ),
      chunk,
      Buffer.from(breakage === 2 ? '' : '\r\n', 'latin1'),
    );
  }
  if (breakage !== 3) parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return concatBytes(...parts, ...request.pipelined);
};

const setHeader = (request: RawRequest, name: string, value: string): void => {
  request.headers = request.headers.filter(([n]) => n.toLowerCase() !== name.toLowerCase());
  request.headers.push([name, value]);
};

type RequestMutation = (request: RawRequest, random: Random, seeds: Seeds) => void;

const REQUEST_MUTATIONS: readonly RequestMutation[] = [
  (request, random) => {
    request.method = mutateText(request.method, random, METHODS);
  },
  (request, random) => {
    request.target = mutateText(request.target, random, [
      ...PATHS,
      'http://localhost/write',
      `/${'a'.repeat(20_000)}`,
    ]);
  },
  (request, random) => {
    request.version = mutateText(request.version, random, [
      'HTTP/1.0',
      'HTTP/2.0',
      'HTTP/1',
      'http/1.1',
      'HTTP/9.9',
      '',
    ]);
  },
  // delete a header
  (request, random) => {
    request.headers.splice(random.below(request.headers.length), 1);
  },
  // duplicate a header, maybe with another value (two Content-Lengths, two Hosts)
  (request, random) => {
    const [name, value] = random.pick(request.headers);
    request.headers.push([name, random.chance(0.5) ? value : mutateText(value, random, ['0', '1', ''])]);
  },
  // header name: no colon, spaces, non-token characters, empty
  (request, random) => {
    const at = random.below(request.headers.length);
    const [name, value] = request.headers[at] as [string, string];
    request.headers[at] = [
      mutateText(name, random, ['', `${name} `, ` ${name}`, `${name}\0`, 'X(Y)', 'Content Length']),
      value,
    ];
  },
  // header value: control characters, obs-fold, non-latin1, huge
  (request, random) => {
    const at = random.below(request.headers.length);
    const [name, value] = request.headers[at] as [string, string];
    request.headers[at] = [
      name,
      mutateText(value, random, [`${value}\r\n continued`, `${value}\0`, '', ' ']),
    ];
  },
  // many headers
  (request, random) => {
    const count = random.pick([100, 1000, 2001, 5000]);
    for (let i = 0; i < count; i++) request.headers.push([`X-Fuzz-${i}`, 'v']);
  },
  // one huge header (Node's limit for the whole head is 16 KiB)
  (request, random) => {
    request.headers.push(['X-Big', 'b'.repeat(random.pick([8_000, 16_384, 17_000, 100_000]))]);
  },
  // Content-Length that does not match the body
  (request, random) => {
    const length = request.body.length;
    setHeader(
      request,
      'Content-Length',
      String(
        random.pick<string | number>([
          length + 1,
          length - 1,
          0,
          -1,
          ' 10',
          '1e3',
          '0x10',
          2 ** 53,
          'abc',
          '',
          '99999999999999999999',
        ]),
      ),
    );
  },
  // chunked, well-formed or broken, with or without Content-Length
  (request, random) => {
    request.headers = request.headers.filter(
      ([name]) => random.chance(0.2) || name.toLowerCase() !== 'content-length',
    );
    request.headers.push([
      'Transfer-Encoding',
      random.pick(['chunked', 'chunked', 'Chunked', 'gzip, chunked', 'chunked, gzip', 'identity']),
    ]);
    const sizes: number[] = [];
    for (let left = request.body.length; left > 0; ) {
      const size = Math.min(left, random.pick([1, 100, 4096, 65_536]));
      sizes.push(size);
      left -= size;
    }
    request.chunked = { sizes, breakage: random.chance(0.5) ? 0 : random.int(1, 4) };
  },
  // another body (its Content-Length kept true)
  (request, random, seeds) => {
    request.body = bodyFor(seeds, 'write-1.0', random);
    setHeader(request, 'Content-Length', String(request.body.length));
  },
  // pipelined requests after this one
  (request, random, seeds) => {
    for (let n = random.int(1, 3); n > 0; n--)
      request.pipelined.push(random.chance(0.5) ? rawHealthz() : serialize(validWriteRequest(random, seeds)));
  },
  // bare LF or bare CR line endings
  (request, random) => {
    request.lineEnd = random.pick(['\n', '\r', '\n\r']);
  },
  // Connection, Expect and Upgrade headers
  (request, random) => {
    const [name, value] = random.pick<[string, string]>([
      ['Connection', 'close'],
      ['Connection', 'keep-alive'],
      ['Connection', 'Upgrade'],
      ['Upgrade', 'websocket'],
      ['Expect', '100-continue'],
      ['Expect', 'something-else'],
      ['Host', ''],
    ]);
    setHeader(request, name, value);
  },
];

/** The write request Prometheus 2.42 sends, with a captured body. */
const validWriteRequest = (random: Random, seeds: Seeds): RawRequest => {
  const body = random.pick(seeds.write1).compressed;
  return {
    method: 'POST',
    target: '/write',
    version: 'HTTP/1.1',
    headers: [
      ['Host', 'localhost'],
      ['User-Agent', 'Prometheus/2.42.0+ds'],
      ['Content-Type', 'application/x-protobuf'],
      ['Content-Encoding', 'snappy'],
      ['X-Prometheus-Remote-Write-Version', '0.1.0'],
      ['Authorization', basicAuth()],
      ['Content-Length', String(body.length)],
    ],
    body,
    chunked: undefined,
    lineEnd: '\r\n',
    pipelined: [],
  };
};

/** Input `index` of the http-server target: the bytes written to a fresh connection (then half-closed). */
export const httpServerInput = (seeds: Seeds, seed: number, index: number): Uint8Array => {
  const random = randomFor(seed, 'http-server', index);
  const request = validWriteRequest(random, seeds);
  if (random.chance(0.1)) return serialize(request);
  for (let edits = random.int(1, 3); edits > 0; edits--)
    random.pick(REQUEST_MUTATIONS)(request, random, seeds);
  const bytes = serialize(request);
  if (!random.chance(0.15)) return bytes;
  // Byte havoc within the head (or a cut anywhere), where the HTTP parser reads.
  const headEnd = Math.min(bytes.length, Buffer.from(bytes).indexOf('\r\n\r\n') + 4 || bytes.length);
  if (random.chance(0.3)) return bytes.subarray(0, random.below(bytes.length));
  return concatBytes(
    havoc(bytes.subarray(0, headEnd), random, { splice: [], maxBytes: 65_536 }),
    bytes.subarray(headEnd),
  );
};

// ---------------------------------------------------------------------------------------------
// Running

type Outcome = 'accepted' | 'refused' | { readonly kind: FuzzFailureKind; readonly detail: string };

const preview = (body: string | Uint8Array): string =>
  JSON.stringify((typeof body === 'string' ? body : Buffer.from(body).toString('utf8')).slice(0, 300));

/** Judges an answer: 2xx accepted, 4xx refused if its message is readable, anything else fails. */
const judge = (status: number, contentType: string | undefined, body: string | Uint8Array): Outcome => {
  if (status >= 200 && status < 300) return 'accepted';
  if (status >= 400 && status < 500) {
    const problem = messageProblem(body, contentType);
    return problem === undefined ? 'refused' : { kind: 'message', detail: `status ${status}: ${problem}` };
  }
  return { kind: 'status', detail: `status ${status}: ${preview(body)}` };
};

const headerOf = (headers: Readonly<Record<string, string>>, name: string): string | undefined =>
  Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];

const TIMED_OUT = Symbol('timed out');

const withTimeout = async <T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  // A late rejection of an abandoned input is not an unhandled one.
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
};

export interface ConnectorTargetOptions {
  readonly seed: number;
  readonly inputs: number;
}

/** Runs inputs 0..n-1 one after the other, each under `INPUT_TIMEOUT_MS`; returns how many ran. */
const runInputs = async <I>(
  options: ConnectorTargetOptions,
  recorder: Recorder,
  rss: ReturnType<typeof watchRss>,
  make: (index: number) => I,
  run: (input: I) => Promise<Outcome>,
  save: (input: I) => FailingInput,
  afterInput?: (index: number, input: I) => Promise<void>,
  timeoutMs = INPUT_TIMEOUT_MS,
): Promise<number> => {
  let ran = 0;
  for (let index = 0; index < options.inputs; index++) {
    let input: I;
    try {
      input = make(index);
    } catch (error) {
      // The fuzzer's own bug, not the target's; reported all the same, and the run goes on.
      recorder.fail('crash', `the fuzzer could not build this input: ${describeError(error)}`, index, {
        json: null,
      });
      continue;
    }
    recorder.begin(index, () => save(input));
    let outcome: Outcome | typeof TIMED_OUT;
    try {
      outcome = await withTimeout(run(input), timeoutMs);
    } catch (error) {
      outcome = { kind: 'crash', detail: describeError(error) };
    }
    ran++;
    if (outcome === TIMED_OUT)
      recorder.fail('hang', `no answer within ${timeoutMs / 1000} s`, index, save(input));
    else if (outcome === 'accepted') recorder.accepted();
    else if (outcome === 'refused') recorder.refused();
    else recorder.fail(outcome.kind, outcome.detail, index, save(input));
    await afterInput?.(index, input);
    const resident = rss.sample();
    if (resident > RSS_LIMIT_BYTES) {
      recorder.fail(
        'memory',
        `RSS ${Math.round(resident / 2 ** 20)} MiB after this input; target stopped`,
        index,
        save(input),
      );
      break;
    }
  }
  return ran;
};

const saveCoreRequest = (request: CoreRequest): FailingInput => ({
  json: { ...request, body: Buffer.from(request.body).toString('base64'), bodyEncoding: 'base64' },
});

/** Target 5: the core handler in-process. */
export const fuzzCoreHandler = (
  system: SystemUnderTest,
  seeds: Seeds,
  options: ConnectorTargetOptions,
  recorder: Recorder,
  rss: ReturnType<typeof watchRss>,
): Promise<number> =>
  runInputs(
    options,
    recorder,
    rss,
    (index) => coreHandlerInput(seeds, options.seed, index),
    async (request) => {
      const response = await system.harness.handle(request);
      return judge(response.status, headerOf(response.headers, 'content-type'), response.body);
    },
    saveCoreRequest,
    async () => {
      // The harness keeps every log line; the fuzzer does not need them.
      system.harness.logs.length = 0;
    },
  );

/** Target 7: the Lambda adapter. */
export const fuzzLambdaEvents = (
  system: SystemUnderTest,
  seeds: Seeds,
  options: ConnectorTargetOptions,
  recorder: Recorder,
  rss: ReturnType<typeof watchRss>,
): Promise<number> =>
  runInputs(
    options,
    recorder,
    rss,
    (index) => lambdaEventInput(seeds, options.seed, index),
    async (event) => {
      const result: unknown = await system.lambda(event as never, {
        awsRequestId: 'fuzz',
        getRemainingTimeInMillis: () => 30_000,
      });
      const shape = result as Partial<ApiGatewayResult> | null;
      if (
        typeof shape?.statusCode !== 'number' ||
        typeof shape.body !== 'string' ||
        typeof shape.isBase64Encoded !== 'boolean' ||
        typeof shape.headers !== 'object'
      )
        return { kind: 'crash', detail: `not a proxy result: ${JSON.stringify(result)?.slice(0, 300)}` };
      if (shape.statusCode >= 400 && shape.statusCode < 500 && shape.isBase64Encoded)
        return { kind: 'message', detail: `status ${shape.statusCode} with a base64 body` };
      return judge(shape.statusCode, headerOf(shape.headers, 'content-type'), shape.body);
    },
    (event) => ({ json: event }),
    async () => {
      system.harness.logs.length = 0;
    },
  );

/**
 * How many complete requests `bytes` hold, by HTTP/1.1 framing (Content-Length or chunked), up
 * to the first one that is cut short or that closes the connection. The server may wait for the
 * rest of an incomplete request; it must answer every complete one.
 */
export const completeRequests = (bytes: Uint8Array): number => {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let requests = 0;
  let pos = 0;
  while (pos < buffer.length) {
    const headEnd = buffer.indexOf('\r\n\r\n', pos, 'latin1');
    if (headEnd < 0) return requests;
    const lines = buffer.subarray(pos, headEnd).toString('latin1').split('\r\n');
    const header = (name: string): string[] =>
      lines
        .slice(1)
        .filter((line) => line.slice(0, name.length + 1).toLowerCase() === `${name}:`)
        .map((line) => line.slice(name.length + 1).trim());
    pos = headEnd + 4;
    if (header('transfer-encoding').some((value) => /chunked$/i.test(value))) {
      for (;;) {
        const lineEnd = buffer.indexOf('\r\n', pos, 'latin1');
        if (lineEnd < 0) return requests;
        const size = Number.parseInt(
          buffer.subarray(pos, lineEnd).toString('latin1').split(';')[0] ?? '',
          16,
        );
        // A malformed size is answered 400 at once; the server does not wait for more.
        if (Number.isNaN(size)) return requests + 1;
        pos = lineEnd + 2;
        if (size === 0) {
          const trailerEnd = buffer.indexOf('\r\n', pos, 'latin1');
          if (trailerEnd < 0) return requests;
          pos = trailerEnd === pos ? pos + 2 : buffer.indexOf('\r\n\r\n', pos, 'latin1') + 4;
          if (pos < 4) return requests;
          break;
        }
        if (pos + size + 2 > buffer.length) return requests;
        pos += size + 2;
      }
    } else {
      const lengths = header('content-length');
      const length = lengths.length === 1 && /^\d+$/.test(lengths[0] ?? '') ? Number(lengths[0]) : 0;
      if (pos + length > buffer.length) return requests;
      pos += length;
    }
    requests++;
    const request = (lines[0] ?? '').toUpperCase();
    if (header('connection').some((value) => /close/i.test(value)) || request.endsWith('HTTP/1.0'))
      return requests;
  }
  return requests;
};

/**
 * Writes `bytes` to a fresh connection and reads the answers. Once every complete request is
 * answered (or at once when none is), the client half-closes, and the server must then close.
 * Times out, as a hang, when either takes longer than `CONNECTION_TIMEOUT_MS`.
 */
const exchange = (port: number, bytes: Uint8Array): Promise<Buffer | string> =>
  new Promise((resolve) => {
    const expected = completeRequests(bytes);
    const chunks: Buffer[] = [];
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (what: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        socket.destroy();
        resolve(`${what} within ${CONNECTION_TIMEOUT_MS / 1000} s (${expected} complete requests sent)`);
      }, CONNECTION_TIMEOUT_MS);
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      socket.end();
      arm('the server did not close the connection after the client finished');
    };
    // Not allowHalfOpen: the server's FIN closes the client's side too, and 'close' follows.
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      socket.write(bytes);
      if (expected === 0) finish();
    });
    arm('the complete requests were not answered');
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (!finished && statusesOf(Buffer.concat(chunks)).length >= expected) finish();
    });
    // A reset is one way for a server to refuse; what was answered before it still counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });

/**
 * Statuses of every response in an answer (interim 1xx answers left out), found by their status
 * lines: a body ending in a bare newline (`ok\n`) may come right before the next one. Counting one
 * too many only makes the client finish early; one too few would look like a hang.
 */
const statusesOf = (answer: Buffer): number[] =>
  [...answer.toString('latin1').matchAll(/(?:^|\n)HTTP\/1\.[01] (\d{3}) /g)]
    .map((match) => Number(match[1]))
    .filter((status) => status >= 200);

const healthz = (url: string): Promise<number | string> =>
  new Promise((resolve) => {
    const request = httpRequest(`${url}/healthz`, { timeout: CONNECTION_TIMEOUT_MS }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (error) => resolve(describeError(error)));
    request.end();
  });

/** Target 6: the standalone server over raw TCP. */
export const fuzzHttpServer = (
  system: SystemUnderTest,
  seeds: Seeds,
  options: ConnectorTargetOptions,
  recorder: Recorder,
  rss: ReturnType<typeof watchRss>,
): Promise<number> =>
  runInputs(
    options,
    recorder,
    rss,
    (index) => httpServerInput(seeds, options.seed, index),
    async (bytes) => {
      const answer = await exchange(system.server.port, bytes);
      if (typeof answer === 'string') return { kind: 'hang', detail: answer };
      const statuses = statusesOf(answer);
      const failed = statuses.find((status) => status >= 500);
      if (failed !== undefined)
        return { kind: 'status', detail: `status ${failed}: ${preview(answer.subarray(0, 400))}` };
      return statuses.length > 0 && statuses.every((status) => status < 300) ? 'accepted' : 'refused';
    },
    (bytes) => bytes,
    async (index, bytes) => {
      system.harness.logs.length = 0;
      if ((index + 1) % HEALTH_CHECK_EVERY !== 0 && index + 1 !== options.inputs) return;
      const health = await healthz(system.server.url);
      if (health !== 200)
        recorder.fail(
          'hang',
          `/healthz answered ${health} after this batch of ${HEALTH_CHECK_EVERY} connections`,
          index,
          bytes,
        );
    },
    // exchange() times out by itself, in two steps.
    2 * CONNECTION_TIMEOUT_MS + 2_000,
  );
