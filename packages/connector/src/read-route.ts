/**
 * The read route: decode → plan → query → answer, after admission. Each step returns its result
 * and its log fields; the steps but `query` are pure, and `query` is handed in, so the route runs
 * without Timestream (the connector hands it the client pool, the dimension cache and the deadline).
 */
import {
  type ChunkedReadSeries,
  CodecError,
  type DecodedReadRequest,
  encodeChunkedReadResponse,
  encodeReadResponse,
  negotiateResponseType,
  type ReadQuery,
  type ResponseType,
  SAMPLES_CONTENT_ENCODING,
  SAMPLES_CONTENT_TYPE,
  STREAMED_CONTENT_TYPE,
} from '@prometheus-timestream/codec';
import type { Admission } from './admission.js';
import { answerError, fromCodecError } from './answer.js';
import type { AwsCredentials } from './auth.js';
import { decodeBody } from './decode-body.js';
import { BadRequestError } from './errors.js';
import type { LogFields } from './logger.js';
import type { ConnectorMetrics } from './metrics.js';
import { type RegexDialect, regexDialectOf } from './read-query.js';
import type { CoreRequest, CoreResponse, RequestContext, RouteAnswer, Step } from './request.js';
import type { ReadOutcome } from './timestream-read.js';

/** What the queries are and how they are answered. */
export interface ReadPlan {
  readonly queries: readonly ReadQuery[];
  readonly responseType: ResponseType;
  /** Prometheus applies no regex of its own to the answer: it must match as the reader would. */
  readonly regexDialect: RegexDialect;
}

export interface ReadLimits {
  readonly maxReadQueries: number;
  readonly maxReadResponseBytes: number;
}

/** Decode: the body as a remote-read request. */
export const decodeRead = (request: CoreRequest, maxDecodedBytes: number): DecodedReadRequest =>
  decodeBody(request, 'read', { maxDecodedBytes });

/**
 * Plan: the queries (at most `maxReadQueries`), the response type the client and the connector
 * share, and the reader's regex semantics from its User-Agent.
 *
 * @throws BadRequestError for too many queries or no response type in common
 */
export const planRead = (
  decoded: DecodedReadRequest,
  userAgent: string | undefined,
  maxReadQueries: number,
): Step<ReadPlan> => {
  // Each query is a Timestream query run in turn: a request with hundreds would hold the
  // connector for minutes and bill a scan each (Prometheus sends one per request).
  if (decoded.queries.length > maxReadQueries)
    throw new BadRequestError(
      `remote read request holds ${decoded.queries.length} queries; the connector answers at most ${maxReadQueries} per request (max-read-queries)`,
    );
  let responseType: ResponseType;
  try {
    responseType = negotiateResponseType(decoded.acceptedResponseTypes);
  } catch (error) {
    throw error instanceof CodecError ? fromCodecError(error) : error;
  }
  const regexDialect = regexDialectOf(userAgent);
  return {
    value: { queries: decoded.queries, responseType, regexDialect },
    log: {
      queries: decoded.queries.length,
      responseType,
      ...(regexDialect === 'prometheus3' ? {} : { regexDialect }),
    },
  };
};

/** The log fields of the queries' outcome. */
export const queryLog = (outcome: ReadOutcome): LogFields => ({
  series: outcome.results.reduce((sum, series) => sum + series.length, 0),
  samples: outcome.samples,
  pages: outcome.pages,
});

/**
 * Answer: the series of every query in the negotiated response type, within the connector's
 * answer limit (`maxReadResponseBytes`, inclusive).
 *
 * @throws BadRequestError when the answer is over the limit: the same query would be again
 */
export const answerRead = (
  responseType: ResponseType,
  results: readonly (readonly ChunkedReadSeries[])[],
  maxReadResponseBytes: number,
): CoreResponse => {
  const samples = responseType === 'SAMPLES';
  const body = samples
    ? encodeReadResponse(results.map((series) => ({ series })))
    : Buffer.concat(results.flatMap((series, index) => encodeChunkedReadResponse(index, series)));
  if (body.length > maxReadResponseBytes)
    throw new BadRequestError(
      `remote read answer of ${body.length} bytes exceeds the connector's limit of ${maxReadResponseBytes} (max-read-response-bytes); query a shorter time range or fewer series`,
    );
  return {
    status: 200,
    headers: samples
      ? { 'Content-Type': SAMPLES_CONTENT_TYPE, 'Content-Encoding': SAMPLES_CONTENT_ENCODING }
      : { 'Content-Type': STREAMED_CONTENT_TYPE },
    body,
  };
};

/** Runs the plan's queries on Timestream with the caller's credentials, within the request's deadline. */
export type RunQueries = (
  plan: ReadPlan,
  credentials: AwsCredentials | undefined,
  context: RequestContext,
) => Promise<ReadOutcome>;

export interface ReadRouteDependencies {
  readonly maxDecodedBytes: number;
  readonly limits: ReadLimits;
  readonly query: RunQueries;
  readonly challenge: string;
  readonly metrics: Pick<ConnectorMetrics, 'readRequest'>;
}

/** The read route: the steps in order, its metric, and their log fields merged. */
export const createReadRoute =
  (dependencies: ReadRouteDependencies) =>
  async (request: CoreRequest, admission: Admission, context: RequestContext): Promise<RouteAnswer> => {
    const started = performance.now();
    const { limits } = dependencies;
    let log: LogFields = {};
    try {
      const decoded = decodeRead(request, dependencies.maxDecodedBytes);
      const plan = planRead(decoded, request.headers['user-agent'], limits.maxReadQueries);
      log = plan.log;
      const outcome = await dependencies.query(plan.value, admission.credentials, context);
      log = { ...log, ...queryLog(outcome) };
      const response = answerRead(plan.value.responseType, outcome.results, limits.maxReadResponseBytes);
      dependencies.metrics.readRequest((performance.now() - started) / 1000, outcome.samples);
      return { response, log };
    } catch (error) {
      const answer = answerError(error, { challenge: dependencies.challenge });
      return { ...answer, log: { ...log, ...answer.log } };
    }
  };
