/**
 * The write route: decode → translate → send → answer, after admission. Each step returns its
 * result and its log fields; the steps but `send` are pure, and `send` is handed in, so the
 * route runs without Timestream (the connector hands it the client pool and the deadline).
 */
import { type DecodedWriteRequest, printable, type RemoteWriteVersion } from '@prometheus-timestream/codec';
import type { Admission } from './admission.js';
import { answerError } from './answer.js';
import type { AwsCredentials } from './auth.js';
import { decodeBody } from './decode-body.js';
import type { LogFields, Logger } from './logger.js';
import type { ConnectorMetrics } from './metrics.js';
import type { CoreRequest, CoreResponse, RequestContext, RouteAnswer, Step } from './request.js';
import { textResponse } from './request.js';
import type { Destination } from './timestream-errors.js';
import type { RejectionReason, WriteOutcome } from './timestream-write.js';
import {
  type SkipReason,
  type TranslatedWrite,
  type TranslateOptions,
  toTimestreamBatches,
} from './translate.js';

/**
 * Headers of remote write 2.0 answers. Prometheus 3 counts every sample of a 2xx answer beyond
 * `Samples-Written` as failed (`prometheus_remote_storage_samples_failed_total`, an error log), and
 * a 2xx whose three counts are all 0 for a request that carried data as a non-recoverable failure
 * of the whole batch (storage/remote/queue_manager.go `updateMetrics`, `NoDataWritten`).
 */
const WRITTEN_HEADERS = {
  samples: 'X-Prometheus-Remote-Write-Samples-Written',
  histograms: 'X-Prometheus-Remote-Write-Histograms-Written',
  exemplars: 'X-Prometheus-Remote-Write-Exemplars-Written',
} as const;

/** The counts of a 2.0 answer (none for 1.0, which has no such headers). */
export const writtenHeaders = (version: RemoteWriteVersion, samples: number): Record<string, string> =>
  version === '2.0'
    ? {
        [WRITTEN_HEADERS.samples]: String(samples),
        [WRITTEN_HEADERS.histograms]: '0',
        [WRITTEN_HEADERS.exemplars]: '0',
      }
    : {};

export const formatCounts = (counts: Readonly<Partial<Record<string, number>>>): string =>
  Object.entries(counts)
    .map(([reason, count]) => `${reason}=${count}`)
    .join(', ');

/** Longest rejection reason an answer repeats (Timestream's quote label names and values). */
const MAX_REJECTION_EXAMPLE_CHARS = 300;

/** First line is the summary: Prometheus 2.42 logs only the first line of an error body. */
const rejectionMessage = (outcome: WriteOutcome, total: number): string =>
  [
    `Timestream rejected ${outcome.rejected} of ${total} samples for good (${formatCounts(outcome.rejectedByReason)}); the other ${outcome.written} were written.`,
    ...outcome.rejectionExamples.map((reason) => `  - ${printable(reason, MAX_REJECTION_EXAMPLE_CHARS)}`),
  ].join('\n');

/** Decode: the body as a remote-write request of the version its Content-Type names. */
export const decodeWrite = (request: CoreRequest, maxDecodedBytes: number): Step<DecodedWriteRequest> => {
  const decoded = decodeBody(request, 'write', { maxDecodedBytes });
  return {
    value: decoded,
    log: { version: decoded.version, series: decoded.counts.series, samples: decoded.counts.samples },
  };
};

/** Translate: the request as WriteRecords batches (built as they are sent), and what was skipped. */
export const translateWrite = (
  decoded: DecodedWriteRequest,
  options: TranslateOptions,
  destination: Destination,
): Step<TranslatedWrite> => {
  const translated = toTimestreamBatches(decoded, options, destination);
  return {
    value: translated,
    log: { records: translated.records, skipped: formatCounts(translated.skipped) || undefined },
  };
};

/**
 * Samples the connector is done with although it stored no record for them. Staleness markers
 * and NaN/±Inf values are settled by the connector's documented policy (a value Timestream has no
 * representation for, counted on skipped_samples_total{reason}); no resend or relabeling could
 * ever store them, so they count as written: otherwise Prometheus 3 would log every ended series
 * as failed samples, and a batch of only markers as a non-recoverable error. Series skipped for
 * their labels, which write_relabel_configs can fix, and records Timestream rejected, are not
 * counted.
 */
export const settledSamples = (translated: Pick<TranslatedWrite, 'skipped'>): number =>
  (translated.skipped.stale_marker ?? 0) + (translated.skipped.non_finite_value ?? 0);

