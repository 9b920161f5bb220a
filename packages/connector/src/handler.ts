/**
 * The core request handler both runtimes adapt to: `{ method, path, headers, body }` in,
 * `{ status, headers, body }` out. It owns routing, authentication, decoding, translation and the
 * status-code contract; the Lambda handler and the HTTP server only convert shapes.
 */
import { setMaxListeners } from 'node:events';
import {
  assertSnappyEncoding,
  type ChunkedReadSeries,
  CodecError,
  type DecodedReadRequest,
  type DecodedWriteRequest,
  decodeReadRequest,
  decodeWriteRequest,
  encodeChunkedReadResponse,
  encodeReadResponse,
  negotiateResponseType,
  printable,
  type ResponseType,
  SAMPLES_CONTENT_ENCODING,
  SAMPLES_CONTENT_TYPE,
  STREAMED_CONTENT_TYPE,
} from '@prometheus-timestream/codec';
import {
  type AwsCredentials,
  authChallenge,
  bearerTokenCheck,
  credentialsFromBasicAuth,
  type RemoteSection,
} from './auth.js';
import type { ClientPool } from './clients.js';
import type { ConnectorConfig } from './config.js';
import {
  BadRequestError,
  ConnectorError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from './errors.js';
import type { Logger } from './logger.js';
import type { ConnectorMetrics } from './metrics.js';
import { READ_PATH, WRITE_PATH } from './paths.js';
import { regexDialectOf } from './read-query.js';
import { createDimensionCache, readQueries } from './timestream-read.js';
import { type RejectionReason, type WriteOutcome, writeBatches } from './timestream-write.js';
import { type SkipReason, type TranslatedWrite, toTimestreamBatches } from './translate.js';

export interface CoreRequest {
  readonly method: string;
  /** The URL path, possibly with a stage prefix (`/dev/write`) and a query string. */
  readonly path: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array;
  /**
   * Set by an adapter when the platform in front of the connector already authenticated the caller
   * by IAM (API Gateway or a Function URL verified the request's SigV4 signature and the caller's
   * permission before invoking): the request's `Authorization` header is that signature, not a
   * bearer token. Only an adapter sets it, from what the platform alone writes, never from a header.
   */
  readonly authorizedUpstream?: 'iam';
}

export interface CoreResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Text for messages, bytes for protobuf answers. */
  readonly body: string | Uint8Array;
}

/**
 * How an adapter's paths map to the two routes; each adapter picks its own.
 * - `exact`: only `/write` and `/read` (the standalone server, which owns its whole path space).
 * - `stage-prefix`: any path whose last segment is `write` or `read` (`/dev/write`, as API Gateway
 *   passes the stage), and failing that the remote-write/read version header, as the Go
 *   connector's Lambda did (Lambda).
 */
export type Routing = 'exact' | 'stage-prefix';

export interface RequestContext {
  readonly requestId: string;
  /** Epoch ms by which the answer must be on its way (Lambda remaining time, server timeout). */
  readonly deadline: number;
  readonly routing: Routing;
}

export interface Connector {
  readonly handle: (request: CoreRequest, context: RequestContext) => Promise<CoreResponse>;
}

export interface ConnectorDependencies {
  readonly clients: ClientPool;
  readonly logger: Logger;
  readonly metrics: ConnectorMetrics;
}

export type Route = 'write' | 'read';

const SECTIONS: Readonly<Record<Route, RemoteSection>> = { write: 'remote_write', read: 'remote_read' };

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

/** Time kept back from the deadline to answer after aborting calls still in flight. */
const ANSWER_MARGIN_MS = 250;

const pathOf = (request: Pick<CoreRequest, 'path'>): string => request.path.split('?', 1)[0] ?? '';

/**
 * The route of a request under the adapter's routing: with `exact`, `/write` and `/read` only;
 * with `stage-prefix`, by the path's last segment (`/write`, `/dev/write`, `/prefix/dev/write`),
 * failing that by the remote-write/read version header.
 */
export const routeOf = (
  request: Pick<CoreRequest, 'path' | 'headers'>,
  routing: Routing,
): Route | undefined => {
  const path = pathOf(request);
  if (routing === 'exact') return path === WRITE_PATH ? 'write' : path === READ_PATH ? 'read' : undefined;
  const segment = path.replace(/\/+$/, '').split('/').pop();
  if (segment === 'write' || segment === 'read') return segment;
  return sentAs(request.headers);
};

