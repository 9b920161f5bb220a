/**
 * The write route's steps, one by one and together, with a fake `send`: no emulator, no SDK.
 */
import { compressSnappyBlock, encodeReadRequest, encodeWriteRequestV2 } from '@prometheus-timestream/codec';
import { BadRequestError, DestinationMisconfiguredError, TimestreamUnavailableError } from '../src/errors.js';
import { createMetrics } from '../src/metrics.js';
import type { WriteOutcome } from '../src/timestream-write.js';
import type { SkipReason } from '../src/translate.js';
import {
  answerWrite,
  createWriteRoute,
  decodeWrite,
  type SendBatches,
  settledSamples,
  translateWrite,
} from '../src/write-route.js';
import { capturingLogger } from '../support/logs.js';
import {
  configOf,
  context,
  outcome,
  request,
  series,
  V2_CONTENT_TYPE,
  WRITE_HEADERS,
  writeBody,
} from './helpers/fakes.js';

const SAMPLES_WRITTEN = 'X-Prometheus-Remote-Write-Samples-Written';
const V2_HEADERS = {
  ...WRITE_HEADERS,
  'content-type': V2_CONTENT_TYPE,
  'x-prometheus-remote-write-version': '2.0.0',
};
const TRANSLATE = { failOnLongLabel: false, failOnInvalidSampleValue: false };
const DESTINATION = { database: 'prom', table: 'metrics' };
const LIMITS = 1024 * 1024;

describe('decodeWrite', () => {
  it.each([
    {
      description: 'remote write 1.0',
      headers: WRITE_HEADERS,
      body: writeBody(series(3, 'up')),
      version: '1.0',
    },
    {
      description: 'remote write 2.0',
      headers: V2_HEADERS,
      body: compressSnappyBlock(encodeWriteRequestV2({ series: series(2, 'up') })),
      version: '2.0',
    },
  ])('returns the request of $description and its counts as log fields', ({ headers, body, version }) => {
    // Act
    const { value, log } = decodeWrite(request(body, { headers }), LIMITS);

    // Assess
    expect(value.version).toBe(version);
    expect(log).toEqual({ version, series: value.series.length, samples: value.series.length });
  });

  it.each([
    {
      description: 'no snappy block',
      body: Uint8Array.of(0xff, 0xff, 0xff),
      headers: WRITE_HEADERS,
      status: 400,
      message: /^malformed request: /,
    },
    {
      description: 'a body that decompresses past the limit',
      body: compressSnappyBlock(new Uint8Array(2048)),
      headers: WRITE_HEADERS,
      status: 413,
      message: /exceeds the limit of 1024 bytes/,
    },
    {
      description: 'a remote-read body with no header saying what it is',
      // encodeReadRequest answers the snappy block Prometheus sends.
      body: encodeReadRequest({ queries: [{ startTimestampMs: 1, endTimestampMs: 2, matchers: [] }] }),
      headers: { 'content-type': 'application/x-protobuf' },
      status: 400,
      message: /; is this a remote-read body\? remote_read's url ends in \/read$/,
    },
  ])('refuses $description with $status', ({ body, headers, status, message }) => {
    expect(() => decodeWrite(request(body, { headers }), 1024)).toThrow(
      expect.objectContaining({ status, message: expect.stringMatching(message) }),
    );
  });
});

