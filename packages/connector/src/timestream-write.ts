/**
 * Sends WriteRecords batches with bounded parallelism and sorts every failure into the retry
 * contract: records Timestream rejects for good are counted (the request ends 400 once the rest
 * is written), anything that can succeed later stops the request with a 503.
 */
import { type TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import type { AuthMode } from './config.js';
import { type ConnectorError, DestinationMisconfiguredError, TimestreamUnavailableError } from './errors.js';
import type { WriteBatch } from './translate.js';

export interface Destination {
  readonly database: string;
  readonly table: string;
}

/** Why Timestream rejected records for good, from its RejectedRecords reasons. */
export type RejectionReason =
  | 'outside_retention'
  | 'conflicting_value'
  | 'name_clash'
  | 'limit'
  | 'invalid_request'
  | 'other';

export interface WriteOutcome {
  /** Records Timestream stored (or already held, identical). */
  readonly written: number;
  readonly rejected: number;
  readonly rejectedByReason: Readonly<Partial<Record<RejectionReason, number>>>;
  /** The first few reasons Timestream gave, verbatim, for the 400 body and the log. */
  readonly rejectionExamples: readonly string[];
  /** Set when the request must be retried (503) or refused (401); batches not yet sent were not. */
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

interface SdkErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly RejectedRecords?: readonly { readonly RecordIndex?: number; readonly Reason?: string }[];
  /** Set by the SDK's endpoint discovery when DescribeEndpoints failed: the real error. */
  readonly reason?: unknown;
}

/** Credentials AWS does not accept: the caller's keys in passthrough mode, ours in iam mode. */
const CREDENTIAL_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'CredentialsProviderError',
]);

/**
 * Maps a WriteRecords failure (after the SDK's own retries) to the answer Prometheus needs.
 * `undefined` means the batch was refused for good as a whole (a ValidationException).
 */
export const classifyWriteError = (
  error: unknown,
  destination: Destination,
  auth: AuthMode,
): ConnectorError | undefined => {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  // Without a custom endpoint every call first discovers one; a failure there (bad credentials,
  // access denied) arrives wrapped in a plain Error whose `reason` is what went wrong.
  if (shape.reason instanceof Error && /discover endpoint/i.test(shape.message ?? ''))
    return classifyWriteError(shape.reason, destination, auth);
  const name = shape.name ?? '';
  const detail = `${name}: ${shape.message ?? String(error)}`;
  const where = `table "${destination.table}" of database "${destination.database}"`;
  if (name === 'ValidationException') return undefined;
  if (name === 'ResourceNotFoundException') {
    return new DestinationMisconfiguredError(
      `Timestream ${where} does not exist; create it or fix default-database/default-table (${detail}). The connector answers 503 so Prometheus keeps the data until this is fixed.`,
      { cause: error },
    );
  }
  if (name === 'AccessDeniedException' || name === 'ServiceQuotaExceededException') {
    return new DestinationMisconfiguredError(
      `Timestream refused access to ${where}; the credentials need timestream:WriteRecords on it and timestream:DescribeEndpoints (${detail}). The connector answers 503 so Prometheus keeps the data until this is fixed.`,
      { cause: error },
    );
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    // 503 rather than 401: an expired session token, a clock skew or a key rotated on one side
    // only is fixed by an operator, and Prometheus keeps the data until then instead of dropping it.
    const whose =
      auth === 'passthrough'
        ? 'the credentials of the basic-auth header (username: access key id, password: secret key[:session token])'
        : "the connector's own credentials";
    return new DestinationMisconfiguredError(
      `AWS did not accept ${whose} (${detail}). The connector answers 503 so Prometheus keeps the data until this is fixed.`,
      { cause: error },
    );
  }
  if (name === 'AbortError') {
    return new TimestreamUnavailableError(
      'the request deadline passed before Timestream answered every WriteRecords call; Prometheus will retry',
      { cause: error },
    );
  }
  // Throttling, 5xx, network errors, timeouts and anything unrecognized: retrying loses nothing
  // (identical records are accepted again), refusing would drop the batch for good.
  return new TimestreamUnavailableError(`Timestream is unavailable (${detail}); Prometheus will retry`, {
    cause: error,
  });
};

/**
 * Writes the batches, at most `concurrency` calls at a time. After a retryable failure no new
 * batch starts (calls in flight finish), since Prometheus resends the whole request anyway.
 */
export const writeBatches = async (
  client: TimestreamWriteClient,
  destination: Destination,
  batches: readonly WriteBatch[],
  options: WriteOptions,
): Promise<WriteOutcome> => {
  let next = 0;
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

  const send = async (batch: WriteBatch): Promise<void> => {
    const started = performance.now();
    calls++;
    try {
      await client.send(
        new WriteRecordsCommand({
          DatabaseName: destination.database,
          TableName: destination.table,
          CommonAttributes: batch.commonAttributes,
          Records: batch.records as WriteBatch['records'][number][],
        }),
        { abortSignal: options.signal },
      );
      written += batch.records.length;
      options.onCall?.((performance.now() - started) / 1000, 'ok');
    } catch (error) {
      const shape = error as SdkErrorShape;
      if (shape?.name === 'RejectedRecordsException') {
        const indexes = new Set<number>();
        for (const { RecordIndex, Reason } of shape.RejectedRecords ?? []) {
          if (RecordIndex === undefined || RecordIndex >= batch.records.length || indexes.has(RecordIndex))
            continue;
          indexes.add(RecordIndex);
          reject(rejectionReasonOf(Reason ?? ''), 1, Reason);
        }
        // Without usable indexes nothing says which records were stored: count none as written.
        if (indexes.size === 0) reject('other', batch.records.length, shape.message);
        else written += batch.records.length - indexes.size;
        options.onCall?.((performance.now() - started) / 1000, 'rejected');
        return;
      }
      options.onCall?.((performance.now() - started) / 1000, 'error');
      const classified = classifyWriteError(error, destination, options.auth);
      if (classified === undefined) reject('invalid_request', batch.records.length, shape?.message);
      else failure ??= classified;
    }
  };

  const worker = async (): Promise<void> => {
    while (failure === undefined && !options.signal.aborted && next < batches.length) {
      await send(batches[next++] as WriteBatch);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, batches.length) }, worker));
  if (failure === undefined && next < batches.length) {
    failure = new TimestreamUnavailableError(
      `the request deadline passed with ${batches.length - next} of ${batches.length} WriteRecords calls not sent; Prometheus will retry`,
    );
  }
  return { written, rejected, rejectedByReason, rejectionExamples, failure, calls };
};