/** The log fields of a send. */
export const sendLog = (outcome: WriteOutcome): LogFields => ({
  written: outcome.written,
  rejected: outcome.rejected || undefined,
  calls: outcome.calls,
});

/**
 * Answer: 204 once every record is stored, 400 naming what Timestream rejected for good, the
 * failure's status otherwise. A 5xx (resent whole) claims only what was stored; an answer that
 * ends the batch adds the `settled` samples.
 */
export const answerWrite = (
  version: RemoteWriteVersion,
  translated: Pick<TranslatedWrite, 'records'>,
  settled: number,
  outcome: WriteOutcome,
  challenge?: string,
): RouteAnswer => {
  const log = sendLog(outcome);
  if (outcome.failure !== undefined) {
    const endsBatch = outcome.failure.status < 500;
    const headers = writtenHeaders(version, outcome.written + (endsBatch ? settled : 0));
    const answer = answerError(outcome.failure, { challenge, headers });
    return { ...answer, log: { ...log, ...answer.log } };
  }
  const headers = writtenHeaders(version, outcome.written + settled);
  const response: CoreResponse =
    outcome.rejected > 0
      ? textResponse(400, rejectionMessage(outcome, translated.records), headers)
      : { status: 204, headers, body: '' };
  return { response, log };
};

/**
 * Sends the translated write's batches to Timestream with the caller's credentials, within the
 * request's deadline.
 */
export type SendBatches = (
  translated: Pick<TranslatedWrite, 'batches' | 'dimensionNames'>,
  credentials: AwsCredentials | undefined,
  context: RequestContext,
) => Promise<WriteOutcome>;

export interface WriteRouteDependencies {
  readonly maxDecodedBytes: number;
  readonly translate: TranslateOptions;
  readonly destination: Destination;
  readonly send: SendBatches;
  readonly challenge: string;
  readonly logger: Logger;
  readonly metrics: ConnectorMetrics;
}

const countTranslation = (metrics: ConnectorMetrics, translated: TranslatedWrite): void => {
  for (const [reason, count] of Object.entries(translated.skipped))
    metrics.skippedSamples(reason as SkipReason, count);
  if (translated.histogramsNotStored > 0) metrics.unstored('histogram', translated.histogramsNotStored);
  if (translated.exemplarsNotStored > 0) metrics.unstored('exemplar', translated.exemplarsNotStored);
};

const countSend = (metrics: ConnectorMetrics, outcome: WriteOutcome): void => {
  metrics.writtenSamples(outcome.written);
  for (const [reason, count] of Object.entries(outcome.rejectedByReason))
    metrics.rejectedSamples(reason as RejectionReason, count);
};

/** The write route: the steps in order, their metrics, and their log fields merged. */
export const createWriteRoute =
  (dependencies: WriteRouteDependencies) =>
  async (request: CoreRequest, admission: Admission, context: RequestContext): Promise<RouteAnswer> => {
    const { logger, metrics, challenge } = dependencies;
    let log: LogFields = {};
    /** What an error answer carries once the version is known: nothing stored. */
    let headers: Record<string, string> = {};
    try {
      const decoded = decodeWrite(request, dependencies.maxDecodedBytes);
      log = decoded.log;
      metrics.receivedSamples(decoded.value.counts.samples);
      const { version } = decoded.value;
      headers = writtenHeaders(version, 0);
      const translated = translateWrite(decoded.value, dependencies.translate, dependencies.destination);
      log = { ...log, ...translated.log };
      countTranslation(metrics, translated.value);
      const { skippedSeries } = translated.value;
      // Label values only at debug: they can be sensitive and they make logs large.
      if (logger.isDebugEnabled && skippedSeries.length > 0)
        logger.debug('series skipped', { requestId: context.requestId, series: skippedSeries.join('; ') });
      const settled = settledSamples(translated.value);
      if (translated.value.records === 0)
        return { response: { status: 204, headers: writtenHeaders(version, settled), body: '' }, log };

      const outcome = await dependencies.send(translated.value, admission.credentials, context);
      countSend(metrics, outcome);
      const answer = answerWrite(version, translated.value, settled, outcome, challenge);
      return { ...answer, log: { ...log, ...answer.log } };
    } catch (error) {
      const answer = answerError(error, { challenge, headers });
      return { ...answer, log: { ...log, ...answer.log } };
    }
  };
