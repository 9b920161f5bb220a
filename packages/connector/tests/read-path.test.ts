/**
 * The read path end to end inside the process: remote-read bodies into the core handler, the real
 * query client against the emulator (pages forced small, the first page of every query empty),
 * both response types decoded back and compared with an in-memory evaluation of the matchers.
 */
import {
  decodeChunkedReadResponse,
  decodeReadResponse,
  encodeReadRequest,
  type FloatSample,
  type Label,
  type LabelMatcher,
  type ResponseType,
  STREAMED_CONTENT_TYPE,
} from '@prometheus-timestream/codec';
import {
  basicAuth,
  type Harness,
  postRead,
  READ_HEADERS,
  startHarness,
  text,
  writeBody,
} from '../support/harness.js';
import { expectedSeries, type LabelMap, type StoredSeries, sortedLabels } from './helpers/oracle.js';

const STEP = 15_000;
const T0 = Math.floor((Date.now() - 30 * 60_000) / 1000) * 1000;
const SAMPLES_PER_SERIES = 24;
const END = T0 + (SAMPLES_PER_SERIES - 1) * STEP;

const LABEL_SETS: LabelMap[] = [
  { __name__: 'http_requests_total', job: 'api', instance: 'a:9090', code: '200' },
  { __name__: 'http_requests_total', job: 'api', instance: 'a:9090', code: '500' },
  { __name__: 'http_requests_total', job: 'api-canary', instance: 'b:9090', code: '200' },
  { __name__: 'http_requests_total', instance: 'c:9090', code: '404' },
  { __name__: 'up', job: 'api', instance: 'a:9090' },
  { __name__: 'up', job: 'node', instance: 'n1' },
  { __name__: 'hostile', job: "it's", path: '"quoted"' },
  { __name__: 'hostile', job: 'back\\slash', path: '--; DROP TABLE metrics; --' },
  { __name__: 'hostile', job: 'new\nline', path: 'ünïcødé ✓ 🚀' },
];

const STORED: StoredSeries[] = LABEL_SETS.map((labels, s) => ({
  labels,
  samples: Array.from({ length: SAMPLES_PER_SERIES }, (_, i) => ({
    timestampMs: T0 + i * STEP,
    value: s === 0 ? i * 1e-7 : (s + 1) * 1000.25 + i,
  })),
}));

const m = (type: LabelMatcher['type'], name: string, value: string): LabelMatcher => ({ type, name, value });

const readHeaders = { ...READ_HEADERS, authorization: basicAuth() };

type Comparable = { labels: Label[]; samples: [number, number][] };

const comparable = (series: readonly { labels: readonly Label[]; samples: readonly FloatSample[] }[]) =>
  series.map(
    (s): Comparable => ({
      labels: [...s.labels],
      samples: s.samples.map((sample): [number, number] => [sample.timestampMs, sample.value]),
    }),
  );

type Answer = { labels: Label[]; samples: FloatSample[] }[][];

/** Joins the frames of a streamed answer back into one entry per series and query. */
const decodeStreamed = (body: Uint8Array): Answer => {
  const results: Answer = [];
  for (const frame of decodeChunkedReadResponse(body)) {
    results[frame.queryIndex] ??= [];
    const series = results[frame.queryIndex] as Answer[number];
    const last = series[series.length - 1];
    if (last !== undefined && JSON.stringify(last.labels) === JSON.stringify(frame.labels))
      last.samples.push(...frame.samples);
    else series.push({ labels: frame.labels, samples: [...frame.samples] });
  }
  return results;
};

const decodeAnswer = (
  body: Uint8Array,
  type: ResponseType,
): { labels: Label[]; samples: FloatSample[] }[][] =>
  type === 'SAMPLES'
    ? decodeReadResponse(body).map((result) =>
        result.series.map((s) => ({ labels: [...s.labels], samples: [...s.samples] })),
      )
    : decodeStreamed(body);

const asBytes = (body: string | Uint8Array): Uint8Array =>
  typeof body === 'string' ? Buffer.from(body) : body;

