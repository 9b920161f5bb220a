/**
 * What the connector does with what Timestream answers, with fake clients: an unreadable answer
 * is a 502 (never the 503 of an outage, which says "retry"), and after a retryable WriteRecords
 * failure no new batch starts.
 */
import type { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import type { ReadQuery } from '@prometheus-timestream/codec';
import { InvalidTimestreamAnswerError, TimestreamUnavailableError } from '../src/errors.js';
import { type DimensionCache, parseTimestamp, readQueries } from '../src/timestream-read.js';
import { type WriteRecordsCall, writeBatches } from '../src/timestream-write.js';
import type { WriteBatch } from '../src/translate.js';

const destination = { database: 'prom', table: 'metrics' };

describe('parseTimestamp', () => {
  it.each([
    { text: '2021-05-06 06:35:38.123456789', ms: Date.UTC(2021, 4, 6, 6, 35, 38, 123) },
    { text: '2021-05-06 06:35:38', ms: Date.UTC(2021, 4, 6, 6, 35, 38) },
    { text: '1970-01-01 00:00:00.000000000', ms: 0 },
  ])('reads $text', ({ text, ms }) => {
    expect(parseTimestamp(text)).toBe(ms);
  });

  it.each(['', 'not a time', '2021-05-06T06:35:38Z', '2021/05/06 06:35:38'])(
    'answers %p as a bad answer from Timestream: 502, not 503',
    (text) => {
      expect(() => parseTimestamp(text)).toThrow(InvalidTimestreamAnswerError);
      expect(() => parseTimestamp(text)).toThrow(
        expect.objectContaining({
          status: 502,
          message: `Timestream returned the timestamp "${text}", not YYYY-MM-DD hh:mm:ss.fffffffff`,
        }),
      );
    },
  );
});

describe('readQueries with an unreadable answer', () => {
  const dimensions: DimensionCache = {
    columnsFor: async () => ({ dimensions: new Set(['job']), staleMarkers: false, doubles: true }),
    refresh: async () => ({ dimensions: new Set(['job']), staleMarkers: false, doubles: true }),
    noteWritten: () => undefined,
  };
  const answering = (page: unknown) => ({ send: async () => page }) as unknown as TimestreamQueryClient;
  const query: ReadQuery = {
    startTimestampMs: 0,
    endTimestampMs: 1,
    hints: null,
    matchers: [{ type: 'EQ', name: 'job', value: 'api' }],
  };
  const options = {
    destination,
    dimensions,
    auth: 'iam' as const,
    signal: new AbortController().signal,
    maxSamples: 100,
  };
  const columns = [
    { Name: 'measure_name' },
    { Name: 'job' },
    { Name: 'time' },
    { Name: 'measure_value::double' },
  ];

  it.each([
    {
      description: 'a timestamp in another format',
      page: {
        ColumnInfo: columns,
        Rows: [
          {
            Data: [
              { ScalarValue: 'up' },
              { ScalarValue: 'api' },
              { ScalarValue: '1 May' },
              { ScalarValue: '1' },
            ],
          },
        ],
      },
    },
    {
      description: 'rows without the time and value columns',
      page: { ColumnInfo: [{ Name: 'measure_name' }], Rows: [{ Data: [{ ScalarValue: 'up' }] }] },
    },
  ])('rejects $description with 502, not as Timestream unavailable', async ({ page }) => {
    const read = readQueries(answering(page), [query], options);
    await expect(read).rejects.toBeInstanceOf(InvalidTimestreamAnswerError);
    await expect(readQueries(answering(page), [query], options)).rejects.toMatchObject({ status: 502 });
  });
});

describe('writeBatches after a retryable failure', () => {
  /** `count` one-record batches, as lazily as the translation makes them. */
  function* batchesOf(count: number): Generator<WriteBatch> {
    for (let i = 0; i < count; i++) yield { records: 1, recordsAfter: count - i - 1, body: '{}' };
  }
  const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });

  it.each([
    { concurrency: 1, batches: 4, calls: 1 },
    // The second worker's call was in flight already; it finishes, and no third starts.
    { concurrency: 2, batches: 6, calls: 2 },
  ])(
    'starts no new batch ($concurrency at a time, $batches batches): $calls calls',
    async ({ concurrency, batches, calls }) => {
      // Prepare: the first call fails at once; any other succeeds, after the first has failed.
      let sent = 0;
      const call: WriteRecordsCall = async () => {
        sent++;
        if (sent === 1) throw throttled;
        await new Promise((resolve) => setTimeout(resolve, 5));
      };

      // Act
      const outcome = await writeBatches(call, destination, batchesOf(batches), {
        concurrency,
        signal: new AbortController().signal,
        auth: 'iam',
      });

      // Assess
      expect(sent).toBe(calls);
      expect(outcome.calls).toBe(calls);
      expect(outcome.failure).toBeInstanceOf(TimestreamUnavailableError);
      expect(outcome.written).toBe(calls - 1);
    },
  );

  it('after the deadline starts no batch, and names the records and calls not sent', async () => {
    // Prepare: the deadline passes during the second call.
    const deadline = new AbortController();
    let sent = 0;
    const call: WriteRecordsCall = async () => {
      sent++;
      if (sent === 2) deadline.abort();
    };

    // Act
    const outcome = await writeBatches(call, destination, batchesOf(250), {
      concurrency: 1,
      signal: deadline.signal,
      auth: 'iam',
    });

    // Assess
    expect(sent).toBe(2);
    expect(outcome.written).toBe(2);
    expect(outcome.failure).toBeInstanceOf(TimestreamUnavailableError);
    expect(outcome.failure?.message).toBe(
      'the request deadline passed with 248 records in at least 3 WriteRecords calls not sent (2 sent); Prometheus will retry',
    );
  });
});
