/**
 * Timestream's error shapes. The AWS SDK picks the exception class from `__type` and surfaces
 * `Message`; the HTTP status is the one the service model gives each error, so clients retry
 * exactly what they would retry against AWS (throttling and internal errors).
 */
export type TimestreamErrorCode =
  | 'ValidationException'
  | 'AccessDeniedException'
  | 'ResourceNotFoundException'
  | 'ConflictException'
  | 'RejectedRecordsException'
  | 'ThrottlingException'
  | 'ServiceQuotaExceededException'
  | 'InternalServerException'
  | 'QueryExecutionException'
  | 'InvalidEndpointException'
  | 'UnknownOperationException'
  | 'SerializationException'
  | 'MissingAuthenticationTokenException';

const STATUS: Readonly<Record<TimestreamErrorCode, number>> = {
  ValidationException: 400,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  RejectedRecordsException: 419,
  InvalidEndpointException: 421,
  ThrottlingException: 429,
  ServiceQuotaExceededException: 402,
  InternalServerException: 500,
  QueryExecutionException: 400,
  UnknownOperationException: 400,
  SerializationException: 400,
  MissingAuthenticationTokenException: 403,
};

export interface RejectedRecord {
  readonly RecordIndex: number;
  readonly Reason: string;
  readonly ExistingVersion?: number;
}

/** An error answered to the client in the service's JSON shape. */
export class TimestreamError extends Error {
  public readonly code: TimestreamErrorCode;
  public readonly status: number;
  public readonly rejectedRecords: readonly RejectedRecord[] | undefined;

  public constructor(
    code: TimestreamErrorCode,
    message: string,
    rejectedRecords?: readonly RejectedRecord[],
  ) {
    super(message);
    this.name = 'TimestreamError';
    this.code = code;
    this.status = STATUS[code];
    this.rejectedRecords = rejectedRecords;
  }

  /** The response body, as the service sends it. */
  public toBody(): Record<string, unknown> {
    return {
      __type: `com.amazonaws.timestream.v20181101#${this.code}`,
      Message: this.message,
      ...(this.rejectedRecords === undefined ? {} : { RejectedRecords: this.rejectedRecords }),
    };
  }
}

export const validationError = (message: string): TimestreamError =>
  new TimestreamError('ValidationException', message);
