/**
 * The read route's steps, one by one and together, with a fake `query`: no emulator, no SDK.
 */
import {
  type ChunkedReadSeries,
  decodeReadResponse,
  encodeReadRequest,
  type ReadRequestInput,
} from '@prometheus-timestream/codec';
import { TimestreamUnavailableError } from '../src/errors.js';
import {
  answerRead,
  createReadRoute,
  decodeRead,
  planRead,
  queryLog,
  type RunQueries,
} from '../src/read-route.js';
import type { ReadOutcome } from '../src/timestream-read.js';
import { context, READ_HEADERS, request } from './helpers/fakes.js';

const QUERY = {
  startTimestampMs: 1_000,
  endTimestampMs: 2_000,
  matchers: [{ type: 'EQ', name: 'job', value: 'api' }],
} as const;

const readRequest = (input: ReadRequestInput = { queries: [QUERY] }) =>
  request(encodeReadRequest(input), { path: '/read', headers: READ_HEADERS });

const SERIES: readonly ChunkedReadSeries[] = [
  {
    labels: [
      { name: '__name__', value: 'up' },
      { name: 'job', value: 'api' },
    ],
    samples: [
      { timestampMs: 1_000, value: 1, stale: false, startTimestampMs: 0 },
      { timestampMs: 1_500, value: 0, stale: false, startTimestampMs: 0 },
    ],
  },
];

describe('planRead', () => {
  it.each([
    { userAgent: 'Prometheus/3.5.0', dialect: 'prometheus3', logged: undefined },
    { userAgent: 'Prometheus/2.42.0+ds', dialect: 'prometheus2', logged: 'prometheus2' },
  ])(
    'plans the queries for $userAgent, logging a dialect other than 3.x',
    ({ userAgent, dialect, logged }) => {
      // Act
      const { value, log } = planRead(decodeRead(readRequest(), 1024), userAgent, 1);

      // Assess
      expect(value).toEqual({
        queries: [expect.objectContaining(QUERY)],
        responseType: 'SAMPLES',
        regexDialect: dialect,
      });
      expect(log).toEqual({
        queries: 1,
        responseType: 'SAMPLES',
        ...(logged === undefined ? {} : { regexDialect: logged }),
      });
    },
  );

  it('picks the first response type the client accepts that the connector answers', () => {
    const decoded = decodeRead(
      readRequest({ queries: [QUERY], acceptedResponseTypes: ['STREAMED_XOR_CHUNKS', 'SAMPLES'] }),
      1024,
    );
    expect(planRead(decoded, undefined, 1).value.responseType).toBe('STREAMED_XOR_CHUNKS');
  });

  it.each([
    {
      description: 'more queries than max-read-queries',
      input: { queries: [QUERY, QUERY] },
      message:
        'remote read request holds 2 queries; the connector answers at most 1 per request (max-read-queries)',
    },
    {
      description: 'no response type the connector answers',
      input: { queries: [QUERY], acceptedResponseTypes: [7] },
      message: /^none of the accepted response types \[UNKNOWN\] is supported/,
    },
  ])('refuses $description with 400', ({ input, message }) => {
    const decoded = decodeRead(readRequest(input as ReadRequestInput), 1024);
    expect(() => planRead(decoded, undefined, 1)).toThrow(
      expect.objectContaining({
        status: 400,
        message: typeof message === 'string' ? message : expect.stringMatching(message),
      }),
    );
  });
});

describe('answerRead: the answer limit is inclusive', () => {
  const sizeOf = (responseType: 'SAMPLES' | 'STREAMED_XOR_CHUNKS'): number =>
    (answerRead(responseType, [SERIES], Number.MAX_SAFE_INTEGER).body as Uint8Array).length;

  it.each(['SAMPLES', 'STREAMED_XOR_CHUNKS'] as const)(
    '%s: exactly at the limit answers 200',
    (responseType) => {
      const response = answerRead(responseType, [SERIES], sizeOf(responseType));
      expect(response.status).toBe(200);
    },
  );

  it.each(['SAMPLES', 'STREAMED_XOR_CHUNKS'] as const)(
    '%s: one byte over the limit answers 400',
    (responseType) => {
      const limit = sizeOf(responseType) - 1;
      expect(() => answerRead(responseType, [SERIES], limit)).toThrow(
        expect.objectContaining({
          status: 400,
          message: `remote read answer of ${limit + 1} bytes exceeds the connector's limit of ${limit} (max-read-response-bytes); query a shorter time range or fewer series`,
        }),
      );
    },
  );

  it.each([
    {
      responseType: 'SAMPLES' as const,
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
    },
    {
      responseType: 'STREAMED_XOR_CHUNKS' as const,
      headers: { 'Content-Type': 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse' },
    },
  ])('answers $responseType with its headers', ({ responseType, headers }) => {
    expect(answerRead(responseType, [SERIES], 1 << 20).headers).toEqual(headers);
  });

  it('answers SAMPLES that decode back to the series', () => {
    const body = answerRead('SAMPLES', [SERIES, []], 1 << 20).body as Uint8Array;
    expect(decodeReadResponse(body).map((result) => result.series.length)).toEqual([1, 0]);
  });
});

describe('createReadRoute', () => {
  const route = (query: RunQueries) => {
    const reads: number[] = [];
    const read = createReadRoute({
      maxDecodedBytes: 1024,
      limits: { maxReadQueries: 2, maxReadResponseBytes: 1 << 20 },
      query,
      challenge: 'Basic realm="test"',
      metrics: { readRequest: (_seconds, samples) => reads.push(samples) },
    });
    return { read, reads };
  };
  const admission = { route: 'read' as const, credentials: undefined };
  const answered: ReadOutcome = { results: [SERIES], samples: 2, pages: 3 };

  it('decodes, plans, queries and answers, with every step in the log and the read counted', async () => {
    // Prepare
    const plans: unknown[] = [];
    const { read, reads } = route(async (plan) => {
      plans.push(plan.queries.length);
      return answered;
    });

    // Act
    const answer = await read(readRequest(), admission, context);

    // Assess
    expect(answer.response.status).toBe(200);
    expect(plans).toEqual([1]);
    expect(answer.log).toEqual({ queries: 1, responseType: 'SAMPLES', series: 1, samples: 2, pages: 3 });
    expect(queryLog(answered)).toEqual({ series: 1, samples: 2, pages: 3 });
    expect(reads).toEqual([2]);
  });

  it('answers a failed query with its status, the plan still in the log, and counts no read', async () => {
    const { read, reads } = route(() =>
      Promise.reject(new TimestreamUnavailableError('Timestream is unavailable')),
    );
    const answer = await read(readRequest(), admission, context);
    expect([answer.response.status, answer.response.body]).toEqual([503, 'Timestream is unavailable\n']);
    expect(answer.log).toEqual({ queries: 1, responseType: 'SAMPLES', error: 'Timestream is unavailable' });
    expect(reads).toEqual([]);
  });

  it('answers a malformed body 400 without querying', async () => {
    const { read } = route(() => Promise.reject(new Error('must not be called')));
    const answer = await read(
      request(Uint8Array.of(0xff), { path: '/read', headers: READ_HEADERS }),
      admission,
      context,
    );
    expect(answer.response.status).toBe(400);
    expect(answer.log.error).toMatch(/^malformed request: snappy/);
  });
});
