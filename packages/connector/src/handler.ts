/**
 * The core request handler both runtimes adapt to: it wires admission and the two routes
 * (write-route.ts, read-route.ts) to Timestream's clients, routes each request, and writes its
 * one log line and its count. The Lambda handler and the HTTP server only convert shapes.
 */
import { setMaxListeners } from 'node:events';
import { type AdmissionPolicy, admit, admitBodySize, createAuthenticator } from './admission.js';
import { answerError } from './answer.js';
import { authChallenge } from './auth.js';
import type { ClientPool } from './clients.js';
import type { ConnectorConfig } from './config.js';
import { createDecodedAdmission } from './decoded-budget.js';
import type { LogFields, Logger } from './logger.js';
import type { ConnectorMetrics } from './metrics.js';
import { createReadRoute, type RunQueries } from './read-route.js';
import {
  type CoreRequest,
  type CoreResponse,
  headOf,
  type RequestContext,
  type RequestHead,
  type Route,
  type RouteAnswer,
} from './request.js';
import { routeOf } from './routing.js';
import { createDimensionCache, readQueries } from './timestream-read.js';
import { writeBatches } from './timestream-write.js';
import { createWriteRoute, type SendBatches } from './write-route.js';

export { errorAnswer } from './answer.js';
export type {
  CoreRequest,
  CoreResponse,
  RequestContext,
  RequestHead,
  Route,
  Routing,
} from './request.js';
export { textResponse } from './request.js';
export { routeOf, sentAs } from './routing.js';

/**
 * Which admission checks a runtime asks for before it has the body: all of them (the Lambda
 * adapter, which has the whole event), or the body size alone (the standalone server, which
 * authenticates once it has read the body, as before).
 */
export type AdmissionChecks = 'all' | 'body-size';

export interface Connector {
  /**
   * Admission from the request's head alone, for a runtime to call before it reads or decodes the
   * body: the refusal, logged and counted like any answer, or undefined to go on. `handle` runs
   * every check again, so a runtime may skip this.
   */
  readonly admit: (
    head: RequestHead,
    context: RequestContext,
    checks?: AdmissionChecks,
  ) => CoreResponse | undefined;
  readonly handle: (request: CoreRequest, context: RequestContext) => Promise<CoreResponse>;
}

export interface ConnectorDependencies {
  readonly clients: ClientPool;
  readonly logger: Logger;
  readonly metrics: ConnectorMetrics;
}

/** Time kept back from the deadline to answer after aborting calls still in flight. */
const ANSWER_MARGIN_MS = 250;

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

export const createConnector = (config: ConnectorConfig, dependencies: ConnectorDependencies): Connector => {
  const { clients, logger, metrics } = dependencies;
  // Every 401 names the scheme to use (RFC 9110).
  const challenge = authChallenge(config.auth);
  const policy: AdmissionPolicy = {
    maxBodyBytes: config.maxBodyBytes,
    authenticate: createAuthenticator(config),
  };
  const reserveDecoded = createDecodedAdmission(config, metrics);
  const destination = { database: config.defaultDatabase, table: config.defaultTable };
  const dimensions = createDimensionCache(destination, {
    ttlMs: config.dimensionCacheTtlMs,
    expectMarkers: config.storeStalenessMarkers,
  });

  const send: SendBatches = async ({ batches, dimensionNames }, credentials, context) => {
    const lease = clients.acquire(credentials);
    const deadline = deadlineSignal(context, 4 * config.writeConcurrency + 10);
    try {
      const outcome = await writeBatches(lease.writeRecords, destination, batches, {
        concurrency: config.writeConcurrency,
        signal: deadline.signal,
        auth: config.auth,
        onCall: metrics.writeCall,
      });
      if (outcome.written > 0) dimensions.noteWritten(dimensionNames);
      return outcome;
    } finally {
      deadline.clear();
      lease.release();
    }
  };

  const query: RunQueries = async (plan, credentials, context) => {
    const lease = clients.acquire(credentials);
    const deadline = deadlineSignal(context, 10);
    try {
      return await readQueries(lease.queryClient, plan.queries, {
        destination,
        dimensions,
        auth: config.auth,
        signal: deadline.signal,
        maxSamples: config.maxReadSamples,
        regexDialect: plan.regexDialect,
      });
    } finally {
      deadline.clear();
      lease.release();
    }
  };

  const routes = {
    write: createWriteRoute({
      maxDecodedBytes: config.maxDecodedBytes,
      translate: config,
      destination,
      send,
      challenge,
      logger,
      metrics,
    }),
    read: createReadRoute({
      maxDecodedBytes: config.maxDecodedBytes,
      limits: config,
      query,
      challenge,
      metrics,
    }),
  };

  /** The request's one log line and its count, at the level its status calls for. */
  const finish = (route: Route | undefined, fields: LogFields, answer: RouteAnswer, started: number) => {
    const { status } = answer.response;
    if (answer.unexpected !== undefined)
      logger.error('unexpected error', { ...fields, ...answer.log, error: answer.unexpected });
    const log = {
      ...fields,
      ...answer.log,
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
    metrics.httpRequest(route ?? 'none', status);
    if (status >= 500) logger.warn('request failed, Prometheus will retry', log);
    else if (status >= 400) logger.warn('request refused', log);
    else logger.info('request', log);
    return answer.response;
  };

  const logFieldsOf = (head: RequestHead, route: Route | undefined, context: RequestContext): LogFields => ({
    requestId: context.requestId,
    route: route ?? 'none',
    bytes: head.bodyLength,
  });

  return {
    admit: (head, context, checks = 'all') => {
      const started = performance.now();
      const route = routeOf(head, context.routing);
      try {
        if (checks === 'all') admit(head, route, policy);
        else admitBodySize(head, policy.maxBodyBytes);
        return undefined;
      } catch (error) {
        return finish(route, logFieldsOf(head, route, context), answerError(error, { challenge }), started);
      }
    },
    handle: async (request, context) => {
      const started = performance.now();
      const head = headOf(request);
      const route = routeOf(request, context.routing);
      let answer: RouteAnswer;
      try {
        const admission = admit(head, route, policy);
        // Held until the route has answered, whatever the outcome: its decoded body lives until then.
        const release = reserveDecoded(request.body);
        try {
          answer = await routes[admission.route](request, admission, context);
        } finally {
          release();
        }
      } catch (error) {
        answer = answerError(error, { challenge });
      }
      return finish(route, logFieldsOf(head, route, context), answer, started);
    },
  };
};