describe('translateWrite and settledSamples', () => {
  it('returns the batches and logs the records and the skipped counts', () => {
    // Prepare: two stored samples, one NaN and one staleness marker.
    const now = Date.now();
    const decoded = decodeWrite(
      request(
        writeBody([
          ...series(2, 'up', 1, now),
          {
            labels: [{ name: '__name__', value: 'nan' }],
            samples: [{ timestampMs: now, value: Number.NaN }],
          },
          {
            labels: [{ name: '__name__', value: 'gone' }],
            samples: [{ timestampMs: now, value: 0, stale: true }],
          },
        ]),
      ),
      LIMITS,
    ).value;

    // Act
    const { value, log } = translateWrite(decoded, TRANSLATE, DESTINATION);

    // Assess
    expect(value.records).toBe(2);
    expect(log).toEqual({ records: 2, skipped: 'non_finite_value=1, stale_marker=1' });
    expect(settledSamples(value)).toBe(2);
  });

  it('logs no skipped field when nothing was skipped', () => {
    const decoded = decodeWrite(request(writeBody(series(1, 'up'))), LIMITS).value;
    expect(translateWrite(decoded, TRANSLATE, DESTINATION).log).toEqual({ records: 1, skipped: undefined });
  });

  it.each<{ skipped: Partial<Record<SkipReason, number>>; settled: number }>([
    { skipped: {}, settled: 0 },
    { skipped: { stale_marker: 3 }, settled: 3 },
    { skipped: { non_finite_value: 2, stale_marker: 1 }, settled: 3 },
    // Fixable by relabeling, so never claimed as written.
    { skipped: { label_name_too_long: 5 }, settled: 0 },
  ])('settles $skipped as $settled', ({ skipped, settled }) => {
    expect(settledSamples({ skipped })).toBe(settled);
  });
});

describe('answerWrite', () => {
  it.each<{
    description: string;
    version: '1.0' | '2.0';
    sent: WriteOutcome;
    status: number;
    written: string | undefined;
    body: RegExp;
  }>([
    {
      description: 'everything stored (2.0): 204 claiming stored and settled samples',
      version: '2.0',
      sent: outcome({ written: 5, calls: 1 }),
      status: 204,
      written: '7',
      body: /^$/,
    },
    {
      description: 'everything stored (1.0): 204 without the 2.0 headers',
      version: '1.0',
      sent: outcome({ written: 5 }),
      status: 204,
      written: undefined,
      body: /^$/,
    },
    {
      description: 'some rejected for good: 400 naming them, the batch ends',
      version: '2.0',
      sent: outcome({
        written: 3,
        rejected: 2,
        rejectedByReason: { outside_retention: 2 },
        rejectionExamples: ['too old'],
      }),
      status: 400,
      written: '5',
      body: /^Timestream rejected 2 of 5 samples for good \(outside_retention=2\); the other 3 were written\.\n {2}- too old\n$/,
    },
    {
      description:
        'a retryable failure: 503 claiming only what was stored, since Prometheus resends it whole',
      version: '2.0',
      sent: outcome({ written: 1, failure: new TimestreamUnavailableError('Timestream is unavailable') }),
      status: 503,
      written: '1',
      body: /^Timestream is unavailable\n$/,
    },
    {
      description: 'a failure that ends the batch: its status, claiming the settled samples too',
      version: '2.0',
      sent: outcome({ written: 1, failure: new BadRequestError('refused') }),
      status: 400,
      written: '3',
      body: /^refused\n$/,
    },
  ])('$description', ({ version, sent, status, written, body }) => {
    // Act
    const { response, log } = answerWrite(version, { records: 5 }, 2, sent);

    // Assess
    expect(response.status).toBe(status);
    expect(response.headers[SAMPLES_WRITTEN]).toBe(written);
    expect(response.body).toMatch(body);
    expect(log).toMatchObject({ written: sent.written, calls: sent.calls });
    expect(log.rejected).toBe(sent.rejected || undefined);
    expect(log.error).toBe(sent.failure?.logMessage);
  });
});