/** Content types only a remote-write client sends (a remote-read client sends the bare one). */
const WRITE_ONLY_CONTENT_TYPE =
  /;\s*proto\s*=\s*"?(io\.prometheus\.write\.v2\.Request|prometheus\.WriteRequest)"?\s*(;|$)/i;

/**
 * What the request says it is, whatever path it was sent to: Prometheus sends
 * `X-Prometheus-Remote-Write-Version` (0.1.0, 2.0.0) with every remote write and
 * `X-Prometheus-Remote-Read-Version` (0.1.0) with every remote read; a `proto=` parameter naming a
 * write message also marks a write. Undefined when there is no clue, or contradictory ones.
 */
export const sentAs = (headers: CoreRequest['headers']): Route | undefined => {
  const write =
    headers['x-prometheus-remote-write-version'] !== undefined ||
    WRITE_ONLY_CONTENT_TYPE.test(headers['content-type'] ?? '');
  const read = headers['x-prometheus-remote-read-version'] !== undefined;
  return write === read ? undefined : write ? 'write' : 'read';
};

/** Longest path a wrong-route message repeats. */
const MAX_PATH_CHARS = 200;

/** `/dev/read` → `…/dev/write`: the URL the other section should point at, same prefix. */
const otherUrl = (path: string, route: Route, other: Route): string =>
  `…${printable(path.replace(new RegExp(`${route}/*$`), other), MAX_PATH_CHARS)}`;

/**
 * The wrong-URL refusal: a remote-write request posted to the read route, or the reverse. 400,
 * as Prometheus must not resend it: no retry can succeed until its configuration changes.
 */
const wrongRoute = (request: CoreRequest, route: Route, sent: Route): BadRequestError => {
  const path = pathOf(request);
  const kind = sent === 'write' ? 'remote-write' : 'remote-read';
  return new BadRequestError(
    `this is a ${kind} request sent to ${printable(path, MAX_PATH_CHARS)}: point ${SECTIONS[sent]}'s url at ${otherUrl(path, route, sent)} (${SECTIONS[route]}'s url is the one that ends in /${route})`,
  );
};

/** Added to a protobuf decoding error when no header says what the body is. */
const WRONG_BODY_HINTS: Readonly<Record<Route, string>> = {
  write: "is this a remote-read body? remote_read's url ends in /read",
  read: "is this a remote-write body? remote_write's url ends in /write",
};

const CODEC_ERRORS: Readonly<Record<string, (error: CodecError) => ConnectorError>> = {
  unsupported_media_type: (error) => new UnsupportedMediaTypeError(error.message, { cause: error }),
  too_large: (error) => new PayloadTooLargeError(error.message, { cause: error }),
};

const fromCodecError = (error: CodecError): ConnectorError =>
  CODEC_ERRORS[error.kind]?.(error) ??
  new BadRequestError(`malformed request: ${error.message}`, { cause: error });

/** A plain-text answer; every message the connector sends ends with a newline. */
export const textResponse = (
  status: number,
  message: string,
  headers: Record<string, string> = {},
): CoreResponse => ({
  status,
  headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers },
  body: `${message}\n`,
});

const formatCounts = (counts: Readonly<Partial<Record<string, number>>>): string =>
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

/**
 * The plain-text answer of a ConnectorError: its status and message, `Allow` for a 405, and for a
 * 401 the `WWW-Authenticate` challenge of the auth mode.
 */
export const errorAnswer = (
  error: ConnectorError,
  headers: Record<string, string> = {},
  challenge?: string,
): CoreResponse =>
  textResponse(error.status, error.message, {
    ...headers,
    ...(error instanceof MethodNotAllowedError ? { Allow: error.allow } : {}),
    ...(error.status === 401 && challenge !== undefined ? { 'WWW-Authenticate': challenge } : {}),
  });