describe('remote read through the core handler, the real query client and the emulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ emulator: { pageRows: 7, emptyFirstPage: true } });
    // The second half first: Timestream's row order is no promise, and the answer must be sorted anyway.
    const half = (from: number, to: number) =>
      writeBody(
        STORED.map((series) => ({
          labels: sortedLabels(series.labels),
          samples: series.samples.slice(from, to),
        })),
      );
    expect((await h.post(half(SAMPLES_PER_SERIES / 2, SAMPLES_PER_SERIES))).status).toBe(204);
    expect((await h.post(half(0, SAMPLES_PER_SERIES / 2))).status).toBe(204);
  });
  afterAll(() => h.stop());

  const CASES: { title: string; matchers: LabelMatcher[]; start?: number; end?: number }[] = [
    { title: 'a metric', matchers: [m('EQ', '__name__', 'http_requests_total')] },
    { title: 'EQ does not match a prefix', matchers: [m('EQ', 'job', 'api')] },
    { title: 'RE is anchored', matchers: [m('RE', 'job', 'api')] },
    { title: 'RE with a wildcard', matchers: [m('RE', 'job', 'api.*')] },
    { title: 'NEQ keeps series without the label', matchers: [m('NEQ', 'job', 'api')] },
    { title: 'EQ "" selects series without the label', matchers: [m('EQ', 'job', '')] },
    { title: 'NEQ "" requires the label', matchers: [m('NEQ', 'job', ''), m('EQ', '__name__', 'up')] },
    { title: 'RE matching "" also matches absence', matchers: [m('RE', 'job', 'api|')] },
    { title: 'NRE matching "" excludes absence', matchers: [m('NRE', 'job', '|node')] },
    { title: 'RE alternation', matchers: [m('RE', 'job', 'api|node')] },
    { title: 'NRE alternation', matchers: [m('NRE', 'job', 'api|node')] },
    { title: '__name__ RE', matchers: [m('RE', '__name__', 'http_.*|up')] },
    {
      title: '__name__ NRE and NEQ',
      matchers: [m('NRE', '__name__', 'up'), m('NEQ', '__name__', 'hostile')],
    },
    { title: 'character class', matchers: [m('RE', 'code', '5..')] },
    { title: 'RE2 named group', matchers: [m('RE', 'job', '(?P<j>api)')] },
    { title: 'POSIX class', matchers: [m('RE', 'job', '[[:alpha:]]+'), m('EQ', '__name__', 'up')] },
    { title: 'unknown label EQ value', matchers: [m('EQ', 'nonexistent', 'x')] },
    { title: 'unknown label EQ ""', matchers: [m('EQ', 'nonexistent', ''), m('EQ', '__name__', 'up')] },
    { title: 'unknown label RE .*', matchers: [m('RE', 'nonexistent', '.*'), m('EQ', 'job', 'node')] },
    { title: 'unknown label RE .+', matchers: [m('RE', 'nonexistent', '.+')] },
    { title: 'unknown label NEQ', matchers: [m('NEQ', 'nonexistent', 'x'), m('EQ', 'job', 'api')] },
    { title: 'a quote stays a literal', matchers: [m('EQ', 'job', "it's")] },
    { title: 'double quotes stay literals', matchers: [m('EQ', 'path', '"quoted"')] },
    { title: 'SQL comment and semicolon', matchers: [m('EQ', 'path', '--; DROP TABLE metrics; --')] },
    { title: 'a backslash', matchers: [m('EQ', 'job', 'back\\slash')] },
    { title: 'a newline', matchers: [m('EQ', 'job', 'new\nline')] },
    { title: 'unicode in a regex', matchers: [m('RE', 'path', 'ünï.*🚀')] },
    { title: 'a quote in a regex', matchers: [m('RE', 'job', "it's|x'--")] },
    { title: 'injection through a label name', matchers: [m('EQ', 'job" = job OR "1', '1')] },
    {
      title: 'inclusive bounds, mid-range',
      matchers: [m('EQ', '__name__', 'up')],
      start: T0 + 3 * STEP,
      end: T0 + 7 * STEP,
    },
    { title: 'one instant', matchers: [m('EQ', 'job', 'node')], start: T0 + 5 * STEP, end: T0 + 5 * STEP },
    {
      title: 'bounds one ms off a sample',
      matchers: [m('EQ', 'job', 'node')],
      start: T0 + 1,
      end: T0 + STEP - 1,
    },
    { title: 'an empty range', matchers: [m('EQ', 'job', 'node')], start: END, end: T0 },
  ];

  describe.each<{ type: ResponseType; accepted: ResponseType[] }>([
    { type: 'SAMPLES', accepted: [] },
    { type: 'STREAMED_XOR_CHUNKS', accepted: ['STREAMED_XOR_CHUNKS', 'SAMPLES'] },
  ])('$type', ({ type, accepted }) => {
    it.each(CASES)('$title', async ({ matchers, start = T0 - 60_000, end = END + 60_000 }) => {
      // Act
      const response = await postRead(h, {
        queries: [{ startTimestampMs: start, endTimestampMs: end, matchers }],
        acceptedResponseTypes: accepted,
      });

      // Assess
      expect(response.status).toBe(200);
      expect(response.headers['Content-Type']).toBe(
        type === 'SAMPLES' ? 'application/x-protobuf' : STREAMED_CONTENT_TYPE,
      );
      expect(response.headers['Content-Encoding']).toBe(type === 'SAMPLES' ? 'snappy' : undefined);
      const results = decodeAnswer(asBytes(response.body), type);
      // A streamed answer without series has no frame at all.
      expect(results.length).toBe(type === 'SAMPLES' || results.length === 1 ? 1 : 0);
      expect(comparable(results[0] ?? [])).toEqual(expectedSeries(STORED, matchers, start, end));
    });
  });

  it('answers several queries in one request, each in its own result, in order', async () => {
    const queries = [
      { startTimestampMs: T0, endTimestampMs: END, matchers: [m('EQ', '__name__', 'up')] },
      { startTimestampMs: T0, endTimestampMs: END, matchers: [m('EQ', 'nonexistent', 'x')] },
      { startTimestampMs: T0, endTimestampMs: T0 + STEP, matchers: [m('RE', 'job', 'api.*')] },
    ];
    for (const accepted of [[], ['STREAMED_XOR_CHUNKS']] as ResponseType[][]) {
      const response = await postRead(h, { queries, acceptedResponseTypes: accepted });
      expect(response.status).toBe(200);
      const results = decodeAnswer(asBytes(response.body), accepted[0] ?? 'SAMPLES');
      const expected = queries.map((q) =>
        expectedSeries(STORED, q.matchers, q.startTimestampMs, q.endTimestampMs),
      );
      // A query without series has no frame in a streamed answer.
      expect(queries.map((_, i) => comparable(results[i] ?? []))).toEqual(expected);
      expect(expected.map((series) => series.length)).toEqual([2, 0, 4]);
    }
  });

  it("reads every page, the empty first one included, with the caller's own key", async () => {
    const queriesBefore = h.emulator.requests().filter((r) => r.operation === 'Query').length;
    const response = await postRead(h, {
      queries: [
        { startTimestampMs: T0, endTimestampMs: END, matchers: [m('EQ', '__name__', 'http_requests_total')] },
      ],
    });
    expect(response.status).toBe(200);
    const queries = h.emulator
      .requests()
      .filter((r) => r.operation === 'Query')
      .slice(queriesBefore);
    // 96 rows at 7 a page, after an empty first page: 15 pages.
    expect(h.logs.at(-1)).toMatchObject({ route: 'read', status: 200, samples: 96, series: 4, pages: 15 });
    expect(queries.length).toBeGreaterThanOrEqual(15);
    expect(new Set(queries.map((r) => r.accessKeyId))).toEqual(new Set(['AKIDCALLER1']));
  });

  it('returns the values bit for bit (1e-7 steps) and every label, the metric name included', async () => {
    const response = await postRead(h, {
      queries: [{ startTimestampMs: T0, endTimestampMs: END, matchers: [m('EQ', 'code', '200')] }],
    });
    const [result] = decodeAnswer(asBytes(response.body), 'SAMPLES');
    const first = result?.find((s) => s.labels.some((l) => l.value === 'api'));
    expect(first?.labels).toEqual([
      { name: '__name__', value: 'http_requests_total' },
      { name: 'code', value: '200' },
      { name: 'instance', value: 'a:9090' },
      { name: 'job', value: 'api' },
    ]);
    expect(first?.samples.map((s) => s.value)).toEqual(STORED[0]?.samples.map((s) => s.value));
  });

  it.each([
    {
      title: 'an RE2 construct Java lacks',
      request: {
        queries: [{ startTimestampMs: T0, endTimestampMs: END, matchers: [m('RE', 'job', 'a\\C')] }],
      },
      status: 400,
      message: /cannot translate the regular expression "a\\\\C"/,
    },
    {
      title: 'a regex Timestream cannot compile',
      request: { queries: [{ startTimestampMs: T0, endTimestampMs: END, matchers: [m('RE', 'job', '(')] }] },
      status: 400,
      message: /^Timestream refused the query: /,
    },
  ])('400 for $title', async ({ request, status, message }) => {
    const response = await postRead(h, request);
    expect(response.status).toBe(status);
    expect(text(response)).toMatch(message);
  });

  it.each([
    { title: 'a body that is not snappy', body: Buffer.from('not snappy at all'), headers: {}, status: 400 },
    {
      title: 'a gzip body',
      body: encodeReadRequest({ queries: [] }),
      headers: { 'content-encoding': 'gzip' },
      status: 415,
    },
    {
      title: 'only response types the connector does not know',
      // accepted_response_types = [7], packed
      body: Buffer.from([0x06, 0x14, 0x12, 0x01, 0x07]),
      headers: {},
      status: 400,
    },
    {
      title: 'no credentials',
      body: encodeReadRequest({ queries: [] }),
      headers: { authorization: '' },
      status: 401,
    },
  ])('$status for $title', async ({ body, headers, status }) => {
    const response = await h.handle({
      method: 'POST',
      path: '/read',
      headers: { ...readHeaders, ...headers },
      body,
    });
    expect(response.status).toBe(status);
    expect(text(response).length).toBeGreaterThan(10);
  });
});

