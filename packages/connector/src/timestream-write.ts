/**
 * Sends WriteRecords batches with bounded parallelism and sorts every failure into the retry
 * contract: records Timestream rejects for good are counted (the request ends 400 once the rest
 * is written), anything that can succeed later stops the request with a 503.
 */
import type { AuthMode } from './config.js';
import { type ConnectorError, TimestreamUnavailableError } from './errors.js';
import { classifyTimestreamError, type Destination, type SdkErrorShape } from './timestream-errors.js';
import { MAX_RECORDS_PER_BATCH, type WriteBatch } from './translate.js';

export type { Destination } from './timestream-errors.js';

/** Why Timestream rejected records for good, from its RejectedRecords reasons. */
export type RejectionReason =
  | 'outside_retention'
  | 'conflicting_value'
  | 'name_clash'
  | 'limit'
  | 'invalid_request'
  | 'other';

/**
 * One WriteRecords call. `body` is the call's JSON exactly as the SDK serializes the input
 * (awsJson1_0; members in the schema's order: DatabaseName, TableName, Records,
 * CommonAttributes). Resolves once Timestream stored every record; rejects with the SDK's error
 * shapes (`name`, `message`, `$metadata.httpStatusCode`, `RejectedRecords`), which
 * `classifyTimestreamError` sorts. The connector's implementation is `ClientLease.writeRecords`.
 */
export type WriteRecordsCall = (body: string, signal: AbortSignal) => Promise<void>;

export interface WriteOutcome {
  /** Records Timestream stored (or already held, identical). */
  readonly written: number;
  readonly rejected: number;
  readonly rejectedByReason: Readonly<Partial<Record<RejectionReason, number>>>;
  /** The first few reasons Timestream gave, verbatim, for the 400 body and the log. */
  readonly rejectionExamples: readonly string[];
  /**
   * Set when the request must be retried: a 503, whether Timestream is unavailable or the
   * destination or the credentials need an operator (never a 4xx: records refused for good are
   * counted as rejected instead). Batches not yet sent were not.
   */
  readonly failure: ConnectorError | undefined;
  readonly calls: number;
}

export interface WriteOptions {
  readonly concurrency: number;
  /** Aborts in-flight calls when the request's deadline passes. */
  readonly signal: AbortSignal;
  readonly auth: AuthMode;
  /** Observes every WriteRecords call (metrics). */
  readonly onCall?: (durationSeconds: number, outcome: 'ok' | 'rejected' | 'error') => void;
}

const MAX_REJECTION_EXAMPLES = 3;

export const rejectionReasonOf = (reason: string): RejectionReason => {
  if (/outside the time range/i.test(reason)) return 'outside_retention';
  if (/already exists|existing version|higher (record )?version/i.test(reason)) return 'conflicting_value';
  // A name used as a measure in one series and as a dimension in another (table-wide).
  if (/already used as a (dimension|measure) name|name of a dimension/i.test(reason)) return 'name_clash';
  if (/limit|exceed|must be|too (long|large|many)/i.test(reason)) return 'limit';
  return 'other';
};

/**
 * Maps a WriteRecords failure (after the SDK's own retries) to the answer Prometheus needs.
 * `undefined` means the batch was refused for good as a whole (a ValidationException).
 */
export const classifyWriteError = (
  error: unknown,
  destination: Destination,
  auth: AuthMode,
): ConnectorError | undefined => classifyTimestreamError(error, destination, auth, 'write');

/**
 * Writes the batches, at most `concurrency` calls at a time, taking each from `batches` only when
 * a call can start (so only the batches in flight exist at once). After a retryable failure no new
 * batch starts (calls in flight finish), since Prometheus resends the whole request anyway.
 */
export const writeBatches = async (
  call: WriteRecordsCall,
  destination: Destination,
  batches: Iterable<WriteBatch>,
  options: WriteOptions,
): Promise<WriteOutcome> => {
  const pending = batches[Symbol.iterator]();
  let exhausted = false;
  let written = 0;
  let rejected = 0;
  let calls = 0;
  let failure: ConnectorError | undefined;
  const rejectedByReason: Partial<Record<RejectionReason, number>> = {};
  const rejectionExamples: string[] = [];
  const reject = (reason: RejectionReason, count: number, example: string | undefined): void => {
    rejected += count;
    rejectedByReason[reason] = (rejectedByReason[reason] ?? 0) + count;
    if (example !== undefined && rejectionExamples.length < MAX_REJECTION_EXAMPLES)
      rejectionExamples.push(example);
  };
  /** The next batch, or undefined once there is none. */
  const next = (): WriteBatch | undefined => {
    if (exhausted) return undefined;
    const result = pending.next();
    if (result.done === true) exhausted = true;
    return result.done === true ? undefined : result.value;
  };

  const send = async (batch: WriteBatch): Promise<void> => {
    const started = performance.now();
    calls++;
    try {
      await call(batch.body, options.signal);
      written += batch.records;
      options.onCall?.((performance.now() - started) / 1000, 'ok');
    } catch (error) {
      const shape = error as SdkErrorShape;
      if (shape?.name === 'RejectedRecordsException') {
        const indexes = new Set<number>();
        for (const { RecordIndex, Reason } of shape.RejectedRecords ?? []) {
          if (RecordIndex === undefined || RecordIndex >= batch.records || indexes.has(RecordIndex)) continue;
          indexes.add(RecordIndex);
          reject(rejectionReasonOf(Reason ?? ''), 1, Reason);
        }
        // Without usable indexes nothing says which records were stored: count none as written.
        if (indexes.size === 0) reject('other', batch.records, shape.message);
        else written += batch.records - indexes.size;
        options.onCall?.((performance.now() - started) / 1000, 'rejected');
        return;
      }
      options.onCall?.((performance.now() - started) / 1000, 'error');
      const classified = classifyWriteError(error, destination, options.auth);
      if (classified === undefined) reject('invalid_request', batch.records, shape?.message);
      else failure ??= classified;
    }
  };

  const worker = async (): Promise<void> => {
    while (failure === undefined && !options.signal.aborted) {
      const batch = next();
      if (batch === undefined) return;
      await send(batch);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  // Stopped by the deadline: one more batch (cheap to build) says how much was never sent.
  const unsent = failure === undefined ? next() : undefined;
  if (unsent !== undefined) {
    const left = unsent.records + unsent.recordsAfter;
    failure = new TimestreamUnavailableError(
      `the request deadline passed with ${left} records in at least ${Math.ceil(left / MAX_RECORDS_PER_BATCH)} WriteRecords calls not sent (${calls} sent); Prometheus will retry`,
    );
  }
  return { written, rejected, rejectedByReason, rejectionExamples, failure, calls };
};
