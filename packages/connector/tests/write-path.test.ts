/**
 * The write path through the core handler, the real SDK client and the emulator: the status-code
 * contract, retries that never duplicate, permanent rejections, per-caller credentials and
 * bounded parallelism.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressSnappyBlock, encodeWriteRequestV1 } from '@prometheus-timestream/codec';
import {
  basicAuth,
  DATABASE,
  type Harness,
  nodeSeries,
  startHarness,
  TABLE,
  text,
  V2_HEADERS,
  writeBody,
  writeBodyV2,
} from '../support/harness.js';

const FROM = `"${DATABASE}"."${TABLE}"`;
const HOUR = 3_600_000;

const countRows = async (h: Harness, where = 'true'): Promise<number> =>
  Number((await h.query(`SELECT count(*) AS n FROM ${FROM} WHERE ${where}`))[0]?.n);

describe('write path: core handler → real SDK client → emulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());
  afterEach(() => h.emulator.clearFaults());

  it('stores every sample of a request exactly, values shortest round trip, and answers 204', async () => {
    // Prepare
    const now = Date.now();
    const values = [1e-7, 1e300, -0, 42, 0.1 + 0.2];
    const body = writeBody(
      values.map((value, i) => ({
        labels: [
          { name: '__name__', value: 'exact_values' },
          { name: 'i', value: String(i) },
        ],
        samples: [{ timestampMs: now, value }],
      })),
    );

    // Act
    const response = await h.post(body);

    // Assess
    expect(response.status).toBe(204);
    const rows = await h.query(
      `SELECT i, "measure_value::double" AS v FROM ${FROM} WHERE measure_name = 'exact_values' ORDER BY i`,
    );
    expect(rows.map((r) => Number(r.v))).toEqual(values);
  });

  describe('the status-code table', () => {
    const now = Date.now();
    const good = writeBody(nodeSeries(3, now, 'status'));
    it.each([
      { description: 'success', body: good, headers: {}, status: 204, message: /^$/ },
      {
        description: 'metadata-only request',
        body: compressSnappyBlock(
          encodeWriteRequestV1({
            series: [],
            metadata: [{ metricFamilyName: 'up', type: 'gauge', help: 'h', unit: '' }],
          }),
        ),
        headers: {},
        status: 204,
        message: /^$/,
      },
      {
        description: 'empty WriteRequest',
        body: compressSnappyBlock(new Uint8Array(0)),
        headers: {},
        status: 204,
        message: /^$/,
      },
      {
        description: 'only staleness markers',
        body: writeBody([
          {
            labels: [{ name: '__name__', value: 'up' }],
            samples: [{ timestampMs: now, value: Number.NaN, stale: true }],
          },
        ]),
        headers: {},
        status: 204,
        message: /^$/,
      },
      {
        description: 'body that is not snappy',
        body: Uint8Array.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e]),
        headers: {},
        status: 400,
        message: /^malformed request: /,
      },
      {
        description: 'zero-length body',
        body: new Uint8Array(0),
        headers: {},
        status: 400,
        message: /^malformed request: /,
      },
      // 0x05 declares 5 bytes; the literal holds 0x0a 0x03 (field 1, length 3) and then ends.
      {
        description: 'truncated protobuf',
        body: Uint8Array.from([0x05, 0x10, 0x0a, 0x03, 0x0a, 0x01, 0x61]),
        headers: {},
        status: 400,
        message: /^malformed request: /,
      },
      {
        description: 'JSON content type',
        body: good,
        headers: { 'content-type': 'application/json' },
        status: 415,
        message: /Content-Type "application\/json"/,
      },
      {
        description: 'gzip encoding',
        body: good,
        headers: { 'content-encoding': 'gzip' },
        status: 415,
        message: /Content-Encoding "gzip"/,
      },
      {
        description: 'no credentials',
        body: good,
        headers: { authorization: undefined },
        status: 401,
        message: /missing Authorization header/,
      },
      {
        description: 'bearer instead of basic',
        body: good,
        headers: { authorization: 'Bearer abc' },
        status: 401,
        message: /not valid basic auth/,
      },
      {
        description: 'basic auth without a password',
        body: good,
        headers: { authorization: `Basic ${Buffer.from('AKID').toString('base64')}` },
        status: 401,
        message: /not AWS credentials/,
      },
      // Found by the fuzzer: the token went on into the X-Amz-Security-Token header, Node refused
      // the header, and the failed call was answered 503, which Prometheus retries forever.
      {
        description: 'a session token with a line break',
        body: good,
        headers: { authorization: basicAuth('ASIATEMPORARY', 'secret:tok\r\nen') },
        status: 401,
        message: /not AWS credentials/,
      },
      {
        description: 'a session token that is not ASCII',
        body: good,
        headers: { authorization: basicAuth('ASIATEMPORARY', 'secret:日本') },
        status: 401,
        message: /not AWS credentials/,
      },
    ])('$description → $status', async ({ body, headers, status, message }) => {
      const response = await h.post(body, headers);
      expect(response.status).toBe(status);
      expect(text(response).trim()).toMatch(message);
    });

    it('405 with Allow for GET /write and GET /read, 404 elsewhere', async () => {
      for (const path of ['/write', '/read']) {
        const get = await h.handle({ method: 'GET', path, headers: {}, body: new Uint8Array() });
        expect([get.status, get.headers.Allow]).toEqual([405, 'POST']);
      }
      expect(
        (await h.handle({ method: 'POST', path: '/elsewhere', headers: {}, body: new Uint8Array() })).status,
      ).toBe(404);
    });

    it('405 repeats the method with control characters escaped and cut (found by the fuzzer)', async () => {
      const answer = async (method: string) =>
        text(await h.handle({ method, path: '/write', headers: {}, body: new Uint8Array() })).trim();
      expect(await answer('P\u0000ST\u001b[31m')).toBe(
        'method P\\x00ST\\x1b[31m is not allowed here; use POST',
      );
      expect(await answer('M'.repeat(1000))).toBe(`method ${'M'.repeat(32)}… is not allowed here; use POST`);
    });

    it('routes /<stage>/write and, without a known path, by the remote-write version header', async () => {
      const body = writeBody(nodeSeries(1, Date.now(), 'routing'));
      expect((await h.post(body, {}, '/dev/write')).status).toBe(204);
      expect((await h.post(body, {}, '/')).status).toBe(204);
    });

    it('413 when the body exceeds max-body-bytes, or its declared decoded size exceeds max-decoded-bytes', async () => {
      const small = await startHarness({ flags: ['--max-body-bytes=1024', '--max-decoded-bytes=2048'] });
      try {
        const large = writeBody(nodeSeries(200, Date.now(), 'large'));
        expect(large.length).toBeGreaterThan(1024);
        const tooLarge = await small.post(large);
        expect([tooLarge.status, text(tooLarge)]).toEqual([
          413,
          `request body of ${large.length} bytes exceeds 1024\n`,
        ]);
        // A tiny body whose snappy preamble declares 1 MiB (varint 0x80 0x80 0x40).
        const bomb = await small.post(Uint8Array.from([0x80, 0x80, 0x40, 0x00]));
        expect(bomb.status).toBe(413);
      } finally {
        await small.stop();
      }
    });
  });

  it('logs one line per request with counts, and skipped series with their labels only at debug', async () => {
    // Prepare
    const longName = 'l'.repeat(61);
    const body = writeBody([
      ...nodeSeries(2, Date.now(), 'logged'),
      {
        labels: [
          { name: '__name__', value: 'skipped_metric' },
          { name: longName, value: 'v' },
        ],
        samples: [{ timestampMs: Date.now(), value: 1 }],
      },
    ]);
    h.logs.length = 0;

    // Act
    await h.post(body);

    // Assess
    expect(h.logs).toEqual([
      expect.objectContaining({
        level: 'debug',
        msg: 'series skipped',
        series: `skipped_metric{${longName}="v"}: label_name_too_long`,
      }),
      expect.objectContaining({
        level: 'info',
        msg: 'request',
        route: 'write',
        status: 204,
        series: 3,
        samples: 3,
        records: 2,
        written: 2,
        calls: 1,
        skipped: 'label_name_too_long=1',
      }),
    ]);
    expect(typeof h.logs[1]?.durationMs).toBe('number');
  });

  describe('remote write 2.0', () => {
    it('answers with the Written headers: what was stored, and markers and NaN settled by policy', async () => {
      // Prepare: 3 float samples, 1 staleness marker, 1 NaN, 1 +Inf; 2 samples of a series
      // whose label name Timestream cannot hold.
      const now = Date.now();
      const body = writeBodyV2([
        ...nodeSeries(3, now, 'v2'),
        {
          labels: [{ name: '__name__', value: 'v2_gone' }],
          samples: [
            { timestampMs: now, value: Number.NaN, stale: true },
            { timestampMs: now + 1, value: Number.NaN },
            { timestampMs: now + 2, value: Number.POSITIVE_INFINITY },
          ],
        },
        {
          labels: [
            { name: '__name__', value: 'v2_unstorable' },
            { name: 'l'.repeat(61), value: 'v' },
          ],
          samples: [
            { timestampMs: now, value: 1 },
            { timestampMs: now + 1, value: Number.NaN, stale: true },
          ],
        },
      ]);

      // Act
      const response = await h.post(body, V2_HEADERS);

      // Assess: 3 stored + 3 settled; the series skipped for its label is not written.
      expect(response.status).toBe(204);
      expect(response.headers).toMatchObject({
        'X-Prometheus-Remote-Write-Samples-Written': '6',
        'X-Prometheus-Remote-Write-Histograms-Written': '0',
        'X-Prometheus-Remote-Write-Exemplars-Written': '0',
      });
      expect(await countRows(h, "job = 'v2'")).toBe(3);
    });

    it.each([
      { what: 'staleness markers only', value: Number.NaN, stale: true },
      { what: 'NaN only', value: Number.NaN, stale: false },
    ])(
      'a request of $what is written in full: Prometheus 3 would call 0 a failure',
      async ({ value, stale }) => {
        // Prepare: nothing to store, 4 samples.
        const now = Date.now();
        const body = writeBodyV2(
          [0, 1].map((i) => ({
            labels: [
              { name: '__name__', value: 'v2_nothing' },
              { name: 'i', value: String(i) },
            ],
            samples: [
              { timestampMs: now, value, stale },
              { timestampMs: now + 1, value, stale },
            ],
          })),
        );

        // Act
        const response = await h.post(body, V2_HEADERS);

        // Assess
        expect(response.status).toBe(204);
        expect(response.headers).toMatchObject({ 'X-Prometheus-Remote-Write-Samples-Written': '4' });
        expect(await countRows(h, "measure_name = 'v2_nothing'")).toBe(0);
      },
    );
  });

  describe('transient failures answer 503, and the resent request stores each sample exactly once', () => {
    it.each([
      { fault: { throttleRate: 1 }, message: /ThrottlingException/ },
      { fault: { errorRate: 1 }, message: /InternalServerException/ },
    ])('$fault', async ({ fault, message }) => {
      // Prepare: 250 samples, 3 batches; a unique job per case.
      const job = `retry-${Object.keys(fault)[0]}`;
      const body = writeBody(nodeSeries(250, Date.now(), job));
      h.emulator.setFault({ operation: 'WriteRecords', ...fault });

      // Act
      const failed = await h.post(body);
      h.emulator.clearFaults();
      const resent = await h.post(body);
      const resentAgain = await h.post(body);

      // Assess
      expect(failed.status).toBe(503);
      expect(text(failed)).toMatch(message);
      expect(text(failed)).toMatch(/Prometheus will retry/);
      expect([resent.status, resentAgain.status]).toEqual([204, 204]);
      expect(await countRows(h, `job = '${job}'`)).toBe(250);
      const [distinct] = await h.query(`SELECT count(DISTINCT cpu) AS n FROM ${FROM} WHERE job = '${job}'`);
      expect(Number(distinct?.n)).toBe(250);
    });

    it('a 503 to remote write 2.0 claims only what was stored, not the settled NaN (the batch is resent whole)', async () => {
      // Prepare: 2 samples and a NaN; Timestream throttles every call.
      const now = Date.now();
      const body = writeBodyV2([
        ...nodeSeries(2, now, 'v2-503'),
        {
          labels: [{ name: '__name__', value: 'v2_503_nan' }],
          samples: [{ timestampMs: now, value: Number.NaN }],
        },
      ]);
      h.emulator.setFault({ operation: 'WriteRecords', throttleRate: 1 });

      // Act
      const response = await h.post(body, V2_HEADERS);
      h.emulator.clearFaults();

      // Assess
      expect(response.status).toBe(503);
      expect(response.headers).toMatchObject({ 'X-Prometheus-Remote-Write-Samples-Written': '0' });
    });

    it('503 when Timestream is unreachable (connection refused)', async () => {
      const closed = await startHarness({ writeEndpoint: () => 'http://127.0.0.1:9' });
      try {
        const response = await closed.post(writeBody(nodeSeries(1, Date.now())));
        expect(response.status).toBe(503);
        expect(text(response)).toMatch(/Timestream is unavailable .*ECONNREFUSED/);
      } finally {
        await closed.stop();
      }
    });

    it('503 when the request deadline passes before Timestream answers', async () => {
      h.emulator.setFault({ operation: 'WriteRecords', latencyMs: 3_000 });
      const response = await h.handle(
        {
          method: 'POST',
          path: '/write',
          headers: { authorization: basicAuth() },
          body: writeBody(nodeSeries(1, Date.now(), 'slow')),
        },
        1_000,
      );
      expect(response.status).toBe(503);
      expect(text(response)).toMatch(/deadline passed/);
    });

    it('503 naming the fix when the table does not exist (the data stays in the WAL)', async () => {
      const missing = await startHarness({ flags: ['--default-table=no_such_table'] });
      try {
        const response = await missing.post(writeBody(nodeSeries(1, Date.now())));
        expect(response.status).toBe(503);
        expect(text(response)).toMatch(
          /table "no_such_table" of database "prom" does not exist; create it or fix default-database\/default-table/,
        );
      } finally {
        await missing.stop();
      }
    });
  });

  describe('permanent rejections answer 400 after every other record is written', () => {
    it('counts rejected records by reason and quotes the first reasons', async () => {
      // Prepare: 150 good samples, 2 outside the 6 h memory-store window, 1 conflicting value.
      const now = Date.now();
      await h.post(
        writeBody([
          {
            labels: [
              { name: '__name__', value: 'conflict' },
              { name: 'job', value: 'reject' },
            ],
            samples: [{ timestampMs: now, value: 1 }],
          },
        ]),
      );
      const body = writeBody([
        ...nodeSeries(150, now, 'reject'),
        {
          labels: [
            { name: '__name__', value: 'too_old' },
            { name: 'job', value: 'reject' },
          ],
          samples: [
            { timestampMs: now - 7 * HOUR, value: 1 },
            { timestampMs: now - 8 * HOUR, value: 2 },
          ],
        },
        {
          labels: [
            { name: '__name__', value: 'conflict' },
            { name: 'job', value: 'reject' },
          ],
          samples: [{ timestampMs: now, value: 2 }],
        },
      ]);

      // Act
      const response = await h.post(body);

      // Assess
      expect(response.status).toBe(400);
      const [summary, ...examples] = text(response).trim().split('\n');
      expect(summary).toBe(
        'Timestream rejected 3 of 153 samples for good (conflicting_value=1, outside_retention=2); the other 150 were written.',
      );
      expect(examples).toHaveLength(3);
      expect(examples.join('\n')).toMatch(/outside the time range/);
      expect(examples.join('\n')).toMatch(/A record already exists/);
      expect(await countRows(h, "job = 'reject' AND measure_name LIKE 'node_metric_%'")).toBe(150);
      expect(h.metrics.render()).toMatch(
        /timestream_connector_rejected_samples_total\{reason="outside_retention"\} 2/,
      );
    });

    it('repeats rejection reasons with control characters escaped (found by the fuzzer)', async () => {
      // Prepare: a label name with an escape sequence and a NUL, which the emulator rejects and quotes.
      const body = writeBody([
        {
          labels: [
            { name: '__name__', value: 'escaped' },
            { name: 'a\u001b[31m\u0000', value: 'v' },
          ],
          samples: [{ timestampMs: Date.now(), value: 1 }],
        },
      ]);

      // Act
      const response = await h.post(body);

      // Assess: one line per reason, no raw control character.
      expect(response.status).toBe(400);
      expect(text(response).trim().split('\n')[1]).toBe(
        "  - Dimension name 'a\\x1b[31m\\0' contains NUL, which timestream-local cannot store.",
      );
    });
  });

  describe('credentials', () => {
    it('sends every WriteRecords call with its own caller’s access key id, under concurrency', async () => {
      // Prepare: 8 callers, 4 requests each, all in flight together.
      const callers = Array.from({ length: 8 }, (_, i) => `AKIDCALLER${i}X`);
      const before = h.emulator.requests().length;
      const base = Date.now();

      // Act
      const responses = await Promise.all(
        callers.flatMap((key, i) =>
          Array.from({ length: 4 }, (_, r) =>
            h.post(writeBody(nodeSeries(120, base - r * 1000, `caller-${i}`)), {
              authorization: basicAuth(key, `secret-of-${key}`),
            }),
          ),
        ),
      );

      // Assess: the emulator saw each caller's job only under that caller's key.
      expect(responses.every((r) => r.status === 204)).toBe(true);
      const writes = h.emulator
        .requests()
        .slice(before)
        .filter((r) => r.operation === 'WriteRecords');
      expect(writes).toHaveLength(8 * 4 * 2);
      expect(new Set(writes.map((w) => w.accessKeyId))).toEqual(new Set(callers));
      for (const [i] of callers.entries()) expect(await countRows(h, `job = 'caller-${i}'`)).toBe(120 * 4);
    });

    it('accepts temporary credentials as secret:session-token', async () => {
      const response = await h.post(writeBody(nodeSeries(1, Date.now(), 'sts')), {
        authorization: basicAuth('ASIATEMPORARY', 'secret:FwoGZXIvYXdzEBYaDH+token/with+slashes=='),
      });
      expect(response.status).toBe(204);
      expect(h.emulator.requests().at(-1)?.accessKeyId).toBe('ASIATEMPORARY');
    });

    it('iam mode: writes with the connector’s own credentials once the bearer token matches', async () => {
      const path = join(mkdtempSync(join(tmpdir(), 'connector-token-')), 'token');
      writeFileSync(path, 'the-right-token\n');
      const withToken = await startHarness({ flags: ['--auth=iam', `--auth-token-file=${path}`] });
      try {
        const body = writeBody(nodeSeries(2, Date.now(), 'iam'));
        const statuses: number[] = [];
        for (const authorization of [
          undefined,
          'Bearer the-wrong-token',
          'Bearer the-right-toke',
          basicAuth(),
          'Bearer the-right-token',
        ]) {
          statuses.push((await withToken.post(body, { authorization })).status);
        }
        expect(statuses).toEqual([401, 401, 401, 401, 204]);
        const writes = withToken.emulator.requests().filter((r) => r.operation === 'WriteRecords');
        expect(writes.map((w) => w.accessKeyId)).toEqual(['AKIDCONNECTOR']);
        expect(JSON.stringify(withToken.logs)).not.toMatch(/the-right-token|the-wrong-token/);
      } finally {
        await withToken.stop();
      }
    });

    it('never writes a secret to the log', async () => {
      await h.post(writeBody(nodeSeries(1, Date.now())), {
        authorization: basicAuth('AKIDLOGCHECK', 'very-secret-value'),
      });
      await h.post(writeBody(nodeSeries(1, Date.now())), { authorization: 'Basic !!!' });
      expect(JSON.stringify(h.logs)).not.toMatch(/very-secret-value|secret-of-|FwoGZXIv/);
    });
  });
});

describe('write path: bounded parallelism', () => {
  /** A loopback proxy in front of the emulator that tracks how many calls are in flight at once. */
  const startCountingProxy = async (target: () => string) => {
    let inFlight = 0;
    let maxInFlight = 0;
    let calls = 0;
    const server: Server = createServer((incoming, outgoing) => {
      calls++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const url = new URL(target());
      const forward = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
          answer.on('end', () => inFlight--);
        },
      );
      incoming.pipe(forward);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      maxInFlight: () => maxInFlight,
      calls: () => calls,
      reset: () => {
        maxInFlight = 0;
      },
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  };

  it.each([
    { concurrency: 1, samples: 1000 },
    { concurrency: 4, samples: 1000 },
    { concurrency: 20, samples: 1000 },
  ])(
    'concurrency $concurrency with $samples samples → min(concurrency, calls) WriteRecords calls in flight at most',
    async ({ concurrency, samples }) => {
      // Prepare: each call takes 150 ms at the emulator, so calls that may overlap do.
      let emulatorEndpoint = '';
      const proxy = await startCountingProxy(() => emulatorEndpoint);
      const h = await startHarness({
        flags: [`--write-concurrency=${concurrency}`],
        emulator: { faults: { latencyMs: 150, throttleRate: 0, errorRate: 0 } },
        writeEndpoint: (endpoint) => {
          emulatorEndpoint = endpoint;
          return proxy.url;
        },
      });
      try {
        // Act
        const response = await h.post(writeBody(nodeSeries(samples, Date.now(), `parallel-${concurrency}`)));

        // Assess: 10 to 14 calls (batches end on whole write units).
        expect(response.status).toBe(204);
        expect(proxy.calls()).toBeGreaterThanOrEqual(10);
        expect(proxy.calls()).toBeLessThanOrEqual(14);
        expect(proxy.maxInFlight()).toBe(Math.min(concurrency, proxy.calls()));
        expect(await countRows(h, `job = 'parallel-${concurrency}'`)).toBe(samples);
      } finally {
        await h.stop();
        await proxy.close();
      }
    },
  );
});