export const createConnector = (config: ConnectorConfig, dependencies: ConnectorDependencies): Connector => {
  const { clients, logger, metrics } = dependencies;
  const checkBearer = config.authToken === undefined ? undefined : bearerTokenCheck(config.authToken);
  const challenge = authChallenge(config.auth);
  const destination = { database: config.defaultDatabase, table: config.defaultTable };
  const dimensions = createDimensionCache(destination, {
    ttlMs: config.dimensionCacheTtlMs,
    expectMarkers: config.storeStalenessMarkers,
  });

  /** Aborts the Timestream calls of a request in time to answer before its deadline. */
  const deadlineSignal = (context: RequestContext, listeners: number) => {
    const abort = new AbortController();
    // Every call in flight (and each SDK attempt) listens to this one signal.
    setMaxListeners(listeners, abort.signal);
    const timer = setTimeout(
      () => abort.abort(),
      Math.max(0, context.deadline - ANSWER_MARGIN_MS - Date.now()),
    );
    return { signal: abort.signal, clear: () => clearTimeout(timer) };
  };

  /** Every 401 names the scheme to use (RFC 9110); a 405 the methods allowed. */
  const errorResponse = (error: ConnectorError, headers: Record<string, string> = {}): CoreResponse =>
    errorAnswer(error, headers, challenge);

  /**
   * passthrough: the caller's AWS keys from basic auth (Timestream authenticates them). iam: the
   * bearer token when one is configured, except for a request IAM already authorized upstream on a
   * route the deployment says API Gateway authorizes with IAM (`iam_authorized_routes`: `write` in
   * an `AuthMode=iam` stack, signed by Prometheus's `sigv4`); every other request (`POST /read`,
   * which Prometheus never signs, and any route of a token-mode stack) must present the token.
   */
  const authenticate = (request: CoreRequest, route: Route): AwsCredentials | undefined => {
    if (config.auth === 'passthrough')
      return credentialsFromBasicAuth(request.headers.authorization, SECTIONS[route]);
    const authorizedUpstream =
      request.authorizedUpstream === 'iam' && config.iamAuthorizedRoutes.includes(route);
    if (!authorizedUpstream) checkBearer?.(request.headers.authorization, SECTIONS[route]);
    return undefined;
  };

  const decodeWriteBody = (request: CoreRequest): DecodedWriteRequest =>
    decodeWriteRequest(
      request.body,
      {
        contentType: request.headers['content-type'],
        contentEncoding: request.headers['content-encoding'],
      },
      { maxDecodedBytes: config.maxDecodedBytes },
    );

  const decodeReadBody = (request: CoreRequest): DecodedReadRequest => {
    assertSnappyEncoding(request.headers['content-encoding']);
    return decodeReadRequest(request.body, { maxDecodedBytes: config.maxDecodedBytes });
  };

  /** Whether the body is a valid request of the other route (for the hint of a failed decoding). */
  const decodesAs = (request: CoreRequest, route: Route): boolean => {
    try {
      (route === 'write' ? decodeWriteBody : decodeReadBody)(request);
      return true;
    } catch (error) {
      if (error instanceof CodecError) return false;
      throw error;
    }
  };

  /** Runs a codec decoder on the body, its size checked first and its errors mapped to statuses. */
  const decodeBody = <T>(request: CoreRequest, route: Route, decoder: (request: CoreRequest) => T): T => {
    if (request.body.length > config.maxBodyBytes)
      throw new PayloadTooLargeError(
        `request body of ${request.body.length} bytes exceeds ${config.maxBodyBytes}`,
      );
    try {
      return decoder(request);
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      // With no header saying what the body is (headers that do are checked before decoding), a
      // body of the other kind fails as protobuf: the hint is given when it decodes as that kind.
      // The second decoding runs only on this failure path, within the same size limits.
      const other: Route = route === 'write' ? 'read' : 'write';
      if (error.kind === 'protobuf' && sentAs(request.headers) === undefined && decodesAs(request, other))
        throw new BadRequestError(`malformed request: ${error.message}; ${WRONG_BODY_HINTS[route]}`, {
          cause: error,
        });
      throw fromCodecError(error);
    }
  };

  const decodeWrite = (request: CoreRequest): DecodedWriteRequest =>
    decodeBody(request, 'write', decodeWriteBody);

  const decodeRead = (request: CoreRequest): DecodedReadRequest =>
    decodeBody(request, 'read', decodeReadBody);

  const recordTranslation = (translated: TranslatedWrite): void => {
    for (const [reason, count] of Object.entries(translated.skipped))
      metrics.skippedSamples(reason as SkipReason, count);
    if (translated.histogramsNotStored > 0) metrics.unstored('histogram', translated.histogramsNotStored);
    if (translated.exemplarsNotStored > 0) metrics.unstored('exemplar', translated.exemplarsNotStored);
  };

  const write = async (
    request: CoreRequest,
    context: RequestContext,
    log: Record<string, string | number | boolean | undefined>,
  ): Promise<CoreResponse> => {
    const credentials = authenticate(request, 'write');
    const decoded = decodeWrite(request);
    log.version = decoded.version;
    log.series = decoded.counts.series;
    log.samples = decoded.counts.samples;
    metrics.receivedSamples(decoded.counts.samples);
    /** Samples the connector is done with although it stored no record for them (set below). */
    let settled = 0;
    /** A 5xx (resent whole) claims only what was stored; answers that end the batch add `settled`. */
    const writtenHeaders = (stored: number, endsBatch = true): Record<string, string> =>
      decoded.version === '2.0'
        ? {
            [WRITTEN_HEADERS.samples]: String(stored + (endsBatch ? settled : 0)),
            [WRITTEN_HEADERS.histograms]: '0',
            [WRITTEN_HEADERS.exemplars]: '0',
          }
        : {};
    let translated: TranslatedWrite;
    try {
      translated = toTimestreamBatches(decoded, config);
    } catch (error) {
      if (!(error instanceof ConnectorError)) throw error;
      log.error = error.logMessage;
      return errorResponse(error, writtenHeaders(0));
    }
    recordTranslation(translated);
    // Staleness markers and NaN/±Inf values are settled by the connector's documented policy (a
    // value Timestream has no representation for, counted on skipped_samples_total{reason}); no
    // resend or relabeling could ever store them, so they count as written: otherwise Prometheus
    // 3 would log every ended series as failed samples, and a batch of only markers as a
    // non-recoverable error. Series skipped for their labels, which write_relabel_configs can fix,
    // and records Timestream rejected, are not counted.
    settled = (translated.skipped.stale_marker ?? 0) + (translated.skipped.non_finite_value ?? 0);
    log.records = translated.records;
    log.skipped = formatCounts(translated.skipped) || undefined;
    // Label values only at debug: they can be sensitive and they make logs large.
    if (logger.isDebugEnabled && translated.skippedSeries.length > 0)
      logger.debug('series skipped', {
        requestId: context.requestId,
        series: translated.skippedSeries.join('; '),
      });
    if (translated.batches.length === 0) return { status: 204, headers: writtenHeaders(0), body: '' };

    const lease = clients.acquire(credentials);
    const deadline = deadlineSignal(context, 4 * config.writeConcurrency + 10);
    let outcome: WriteOutcome;
    try {
      outcome = await writeBatches(lease.writeClient, destination, translated.batches, {
        concurrency: config.writeConcurrency,
        signal: deadline.signal,
        auth: config.auth,
        onCall: metrics.writeCall,
      });
    } finally {
      deadline.clear();
      lease.release();
    }
    if (outcome.written > 0) dimensions.noteWritten(translated.batches);
    metrics.writtenSamples(outcome.written);
    for (const [reason, count] of Object.entries(outcome.rejectedByReason))
      metrics.rejectedSamples(reason as RejectionReason, count);
    log.written = outcome.written;
    log.rejected = outcome.rejected || undefined;
    log.calls = outcome.calls;
    if (outcome.failure !== undefined) {
      log.error = outcome.failure.logMessage;
      return errorResponse(outcome.failure, writtenHeaders(outcome.written, outcome.failure.status < 500));
    }
    if (outcome.rejected > 0) {
      return textResponse(
        400,
        rejectionMessage(outcome, translated.records),
        writtenHeaders(outcome.written),
      );
    }
    return { status: 204, headers: writtenHeaders(outcome.written), body: '' };
  };

  const encodeReadAnswer = (
    responseType: ResponseType,
    results: readonly (readonly ChunkedReadSeries[])[],
  ): CoreResponse => {
    const samples = responseType === 'SAMPLES';
    const body = samples
      ? encodeReadResponse(results.map((series) => ({ series })))
      : Buffer.concat(results.flatMap((series, index) => encodeChunkedReadResponse(index, series)));
    if (body.length > config.maxReadResponseBytes)
      throw new BadRequestError(
        `remote read answer of ${body.length} bytes exceeds the connector's limit of ${config.maxReadResponseBytes} (max-read-response-bytes); query a shorter time range or fewer series`,
      );
    return {
      status: 200,
      headers: samples
        ? { 'Content-Type': SAMPLES_CONTENT_TYPE, 'Content-Encoding': SAMPLES_CONTENT_ENCODING }
        : { 'Content-Type': STREAMED_CONTENT_TYPE },
      body,
    };
  };

  const read = async (
    request: CoreRequest,
    context: RequestContext,
    log: Record<string, string | number | boolean | undefined>,
  ): Promise<CoreResponse> => {
    const started = performance.now();
    const credentials = authenticate(request, 'read');
    const decoded = decodeRead(request);
    // Each query is a Timestream query run in turn: a request with hundreds would hold the
    // connector for minutes and bill a scan each (Prometheus sends one per request).
    if (decoded.queries.length > config.maxReadQueries)
      throw new BadRequestError(
        `remote read request holds ${decoded.queries.length} queries; the connector answers at most ${config.maxReadQueries} per request (max-read-queries)`,
      );
    let responseType: ResponseType;
    try {
      responseType = negotiateResponseType(decoded.acceptedResponseTypes);
    } catch (error) {
      if (error instanceof CodecError) throw new BadRequestError(error.message, { cause: error });
      throw error;
    }
    log.queries = decoded.queries.length;
    log.responseType = responseType;
    // Prometheus applies no regex of its own to the answer: it must match as the reader would.
    const dialect = regexDialectOf(request.headers['user-agent']);
    if (dialect !== 'prometheus3') log.regexDialect = dialect;
    const lease = clients.acquire(credentials);
    const deadline = deadlineSignal(context, 10);
    try {
      const outcome = await readQueries(lease.queryClient, decoded.queries, {
        destination,
        dimensions,
        auth: config.auth,
        signal: deadline.signal,
        maxSamples: config.maxReadSamples,
        regexDialect: dialect,
      });
      log.series = outcome.results.reduce((sum, series) => sum + series.length, 0);
      log.samples = outcome.samples;
      log.pages = outcome.pages;
      const response = encodeReadAnswer(responseType, outcome.results);
      metrics.readRequest((performance.now() - started) / 1000, outcome.samples);
      return response;
    } finally {
      deadline.clear();
      lease.release();
    }
  };

  const handle = async (request: CoreRequest, context: RequestContext): Promise<CoreResponse> => {
    const started = performance.now();
    const route = routeOf(request, context.routing);
    const log: Record<string, string | number | boolean | undefined> = {
      requestId: context.requestId,
      route: route ?? 'none',
      bytes: request.body.length,
    };
    let response: CoreResponse;
    try {
      if (route === undefined)
        throw new NotFoundError(
          'not found: POST remote-write bodies to /write and remote-read bodies to /read',
        );
      if (request.method !== 'POST') throw new MethodNotAllowedError(request.method, 'POST');
      // Before authentication: the 401 of the wrong route would name the wrong prometheus.yml
      // section, and the headers alone tell (nothing about credentials is revealed).
      const sent = sentAs(request.headers);
      if (sent !== undefined && sent !== route) throw wrongRoute(request, route, sent);
      response = route === 'read' ? await read(request, context, log) : await write(request, context, log);
    } catch (error) {
      if (!(error instanceof ConnectorError)) {
        // A bug, not the caller's fault: 500 keeps the data in Prometheus's WAL for a retry.
        logger.error('unexpected error', {
          ...log,
          error: error instanceof Error ? error.stack : String(error),
        });
        response = textResponse(500, 'internal error; see the connector log');
      } else {
        response = errorResponse(error);
        log.error = error.logMessage;
      }
    }
    log.status = response.status;
    log.durationMs = Math.round((performance.now() - started) * 10) / 10;
    metrics.httpRequest(route ?? 'none', response.status);
    if (response.status >= 500) logger.warn('request failed, Prometheus will retry', log);
    else if (response.status >= 400) logger.warn('request refused', log);
    else logger.info('request', log);
    return response;
  };

  return { handle };
};
