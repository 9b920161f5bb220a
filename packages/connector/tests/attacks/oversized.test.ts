/**
 * Attack: make the connector allocate what the caller only claims to send. Bodies over the limit
 * (declared, chunked, base64 in a Lambda event), snappy blocks that announce gigabytes, protobuf
 * fields that claim gigabytes: each is refused with a readable 4xx before anything that size is
 * allocated.
 */
import { request as httpRequest } from 'node:http';
import { compressSnappyBlock } from '@prometheus-timestream/codec';
import type { Connector } from '../../src/handler.js';
import { type ApiGatewayEvent, createLambdaHandler } from '../../src/lambda.js';
import type { RunningServer } from '../../src/server.js';
import {
  basicAuth,
  type Harness,
  nodeSeries,
  READ_HEADERS,
  startHarness,
  text,
  V2_HEADERS,
  writeBody,
} from '../../support/harness.js';
import { PROMETHEUS_HEADERS, rawExchange, serve } from './helpers.js';

const MAX_BODY_BYTES = 65_536;
const MAX_DECODED_BYTES = 16 * 1024 * 1024;
const LIMIT_FLAGS = [`--max-body-bytes=${MAX_BODY_BYTES}`, `--max-decoded-bytes=${MAX_DECODED_BYTES}`];
const MIB = 1024 * 1024;

/** A protobuf varint (lengths up to 2^64 - 1, hence bigint). */
const varint = (value: bigint): number[] => {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return bytes;
};

/** A length-delimited field's key: field number and wire type 2. */
const lengthDelimited = (field: number): number => (field << 3) | 2;

