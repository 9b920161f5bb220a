/**
 * How the read path knows the table's dimension columns: a cached DESCRIBE that is fetched again
 * when it is old, when a matcher names a label it does not know (at most every 5 s), at once when
 * this process wrote a new dimension, and when a query says a column does not exist.
 */
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { decodeReadResponse, encodeReadRequest } from '@prometheus-timestream/codec';
import { createDimensionCache, type DimensionCache, readQueries } from '../src/timestream-read.js';
import { basicAuth, DATABASE, type Harness, startHarness, TABLE, writeBody } from '../support/harness.js';

const T = Date.now() - 5 * 60_000;
const destination = { database: DATABASE, table: TABLE };
const labelled = (labels: Record<string, string>, value = 1) => ({
  labels: Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => ({ name, value })),
  samples: [{ timestampMs: T, value }],
});

describe('the dimension cache', () => {
  let h: Harness;
  let client: TimestreamQueryClient;
  const signal = new AbortController().signal;
  const describes = () => h.emulator.requests().filter((r) => r.operation === 'Query').length;

  beforeAll(async () => {
    h = await startHarness();
    client = new TimestreamQueryClient({
      endpoint: h.emulator.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDREADER', secretAccessKey: 'reader' },
    });
    expect((await h.post(writeBody([labelled({ __name__: 'up', job: 'a' })]))).status).toBe(204);
  });
  afterAll(async () => {
    client.destroy();
    await h.stop();
  });

  it('DESCRIBEs once per TTL, sooner for an unknown label (not within 5 s), at once after a new dimension is written here', async () => {
    // Prepare
    let now = 1_000_000;
    const cache = createDimensionCache(destination, { ttlMs: 60_000, expectMarkers: false, now: () => now });
    const before = describes();
    const calls = async (labelNames: string[], advanceMs: number) => {
      now += advanceMs;
      const columns = await cache.columnsFor(client, labelNames, signal);
      return { calls: describes() - before, dimensions: [...columns.dimensions].sort() };
    };

    // Act and assess, step by step
    expect(await calls(['__name__', 'job'], 0)).toEqual({ calls: 1, dimensions: ['job'] });
    expect(await calls(['job'], 30_000)).toEqual({ calls: 1, dimensions: ['job'] });
    expect(await calls(['job'], 30_000)).toEqual({ calls: 2, dimensions: ['job'] });
    // An external label the table never stored: checked, but not on every query.
    expect(await calls(['replica'], 1_000)).toEqual({ calls: 2, dimensions: ['job'] });
    expect(await calls(['replica'], 5_000)).toEqual({ calls: 3, dimensions: ['job'] });
    expect(await calls(['replica'], 1_000)).toEqual({ calls: 3, dimensions: ['job'] });

    // Another writer adds a label: unseen until a refresh...
    expect((await h.post(writeBody([labelled({ __name__: 'up', job: 'a', zone: 'eu' })]))).status).toBe(204);
    expect(await calls(['job'], 1_000)).toEqual({ calls: 3, dimensions: ['job'] });
    // ...but a write through this process is noticed at once.
    cache.noteWritten(['job']);
    expect(await calls(['job'], 0)).toEqual({ calls: 3, dimensions: ['job'] });
    cache.noteWritten(['job', 'zone']);
    expect(await calls(['job'], 0)).toEqual({ calls: 4, dimensions: ['job', 'zone'] });
  });

  it.each([
    { description: 'a new dimension among known ones', names: ['job', 'never_written'], describes: 1 },
    { description: 'the first staleness marker', names: ['job', '__stale__'], describes: 1 },
    { description: 'only known dimensions', names: ['job'], describes: 0 },
  ])('notices $description in what was written', async ({ names, describes: expected }) => {
    const cache = createDimensionCache(destination, { ttlMs: 60_000, expectMarkers: false });
    await cache.columnsFor(client, [], signal);
    const before = describes();
    cache.noteWritten(new Set(names));
    await cache.columnsFor(client, [], signal);
    expect(describes() - before).toBe(expected);
  });

  it('runs a query again after a fresh DESCRIBE when Timestream says a cached column does not exist', async () => {
    // Prepare: a cache that believes in a column the table never had.
    let refreshed = 0;
    const stale: DimensionCache = {
      columnsFor: async () => ({ dimensions: new Set(['job', 'ghost']), staleMarkers: false, doubles: true }),
      refresh: async (queryClient, abortSignal) => {
        refreshed++;
        return createDimensionCache(destination, { ttlMs: 0, expectMarkers: false }).refresh(
          queryClient,
          abortSignal,
        );
      },
      noteWritten: () => undefined,
    };

    // Act
    const outcome = await readQueries(
      client,
      [
        {
          startTimestampMs: T,
          endTimestampMs: T,
          matchers: [{ type: 'EQ', name: '__name__', value: 'up' }],
          hints: null,
        },
      ],
      { destination, dimensions: stale, auth: 'passthrough', signal, maxSamples: 1000 },
    );

    // Assess
    expect(refreshed).toBe(1);
    expect(outcome.results[0]?.map((s) => s.labels.map((l) => `${l.name}=${l.value}`).join(','))).toEqual([
      '__name__=up,job=a',
      '__name__=up,job=a,zone=eu',
    ]);
  });

  it('a read through the connector sees a label written through it a moment before', async () => {
    // Prepare: the connector's cache is loaded by a first read.
    const read = (matchers: { type: 'EQ'; name: string; value: string }[]) =>
      h.handle({
        method: 'POST',
        path: '/read',
        headers: { authorization: basicAuth() },
        body: encodeReadRequest({ queries: [{ startTimestampMs: T, endTimestampMs: T, matchers }] }),
      });
    expect((await read([{ type: 'EQ', name: 'job', value: 'a' }])).status).toBe(200);

    // Act
    expect((await h.post(writeBody([labelled({ __name__: 'up', job: 'b', rack: 'r1' }, 2)]))).status).toBe(
      204,
    );
    const response = await read([{ type: 'EQ', name: 'rack', value: 'r1' }]);

    // Assess
    const [result] = decodeReadResponse(response.body as Uint8Array);
    expect(result?.series.map((s) => s.labels)).toEqual([
      [
        { name: '__name__', value: 'up' },
        { name: 'job', value: 'b' },
        { name: 'rack', value: 'r1' },
      ],
    ]);
  });
});
