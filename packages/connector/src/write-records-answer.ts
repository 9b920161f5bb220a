/**
 * Reads Timestream's answer to a WriteRecords call the way the SDK's awsJson1_0 protocol does, so
 * `writeBatches`, `classifyTimestreamError` and the retry strategy see the very errors the SDK
 * throws: the modeled exception class for the name (`__type`, else `code`, else the
 * `x-amzn-errortype` header; after '#', before ':'), `message` from message/Message, every member
 * of the answer (RejectedRecords…), `$fault`, `$metadata` with the status and request ids, and the
 * raw answer as the hidden `$response` (the retry strategy reads Retry-After from it).
 */
import { types } from 'node:util';
import {
  AccessDeniedException,
  ConflictException,
  InternalServerException,
  InvalidEndpointException,
  RejectedRecordsException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ThrottlingException,
  TimestreamWriteServiceException,
  ValidationException,
} from '@aws-sdk/client-timestream-write';
import { decorateServiceException } from '@smithy/core/client';
import type { HttpAnswer } from './write-records-http.js';

type ExceptionClass = new (options: {
  $metadata: object;
  message?: string;
}) => TimestreamWriteServiceException;

/** The errors of the Timestream Write model; any other name gets the service's base exception. */
const MODELED: Readonly<Record<string, ExceptionClass>> = {
  AccessDeniedException,
  ConflictException,
  InternalServerException,
  InvalidEndpointException,
  RejectedRecordsException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ThrottlingException,
  ValidationException,
} as unknown as Record<string, ExceptionClass>;

export interface ResponseMetadata {
  httpStatusCode: number;
  requestId?: string;
  extendedRequestId?: string;
  cfId?: string;
  attempts?: number;
  totalRetryDelay?: number;
  clockSkewCorrected?: boolean;
}

/** An error as the lean path throws it: the SDK's shape. */
export type WriteRecordsError = Error & { $metadata: ResponseMetadata; $response?: HttpAnswer };

/** @smithy/core sanitizeErrorCode: "aws.ns#Name:http://…" → "Name". */
const errorCodeOf = (raw: unknown): string => {
  let code = String(raw);
  if (code.includes(',')) code = code.split(',')[0] as string;
  if (code.includes(':')) code = code.split(':')[0] as string;
  if (code.includes('#')) code = code.split('#')[1] as string;
  return code;
};

/** The SDK's lookup order for awsJson: `__type`, then a `code` member, then the header. */
const errorNameOf = (answer: HttpAnswer, data: Record<string, unknown>): string => {
  if (data.__type !== undefined) return errorCodeOf(data.__type);
  const codeKey = Object.keys(data).find((key) => key.toLowerCase() === 'code');
  if (codeKey !== undefined && data[codeKey] !== undefined) return errorCodeOf(data[codeKey]);
  const header = answer.headers['x-amzn-errortype'];
  return header === undefined ? 'Unknown' : errorCodeOf(header);
};

export const metadataOf = (answer: HttpAnswer): ResponseMetadata => {
  const { headers } = answer;
  const metadata: ResponseMetadata = { httpStatusCode: answer.statusCode };
  const requestId =
    headers['x-amzn-requestid'] ?? headers['x-amzn-request-id'] ?? headers['x-amz-request-id'];
  if (requestId !== undefined) metadata.requestId = requestId;
  if (headers['x-amz-id-2'] !== undefined) metadata.extendedRequestId = headers['x-amz-id-2'];
  if (headers['x-amz-cf-id'] !== undefined) metadata.cfId = headers['x-amz-cf-id'];
  return metadata;
};

const withResponse = <T extends Error>(error: T, answer: HttpAnswer): T & { $response: HttpAnswer } =>
  Object.defineProperty(error, '$response', { value: answer, enumerable: false }) as T & {
    $response: HttpAnswer;
  };

/** An answer the SDK could not parse: its SyntaxError, with the status (5xx stay retryable). */
const unparsable = (error: Error, answer: HttpAnswer): WriteRecordsError => {
  error.message +=
    '\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.';
  return Object.assign(withResponse(error, answer), { $metadata: metadataOf(answer) });
};

/** The error a non-2xx answer stands for, built as the SDK's AwsJsonRpcProtocol.handleError. */
export const errorOfAnswer = (answer: HttpAnswer): WriteRecordsError => {
  let data: Record<string, unknown>;
  try {
    const parsed: unknown = answer.body.length === 0 ? {} : JSON.parse(answer.body.toString('utf8'));
    data = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch (error) {
    return unparsable(error as Error, answer);
  }
  const name = errorNameOf(answer, data);
  const $metadata = metadataOf(answer);
  const $fault = answer.statusCode < 500 ? 'client' : 'server';
  const message = (data.message ?? data.Message ?? 'UnknownError') as string;
  const Modeled = MODELED[name];
  const exception =
    Modeled === undefined
      ? Object.assign(new TimestreamWriteServiceException({ name, $fault, $metadata }), { message })
      : Object.assign(new Modeled({ $metadata }), { $metadata, message });
  return withResponse(decorateServiceException(exception, data), answer) as unknown as WriteRecordsError;
};

/**
 * The SDK's asSdkError: anything thrown becomes an Error. `isNativeError` rather than
 * `instanceof`, so a socket error from another realm (node core seen from a Jest sandbox) keeps
 * its message and code.
 */
export const asError = (thrown: unknown): Error => {
  if (thrown instanceof Error || types.isNativeError(thrown)) return thrown as Error;
  if (typeof thrown === 'object' && thrown !== null) return Object.assign(new Error(), thrown);
  return new Error(typeof thrown === 'string' ? thrown : `AWS SDK error wrapper for ${String(thrown)}`);
};