describe('oversized bodies are refused before they are allocated', () => {
  let h: Harness;
  let server: RunningServer;
  beforeAll(async () => {
    h = await startHarness({ flags: LIMIT_FLAGS });
    server = await serve(h, LIMIT_FLAGS);
  });
  afterAll(async () => {
    await server.close();
    await h.stop();
  });

  it('refuses a declared Content-Length over the limit with 413 before reading the body', async () => {
    // Only headers are sent: the answer cannot have waited for a body of 10 MB.
    const answer = await rawExchange(
      server.port,
      'POST /write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 10000000\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/request body of 10000000 bytes exceeds 65536/);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
  });

  it('refuses a chunked body once it grows over the limit with 413', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        `${server.url}/write`,
        { method: 'POST', headers: PROMETHEUS_HEADERS },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      // 20 chunks of 8 KiB, no Content-Length: the limit is found while reading.
      for (let i = 0; i < 20; i++) request.write(Buffer.alloc(8192, 1));
      request.end();
    });
    expect(status).toBe(413);
  });

  describe('a snappy block announcing more than --max-decoded-bytes, in a tiny body', () => {
    it.each([
      { route: '/write', declared: 2 ** 32 - 1 },
      { route: '/write', declared: MAX_DECODED_BYTES + 1 },
      { route: '/read', declared: 2 ** 32 - 1 },
      { route: '/read', declared: MAX_DECODED_BYTES + 1 },
    ])(
      '$route, $declared bytes: 413 at once, nothing of that size allocated',
      async ({ route, declared }) => {
        // Prepare: the preamble, then a few literal bytes that would never decode to that length.
        const body = Uint8Array.from([...varint(BigInt(declared)), 0x0c, 0x61, 0x62, 0x63, 0x64]);
        const headers = route === '/read' ? { ...READ_HEADERS, authorization: basicAuth() } : {};
        const before = process.memoryUsage().arrayBuffers;
        let grownMost = 0;
        const started = performance.now();

        // Act: ten in a row, so an allocation per request would add up before any GC.
        const answers = [];
        for (let i = 0; i < 10; i++) {
          answers.push(await h.post(body, headers, route));
          grownMost = Math.max(grownMost, process.memoryUsage().arrayBuffers - before);
        }

        // Assess
        const elapsedMs = performance.now() - started;
        for (const answer of answers) {
          expect(answer.status).toBe(413);
          expect(text(answer)).toBe(
            `snappy: decoded length ${declared} bytes exceeds the limit of ${MAX_DECODED_BYTES} bytes\n`,
          );
        }
        expect(grownMost).toBeLessThan(4 * MIB);
        expect(elapsedMs).toBeLessThan(1_000);
      },
    );

    it('through the server too: 413 with the same message', async () => {
      const response = await fetch(`${server.url}/write`, {
        method: 'POST',
        headers: PROMETHEUS_HEADERS,
        body: Uint8Array.from([...varint(2n ** 32n - 1n), 0x00]),
      });
      expect(response.status).toBe(413);
      expect(await response.text()).toMatch(/^snappy: decoded length 4294967295 bytes exceeds the limit/);
    });
  });

  describe('protobuf fields claiming gigabytes answer 400, not an allocation', () => {
    // Each message is small and honestly snappy-compressed; only one length inside it lies.
    it.each([
      {
        description: 'WriteRequest.timeseries of 4 GiB - 1',
        route: '/write',
        headers: {},
        error: 'length 4294967295 runs past the end of the buffer',
        message: [lengthDelimited(1), ...varint(2n ** 32n - 1n), 0x0a, 0x00],
      },
      {
        description: 'WriteRequest.timeseries with a 10-byte length (2^63)',
        route: '/write',
        headers: {},
        error: 'length varint exceeds 32 bits',
        message: [lengthDelimited(1), ...varint(2n ** 63n), 0x0a, 0x00],
      },
      {
        description: 'TimeSeries.labels of 2 GiB inside an honest TimeSeries',
        route: '/write',
        headers: {},
        error: 'length 2147483648 runs past the end of the buffer',
        message: [lengthDelimited(1), 8, lengthDelimited(1), ...varint(2n ** 31n), 0x0a, 0x03],
      },
      {
        description: 'Label.value of 3 GiB inside honest TimeSeries and Label',
        route: '/write',
        headers: {},
        error: 'length 3221225472 runs past the end of the buffer',
        message: [
          lengthDelimited(1),
          11,
          lengthDelimited(1),
          9,
          0x0a,
          0x01,
          0x6a,
          0x12,
          ...varint(3n * 2n ** 30n),
        ],
      },
      {
        description: 'remote write 2.0 Request.symbols of 4 GiB - 1',
        route: '/write',
        headers: V2_HEADERS,
        error: 'length 4294967295 runs past the end of the buffer',
        message: [lengthDelimited(4), ...varint(2n ** 32n - 1n), 0x00],
      },
      {
        description: 'remote write 2.0 Request.timeseries of 2 GiB',
        route: '/write',
        headers: V2_HEADERS,
        error: 'length 2147483648 runs past the end of the buffer',
        message: [lengthDelimited(4), 0x00, lengthDelimited(5), ...varint(2n ** 31n), 0x0a],
      },
      {
        description: 'ReadRequest.queries of 4 GiB - 1',
        route: '/read',
        headers: READ_HEADERS,
        error: 'length 4294967295 runs past the end of the buffer',
        message: [lengthDelimited(1), ...varint(2n ** 32n - 1n), 0x08, 0x01],
      },
    ])('$description', async ({ route, headers, message, error }) => {
      // Prepare
      const before = process.memoryUsage().arrayBuffers;

      // Act
      const answer = await h.post(
        compressSnappyBlock(Uint8Array.from(message)),
        { ...headers, authorization: basicAuth() },
        route,
      );

      // Assess
      expect(answer.status).toBe(400);
      expect(text(answer)).toMatch(new RegExp(`^malformed request: ${error} at byte \\d+\n$`));
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * MIB);
    });
  });

  describe('the Lambda adapter', () => {
    /** The core handler, counting the requests that reach it. */
    const counting = (connector: Connector) => {
      const calls = { count: 0 };
      const wrapped: Connector = {
        admit: connector.admit,
        handle: (request, context) => {
          calls.count++;
          return connector.handle(request, context);
        },
      };
      return { wrapped, calls };
    };
    const event = (body: string, isBase64Encoded: boolean): ApiGatewayEvent => ({
      version: '2.0',
      rawPath: '/write',
      requestContext: { http: { method: 'POST', path: '/write' } },
      headers: { ...V2_HEADERS, 'content-encoding': 'snappy', authorization: basicAuth() },
      body,
      isBase64Encoded,
    });
    const context = { awsRequestId: 'oversized', getRemainingTimeInMillis: () => 30_000 };

    it.each([
      { description: 'base64, one byte over', bytes: MAX_BODY_BYTES + 1, base64: true },
      { description: 'base64, 4 MiB', bytes: 4 * MIB, base64: true },
      { description: 'plain text, one byte over', bytes: MAX_BODY_BYTES + 1, base64: false },
    ])(
      'refuses a body over the limit ($description) with 413, before decoding it',
      async ({ bytes, base64 }) => {
        // Prepare
        const { wrapped, calls } = counting(h.connector);
        const lambda = createLambdaHandler(wrapped);
        const body = base64 ? Buffer.alloc(bytes, 7).toString('base64') : 'x'.repeat(bytes);
        const from = jest.spyOn(Buffer, 'from');

        // Act
        let result: Awaited<ReturnType<typeof lambda>>;
        try {
          result = await lambda(event(body, base64), context);
        } finally {
          from.mockRestore();
        }

        // Assess
        expect(result).toEqual({
          statusCode: 413,
          headers: { 'Content-Type': 'text/plain; charset=utf-8' },
          body: `request body of ${bytes} bytes exceeds ${MAX_BODY_BYTES}\n`,
          isBase64Encoded: false,
        });
        expect(from.mock.calls.filter(([value]) => value === body)).toEqual([]);
        expect(calls.count).toBe(0);
      },
    );

    it('still passes a body at the limit to the core handler', async () => {
      // Prepare: exactly the limit, as base64 (the core then finds it is no snappy block).
      const { wrapped, calls } = counting(h.connector);
      const lambda = createLambdaHandler(wrapped);
      const body = Buffer.alloc(MAX_BODY_BYTES, 0xff).toString('base64');

      // Act
      const result = await lambda(event(body, true), context);

      // Assess
      expect(calls.count).toBe(1);
      expect(result.statusCode).toBe(400);
    });

    it('writes a normal body', async () => {
      const lambda = createLambdaHandler(h.connector);
      const body = Buffer.from(writeBody(nodeSeries(3, Date.now(), 'lambda-limit'))).toString('base64');
      const result = await lambda(
        { ...event(body, true), headers: { ...PROMETHEUS_HEADERS, authorization: basicAuth() } },
        context,
      );
      expect(result.statusCode).toBe(204);
    });
  });
});