describe('createWriteRoute', () => {
  const route = (send: SendBatches, flags: string[] = []) => {
    const { logger, logs } = capturingLogger();
    const metrics = createMetrics();
    const config = configOf(...flags);
    const write = createWriteRoute({
      maxDecodedBytes: config.maxDecodedBytes,
      translate: config,
      destination: DESTINATION,
      send,
      challenge: 'Basic realm="test"',
      logger,
      metrics,
    });
    return { write, logs, metrics };
  };
  const admission = {
    route: 'write' as const,
    credentials: { accessKeyId: 'AKIDUNIT', secretAccessKey: 's' },
  };

  it('decodes, translates, sends with the caller credentials and answers, with every step in the log', async () => {
    // Prepare
    const sent: unknown[] = [];
    const { write, metrics } = route(async ({ batches, dimensionNames }, credentials) => {
      let records = 0;
      for (const batch of batches) records += batch.records;
      sent.push({ records, credentials, dimensionNames: [...dimensionNames] });
      return outcome({ written: 3, calls: 1 });
    });

    // Act
    const answer = await write(request(writeBody(series(3, 'up'))), admission, context);

    // Assess
    expect(answer.response).toEqual({ status: 204, headers: {}, body: '' });
    expect(sent).toEqual([{ records: 3, credentials: admission.credentials, dimensionNames: ['instance'] }]);
    expect(answer.log).toEqual({
      version: '1.0',
      series: 3,
      samples: 3,
      records: 3,
      skipped: undefined,
      written: 3,
      rejected: undefined,
      calls: 1,
    });
    expect(metrics.render()).toMatch(/^timestream_connector_written_samples_total 3$/m);
    expect(metrics.render()).toMatch(/^timestream_connector_received_samples_total 3$/m);
  });

  it('answers a batch of only staleness markers 204 without sending, all settled', async () => {
    const { write } = route(() => Promise.reject(new Error('must not be called')));
    const body = compressSnappyBlock(
      encodeWriteRequestV2({
        series: [
          {
            labels: [{ name: '__name__', value: 'gone' }],
            samples: [{ timestampMs: 1, value: 0, stale: true }],
          },
        ],
      }),
    );
    const answer = await write(request(body, { headers: V2_HEADERS }), admission, context);
    expect(answer.response.status).toBe(204);
    expect(answer.response.headers[SAMPLES_WRITTEN]).toBe('1');
  });

  it('answers a translation refusal of a 2.0 request with its status and the 2.0 counts of nothing stored', async () => {
    // Prepare: a label name over Timestream's 60 bytes, refused with --fail-on-long-label.
    const { write } = route(() => Promise.reject(new Error('must not be called')), ['--fail-on-long-label']);
    const body = compressSnappyBlock(
      encodeWriteRequestV2({
        series: [
          {
            labels: [
              { name: '__name__', value: 'up' },
              { name: 'l'.repeat(61), value: 'v' },
            ],
            samples: [{ timestampMs: 1, value: 1 }],
          },
        ],
      }),
    );

    // Act
    const answer = await write(request(body, { headers: V2_HEADERS }), admission, context);

    // Assess
    expect(answer.response.status).toBe(400);
    expect(answer.response.headers[SAMPLES_WRITTEN]).toBe('0');
    expect(answer.log).toMatchObject({ version: '2.0', series: 1, error: expect.any(String) });
    expect(answer.unexpected).toBeUndefined();
  });

  it.each([
    {
      description: 'a ConnectorError the send reports',
      send: async () => outcome({ failure: new DestinationMisconfiguredError('no such table') }),
      status: 503,
      unexpected: false,
    },
    {
      description: 'a bug in the send (a plain Error)',
      send: () => Promise.reject(new Error('bug')),
      status: 500,
      unexpected: true,
    },
  ])(
    'answers $description with $status and keeps the log fields so far',
    async ({ send, status, unexpected }) => {
      const { write } = route(send);
      const answer = await write(request(writeBody(series(2, 'up'))), admission, context);
      expect(answer.response.status).toBe(status);
      expect(answer.log).toMatchObject({ version: '1.0', series: 2, samples: 2, records: 2 });
      expect(answer.unexpected !== undefined).toBe(unexpected);
    },
  );

  it('answers a body that is not remote write with its status, as a ConnectorError', async () => {
    const { write } = route(() => Promise.reject(new Error('must not be called')));
    const answer = await write(request(Uint8Array.of(1, 2, 3)), admission, context);
    expect(answer.response.status).toBe(400);
    expect(answer.log.error).toMatch(/^malformed request: /);
  });
});
