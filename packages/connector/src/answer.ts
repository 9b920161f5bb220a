/**
 * The one place an error becomes an answer: its status and message, the headers the status needs
 * (`Allow` for a 405, the auth mode's challenge for a 401) and those the route adds (the remote
 * write 2.0 counts), and the log fields that say what went wrong.
 */
import type { CodecError, CodecErrorKind } from '@prometheus-timestream/codec';
import {
  BadRequestError,
  ConnectorError,
  MethodNotAllowedError,
  OverloadedError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from './errors.js';
import { type CoreResponse, type RouteAnswer, textResponse } from './request.js';

const malformed = (error: CodecError): ConnectorError =>
  new BadRequestError(`malformed request: ${error.message}`, { cause: error });

/** Every kind the codec throws, so a new kind does not compile until it has a status. */
const CODEC_ERRORS: Readonly<Record<CodecErrorKind, (error: CodecError) => ConnectorError>> = {
  snappy: malformed,
  protobuf: malformed,
  invalid_data: malformed,
  timestamp_out_of_range: malformed,
  too_large: (error) => new PayloadTooLargeError(error.message, { cause: error }),
  unsupported_media_type: (error) => new UnsupportedMediaTypeError(error.message, { cause: error }),
  // The client accepts no answer this connector gives: resending the same request cannot help.
  unsupported_response_type: (error) => new BadRequestError(error.message, { cause: error }),
};

/** The connector's error for a codec error: its status by kind. */
export const fromCodecError = (error: CodecError): ConnectorError => CODEC_ERRORS[error.kind](error);

/**
 * The plain-text answer of a ConnectorError: its status and message, `Allow` for a 405,
 * `Retry-After` for an overload's 503, and for a 401 the `WWW-Authenticate` challenge of the
 * auth mode.
 */
export const errorAnswer = (
  error: ConnectorError,
  headers: Record<string, string> = {},
  challenge?: string,
): CoreResponse =>
  textResponse(error.status, error.message, {
    ...headers,
    ...(error instanceof MethodNotAllowedError ? { Allow: error.allow } : {}),
    ...(error instanceof OverloadedError ? { 'Retry-After': String(error.retryAfterSeconds) } : {}),
    ...(error.status === 401 && challenge !== undefined ? { 'WWW-Authenticate': challenge } : {}),
  });

export interface AnswerOptions {
  /** The `WWW-Authenticate` value of a 401 (RFC 9110 requires one). */
  readonly challenge?: string | undefined;
  /** Headers the route adds to its error answers (the remote write 2.0 counts). */
  readonly headers?: Record<string, string>;
}

/**
 * Any error as the answer Prometheus needs. A ConnectorError answers its status; anything else
 * is a bug, not the caller's fault: 500 keeps the data in Prometheus's WAL for a retry, without
 * the route's headers (nothing says what was stored), and its stack is logged. A CodecError is
 * no exception: decoding the request maps its own (`fromCodecError`), so one from encoding an
 * answer is the connector's bug, not a malformed request.
 */
export const answerError = (error: unknown, options: AnswerOptions = {}): RouteAnswer => {
  if (error instanceof ConnectorError)
    return {
      response: errorAnswer(error, options.headers, options.challenge),
      log: { error: error.logMessage },
    };
  return {
    response: textResponse(500, 'internal error; see the connector log'),
    log: {},
    unexpected: (error instanceof Error ? error.stack : undefined) ?? String(error),
  };
};