describe('remote read limits and failures', () => {
  const T = Date.now() - 10 * 60_000;
  const manySeries = (count: number, samples: number) =>
    writeBody(
      Array.from({ length: count }, (_, i) => ({
        labels: [
          { name: '__name__', value: 'load' },
          { name: 'instance', value: `host-${i}` },
        ],
        samples: Array.from({ length: samples }, (_, j) => ({
          timestampMs: T + j * 1000,
          value: Math.random(),
        })),
      })),
    );
  const query = {
    startTimestampMs: T - 1,
    endTimestampMs: T + 3_600_000,
    matchers: [m('EQ', '__name__', 'load')],
  };

  it('400 naming max-read-samples when the answer would hold more samples', async () => {
    const h = await startHarness({ flags: ['--max-read-samples=1000'] });
    try {
      expect((await h.post(manySeries(20, 60))).status).toBe(204);
      const response = await postRead(h, { queries: [query] });
      expect(response.status).toBe(400);
      expect(text(response)).toMatch(/more than 1000 samples.*\(max-read-samples\)/);
      // The budget is per request: two queries of 600 samples each, both under it alone, exceed it together.
      const half = (re: string) => ({ ...query, matchers: [...query.matchers, m('RE', 'instance', re)] });
      expect((await postRead(h, { queries: [half('host-[0-9]')] })).status).toBe(200);
      const both = await postRead(h, { queries: [half('host-[0-9]'), half('host-1[0-9]')] });
      expect([both.status, text(both)]).toEqual([400, expect.stringMatching(/more than 1000 samples/)]);
    } finally {
      await h.stop();
    }
  });

  it('400 naming max-read-queries, before any Timestream query, when a request holds more queries', async () => {
    // Found by the fuzzer: a body repeating its query field a thousand times held the connector
    // for 10-25 s, one Timestream query after another.
    const h = await startHarness({ flags: ['--max-read-queries=2'] });
    try {
      expect((await h.post(manySeries(3, 2))).status).toBe(204);
      expect((await postRead(h, { queries: [query, query] })).status).toBe(200);
      const queriesBefore = h.emulator.metering().queries.queries;
      const response = await postRead(h, { queries: [query, query, query] });
      expect([response.status, text(response)]).toEqual([
        400,
        'remote read request holds 3 queries; the connector answers at most 2 per request (max-read-queries)\n',
      ]);
      expect(h.emulator.metering().queries.queries).toBe(queriesBefore);
    } finally {
      await h.stop();
    }
  });

  it('400 naming max-read-response-bytes when the encoded answer is larger', async () => {
    const h = await startHarness({ flags: ['--max-read-response-bytes=65536'] });
    try {
      expect((await h.post(manySeries(100, 60))).status).toBe(204);
      const response = await postRead(h, { queries: [query] });
      expect(response.status).toBe(400);
      expect(text(response)).toMatch(/answer of \d+ bytes exceeds .* 65536 \(max-read-response-bytes\)/);
      // The same data fits as XOR chunks, several times smaller.
      const streamed = await postRead(h, {
        queries: [query],
        acceptedResponseTypes: ['STREAMED_XOR_CHUNKS'],
      });
      expect(streamed.status).toBe(200);
    } finally {
      await h.stop();
    }
  });

  it('503 when Timestream throttles every attempt, 200 once it stops', async () => {
    const h = await startHarness({ flags: ['--max-read-retries=1'] });
    try {
      expect((await h.post(manySeries(2, 5))).status).toBe(204);
      h.emulator.setFault({ operation: 'Query', throttleRate: 1 });
      const throttled = await postRead(h, { queries: [query] });
      h.emulator.clearFaults();
      const recovered = await postRead(h, { queries: [query] });
      expect([throttled.status, recovered.status]).toEqual([503, 200]);
      expect(text(throttled)).toMatch(/ThrottlingException/);
    } finally {
      await h.stop();
    }
  });

  it('503 when the deadline passes before Timestream answers', async () => {
    const h = await startHarness();
    try {
      expect((await h.post(manySeries(2, 5))).status).toBe(204);
      h.emulator.setFault({ operation: 'Query', latencyMs: 3000 });
      const response = await h.handle(
        {
          method: 'POST',
          path: '/read',
          headers: readHeaders,
          body: encodeReadRequest({ queries: [query] }),
        },
        600,
      );
      expect(response.status).toBe(503);
      expect(text(response)).toMatch(/deadline passed/);
    } finally {
      await h.stop();
    }
  });

  it('503 naming the table when it does not exist', async () => {
    const h = await startHarness({ flags: ['--default-table=missing'] });
    try {
      const response = await postRead(h, { queries: [query] });
      expect(response.status).toBe(503);
      expect(text(response)).toMatch(/table "missing" of database "prom" does not exist/);
    } finally {
      await h.stop();
    }
  });

  it('an empty table answers empty results, not an error', async () => {
    const h = await startHarness();
    try {
      const response = await postRead(h, { queries: [query, query] });
      expect(response.status).toBe(200);
      expect(decodeReadResponse(asBytes(response.body)).map((r) => r.series.length)).toEqual([0, 0]);
    } finally {
      await h.stop();
    }
  });
});

