/**
 * Fakes for the unit tests of the pipeline steps: a configuration from flags, request builders
 * and outcomes. Nothing here starts the emulator.
 */
import { compressSnappyBlock, encodeWriteRequestV1, type SeriesInput } from '@prometheus-timestream/codec';
import { type ConnectorConfig, readFlags } from '../../src/config.js';
import type { CoreRequest, RequestContext, RequestHead } from '../../src/request.js';
import type { WriteOutcome } from '../../src/timestream-write.js';

export const configOf = (...flags: string[]): ConnectorConfig =>
  readFlags(['--default-database=prom', '--default-table=metrics', ...flags], {});

export const context: RequestContext = { requestId: 'unit', deadline: Date.now() + 60_000, routing: 'exact' };

export const basicAuth = (accessKeyId = 'AKIDUNIT', password = 'secret'): string =>
  `Basic ${Buffer.from(`${accessKeyId}:${password}`).toString('base64')}`;

/** What Prometheus 2.42 sends with a remote write 1.0 body, with basic-auth credentials. */
export const WRITE_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
  authorization: basicAuth(),
} as const;

/** What Prometheus 2.42 sends with a remote read, with basic-auth credentials. */
export const READ_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-read-version': '0.1.0',
  authorization: basicAuth(),
} as const;

export const V2_CONTENT_TYPE = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';

export const head = (overrides: Partial<RequestHead> = {}): RequestHead => ({
  method: 'POST',
  path: '/write',
  headers: WRITE_HEADERS,
  bodyLength: 10,
  ...overrides,
});

export const request = (body: Uint8Array, overrides: Partial<CoreRequest> = {}): CoreRequest => ({
  method: 'POST',
  path: '/write',
  headers: WRITE_HEADERS,
  body,
  ...overrides,
});

export const writeBody = (series: readonly SeriesInput[]): Uint8Array =>
  compressSnappyBlock(encodeWriteRequestV1({ series }));

/** `count` series of one sample each, named `metric`. */
export const series = (count: number, metric: string, value = 1, timestampMs = Date.now()): SeriesInput[] =>
  Array.from({ length: count }, (_, i) => ({
    labels: [
      { name: '__name__', value: metric },
      { name: 'instance', value: `host-${i}` },
    ],
    samples: [{ timestampMs, value }],
  }));

export const outcome = (overrides: Partial<WriteOutcome> = {}): WriteOutcome => ({
  written: 0,
  rejected: 0,
  rejectedByReason: {},
  rejectionExamples: [],
  failure: undefined,
  calls: 1,
  ...overrides,
});
