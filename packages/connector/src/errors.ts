/**
 * The connector's one error hierarchy. Every error a request can end with carries the HTTP status
 * it answers with, and that status is Prometheus's retry contract: a 5xx makes Prometheus resend
 * the batch until it succeeds (data stays in its WAL), any 4xx makes it drop the batch for good.
 * So 5xx only for failures that go away by themselves or once an operator fixes the deployment,
 * 4xx only for requests that will never be accepted as they are.
 */
import { printable } from '@prometheus-timestream/codec';

export interface ConnectorErrorOptions extends ErrorOptions {
  /** The text for logs when the message (the response body) holds label values. */
  readonly logMessage?: string;
}

export class ConnectorError extends Error {
  public readonly status: number;
  public readonly logMessage: string;

  public constructor(status: number, message: string, options?: ConnectorErrorOptions) {
    super(message, options);
    this.name = 'ConnectorError';
    this.status = status;
    this.logMessage = options?.logMessage ?? message;
  }
}

/** 400: the body or its data will never be accepted; Prometheus must not resend it. */
export class BadRequestError extends ConnectorError {
  public constructor(message: string, options?: ConnectorErrorOptions) {
    super(400, message, options);
    this.name = 'BadRequestError';
  }
}

/** 401: credentials missing, malformed, wrong, or not recognized by AWS. */
export class UnauthorizedError extends ConnectorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(401, message, options);
    this.name = 'UnauthorizedError';
  }
}

export class NotFoundError extends ConnectorError {
  public constructor(message: string) {
    super(404, message);
    this.name = 'NotFoundError';
  }
}

/** Longest method a 405 message repeats. */
const MAX_METHOD_CHARS = 32;

export class MethodNotAllowedError extends ConnectorError {
  public readonly allow: string;

  public constructor(method: string, allow: string) {
    super(405, `method ${printable(method, MAX_METHOD_CHARS)} is not allowed here; use ${allow}`);
    this.name = 'MethodNotAllowedError';
    this.allow = allow;
  }
}

/** 413: the body, as sent or once decompressed, is over the configured limit. */
export class PayloadTooLargeError extends ConnectorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(413, message, options);
    this.name = 'PayloadTooLargeError';
  }
}

/** 415: a Content-Type or Content-Encoding the connector does not speak. */
export class UnsupportedMediaTypeError extends ConnectorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(415, message, options);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/**
 * 503: Timestream is throttling, failing, unreachable or too slow for the request's deadline.
 * Prometheus resends the batch; records already stored are accepted again as identical.
 */
export class TimestreamUnavailableError extends ConnectorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(503, message, options);
    this.name = 'TimestreamUnavailableError';
  }
}

/**
 * 503 with `Retry-After`: the connector is holding as many decoded bytes as its budget allows
 * (`--max-decoded-bytes-in-flight`). Nothing is wrong with the request; Prometheus resends it
 * (from 2.48 after `Retry-After`, before that on its own backoff), and by then the requests in
 * flight have answered. Never 429, which Prometheus drops unless `retry_on_http_429` is set.
 */
export class OverloadedError extends ConnectorError {
  public readonly retryAfterSeconds: number;

  public constructor(message: string, retryAfterSeconds: number) {
    super(503, message);
    this.name = 'OverloadedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * 503: the database or table is missing, or the connector's role may not use it. An operator
 * has to fix the deployment; answering 503 keeps the data in Prometheus's WAL until then.
 */
export class DestinationMisconfiguredError extends ConnectorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(503, message, options);
    this.name = 'DestinationMisconfiguredError';
  }
}

/**
 * 502: Timestream answered in a form the connector cannot read (a timestamp not in its documented
 * format, a query answer without its columns): a bad answer from upstream (RFC 9110 15.6.3), not
 * an outage. Never 503, which says "unavailable, retry": the same query would get the same answer.
 * Still a 5xx, since the caller's request was fine; distinct from 500 (a bug in the connector)
 * on `http_requests_total{code}`.
 */
export class InvalidTimestreamAnswerError extends ConnectorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(502, message, options);
    this.name = 'InvalidTimestreamAnswerError';
  }
}

/** A configuration value is missing or invalid; raised at start-up, before any request. */
export class InvalidConfigError extends ConnectorError {
  public readonly option: string;

  public constructor(option: string, message: string, options?: ErrorOptions) {
    super(500, `invalid configuration: ${option}: ${message}`, options);
    this.name = 'InvalidConfigError';
    this.option = option;
  }
}

/**
 * The CLI could not start (a port it cannot listen on, an emulator that did not start or is not
 * installed); raised at start-up, before any request. The message is the one line printed,
 * without a stack trace.
 */
export class StartupError extends ConnectorError {
  public constructor(message: string, options?: ErrorOptions) {
    super(500, message, options);
    this.name = 'StartupError';
  }
}
