/**
 * Sorts a Timestream SDK failure (after the SDK's own retries) into the status-code contract,
 * for WriteRecords and Query alike. Only the wording differs: a write failure says Prometheus
 * keeps the data, a read failure says what the query needs.
 */
import type { AuthMode } from './config.js';
import { type ConnectorError, DestinationMisconfiguredError, TimestreamUnavailableError } from './errors.js';

export interface Destination {
  readonly database: string;
  readonly table: string;
}

export interface SdkErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly RejectedRecords?: readonly { readonly RecordIndex?: number; readonly Reason?: string }[];
  /** Set by the SDK's endpoint discovery when DescribeEndpoints failed: the real error. */
  readonly reason?: unknown;
}

export type TimestreamOperation = 'write' | 'read';

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

const OPERATION_TEXT: Readonly<
  Record<
    TimestreamOperation,
    { readonly permission: string; readonly consequence: string; readonly calls: string }
  >
> = {
  write: {
    permission: 'timestream:WriteRecords',
    consequence: ' The connector answers 503 so Prometheus keeps the data until this is fixed.',
    calls: 'every WriteRecords call',
  },
  read: { permission: 'timestream:Select', consequence: '', calls: 'the query' },
};

/** The error's shape, looking through the SDK's endpoint-discovery wrapper to the real failure. */
export const sdkErrorOf = (error: unknown): SdkErrorShape => {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  // Without a custom endpoint every call first discovers one; a failure there (bad credentials,
  // access denied) arrives wrapped in a plain Error whose `reason` is what went wrong.
  if (shape.reason instanceof Error && /discover endpoint/i.test(shape.message ?? ''))
    return sdkErrorOf(shape.reason);
  return shape;
};

/**
 * Maps a Timestream failure to the answer Prometheus needs. `undefined` means Timestream refused
 * the request itself for good (a ValidationException); the caller knows what that means.
 */
export const classifyTimestreamError = (
  error: unknown,
  destination: Destination,
  auth: AuthMode,
  operation: TimestreamOperation,
): ConnectorError | undefined => {
  const shape = sdkErrorOf(error);
  const { permission, consequence, calls } = OPERATION_TEXT[operation];
  const name = shape.name ?? '';
  const detail = `${name}: ${shape.message ?? String(error)}`;
  const where = `table "${destination.table}" of database "${destination.database}"`;
  if (name === 'ValidationException') return undefined;
  if (name === 'ResourceNotFoundException') {
    return new DestinationMisconfiguredError(
      `Timestream ${where} does not exist; create it or fix default-database/default-table (${detail}).${consequence}`,
      { cause: error },
    );
  }
  if (name === 'AccessDeniedException' || name === 'ServiceQuotaExceededException') {
    return new DestinationMisconfiguredError(
      `Timestream refused access to ${where}; the credentials need ${permission} on it and timestream:DescribeEndpoints (${detail}).${consequence}`,
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
    return new DestinationMisconfiguredError(`AWS did not accept ${whose} (${detail}).${consequence}`, {
      cause: error,
    });
  }
  if (name === 'AbortError') {
    return new TimestreamUnavailableError(
      `the request deadline passed before Timestream answered ${calls}; Prometheus will retry`,
      { cause: error },
    );
  }
  // Throttling, 5xx, network errors, timeouts and anything unrecognized: retrying loses nothing
  // (identical records are accepted again, a query reads the same data), refusing is for good.
  return new TimestreamUnavailableError(`Timestream is unavailable (${detail}); Prometheus will retry`, {
    cause: error,
  });
};