describe('staleness markers', () => {
  const T = Date.now() - 10 * 60_000;
  const series = (samples: { timestampMs: number; value: number; stale?: boolean }[]) =>
    writeBody([
      {
        labels: [
          { name: '__name__', value: 'probe' },
          { name: 'job', value: 'churn' },
        ],
        samples,
      },
    ]);
  const query = { startTimestampMs: T, endTimestampMs: T + 120_000, matchers: [m('EQ', 'job', 'churn')] };

  it.each<{ store: boolean; expected: [number, number | 'stale'][] }>([
    {
      store: true,
      expected: [
        [T, 1],
        [T + 15_000, 2],
        [T + 30_000, 'stale'],
        [T + 60_000, 3],
      ],
    },
    {
      store: false,
      expected: [
        [T, 1],
        [T + 15_000, 2],
        [T + 60_000, 3],
      ],
    },
  ])(
    'store-staleness-markers=$store: the marker comes back as StaleNaN only when stored',
    async ({ store, expected }) => {
      const h = await startHarness({ flags: store ? ['--store-staleness-markers'] : [] });
      try {
        // Prepare: a read first, so the cache holds the table's columns from before any marker.
        expect(
          (
            await h.post(
              series([
                { timestampMs: T, value: 1 },
                { timestampMs: T + 15_000, value: 2 },
              ]),
            )
          ).status,
        ).toBe(204);
        expect((await postRead(h, { queries: [query] })).status).toBe(200);
        const marker = { timestampMs: T + 30_000, value: Number.NaN, stale: true };
        expect((await h.post(series([marker, { timestampMs: T + 60_000, value: 3 }]))).status).toBe(204);

        // Act
        for (const accepted of [[], ['STREAMED_XOR_CHUNKS']] as ResponseType[][]) {
          const response = await postRead(h, { queries: [query], acceptedResponseTypes: accepted });
          const [result] = decodeAnswer(asBytes(response.body), accepted[0] ?? 'SAMPLES');

          // Assess
          expect(result?.map((s) => s.labels)).toEqual([
            [
              { name: '__name__', value: 'probe' },
              { name: 'job', value: 'churn' },
            ],
          ]);
          expect(result?.[0]?.samples.map((s) => [s.timestampMs, s.stale ? 'stale' : s.value])).toEqual(
            expected,
          );
        }
      } finally {
        await h.stop();
      }
    },
  );
});
