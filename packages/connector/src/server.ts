/**
 * The standalone server: `node:http` (or `node:https`, TLS 1.2+) in front of the core handler,
 * with the health probes and the metrics endpoint, body limits enforced while reading, header and
 * request timeouts, and a graceful stop that lets in-flight writes finish.
 *
 * It owns its whole path space, so it routes exactly: `POST /write` and `POST /read` go to the core
 * (with `exact` routing), `GET`/`HEAD` on the probes and the metrics path are answered here, and
 * anything else is a 404 listing the routes, answered before the body is read.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectorConfig } from './config.js';
import { InvalidConfigError, MethodNotAllowedError } from './errors.js';
import {
  type Connector,
  type CoreResponse,
  errorAnswer,
  type RequestContext,
  routeOf,
  textResponse,
} from './handler.js';
import type { Logger } from './logger.js';
import type { ConnectorMetrics } from './metrics.js';
import { LIVENESS_PATHS, READ_PATH, READINESS_PATH, WRITE_PATH } from './paths.js';

export interface RunningServer {
  /** `http(s)://host:port` */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, waits up to `graceMs` for requests in flight, then closes what is left. */
  readonly close: (graceMs?: number) => Promise<void>;
}

export interface ServerDependencies {
  readonly connector: Connector;
  readonly logger: Logger;
  readonly metrics: ConnectorMetrics;
}

/** Time allowed to send all request headers: slow-loris connections are cut after it. */
const HEADERS_TIMEOUT_MS = 10_000;
/** Time kept back from the request timeout to answer a request whose Timestream calls ran long. */
const ANSWER_MARGIN_MS = 1_000;

/** Node's answers to requests its parser refuses, with a line saying what was wrong. */
const MALFORMED_ANSWERS: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
};

/**
 * Replaces Node's own answers to what happens before a request reaches the listener
 * (`clientError`). Headers that did not arrive within the headers timeout get no answer: the
 * connection is closed, which Prometheus retries; Node would answer `408`, a 4xx, on which
 * Prometheus drops the batch for good, although a slow network is transient. A request Node's
 * parser refuses still gets Node's 400 (or 431, 413), which nothing resent could change, now with
 * the reason in its body and in the log. A connection the peer already reset is only closed.
 */
const answerClientError =
  (logger: Logger, metrics: ConnectorMetrics, headersTimeoutMs: number) =>
  (error: NodeJS.ErrnoException, socket: Duplex): void => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      logger.warn('request headers not received within the headers timeout; connection closed', {
        timeoutMs: headersTimeoutMs,
      });
      metrics.closedConnection('headers_timeout');
      socket.destroy();
      return;
    }
    // A response already under way on this connection must not be corrupted by another (Node's
    // own check, on the socket's current ServerResponse).
    const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || answering?.headersSent === true) {
      socket.destroy();
      return;
    }
    const status = MALFORMED_ANSWERS[error.code ?? ''] ?? '400 Bad Request';
    const code = Number(status.slice(0, 3));
    const reason = `malformed HTTP request (${error.code ?? 'no code'}): ${error.message}`;
    logger.warn('malformed HTTP request answered', { status: code, error: reason });
    metrics.httpRequest('none', code);
    const body = `${reason}\n`;
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };

class BodyTooLargeError extends Error {
  /** What had been read when the limit was crossed: at least that much was sent. */
  public readonly bytesRead: number;

  public constructor(bytesRead: number) {
    super('body too large');
    this.name = 'BodyTooLargeError';
    this.bytesRead = bytesRead;
  }
}

class BodyTimeoutError extends Error {
  public constructor() {
    super('body not received in time');
    this.name = 'BodyTimeoutError';
  }
}

const readBody = (request: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => reject(new BodyTimeoutError()), timeoutMs);
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        clearTimeout(timer);
        request.removeAllListeners('data');
        request.resume();
        reject(new BodyTooLargeError(size));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      clearTimeout(timer);
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });

const flattenHeaders = (request: IncomingMessage): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
};

const send = (response: ServerResponse, answer: CoreResponse, closeConnection = false): void => {
  const body = typeof answer.body === 'string' ? Buffer.from(answer.body, 'utf8') : answer.body;
  response.writeHead(answer.status, {
    ...answer.headers,
    'Content-Length': String(body.length),
    ...(closeConnection ? { Connection: 'close' } : {}),
  });
  response.end(body);
};

/** Methods of the probes and the metrics endpoint; HEAD answers the same headers, no body. */
const PROBE_METHODS = 'GET, HEAD';

/**
 * The probes. `/healthz` and `/-/healthy` (liveness, as Prometheus names it) answer 200 whenever
 * the process answers at all. `/-/ready` answers 200 once the server is listening, and 503 once it
 * is stopping (`close`), so a load balancer still probing on a kept-alive connection drains it.
 * Listening means ready because the server is started with a configuration already read and
 * checked and, in `iam` mode, its bearer token already resolved (from the file or Secrets Manager):
 * nothing else has to happen before the first request can be served. It makes no Timestream call:
 * in passthrough mode the connector has no credentials of its own to make one with, and on AWS each
 * probe would be a metered call; a Timestream outage is answered 503 per request, which Prometheus
 * retries.
 */
const probeAnswer = (path: string, stopping: boolean): CoreResponse | undefined => {
  if (LIVENESS_PATHS.includes(path)) return textResponse(200, 'ok');
  if (path === READINESS_PATH)
    return stopping
      ? textResponse(503, 'stopping: finishing the requests in flight')
      : textResponse(200, 'ready');
  return undefined;
};

const notFound = (telemetryPath: string): CoreResponse =>
  textResponse(
    404,
    `not found: the connector serves POST ${WRITE_PATH} (remote_write url), POST ${READ_PATH} (remote_read url), GET or HEAD ${[...LIVENESS_PATHS, READINESS_PATH].join(', ')} and ${telemetryPath}`,
  );

/** Whether the request announces a body, which an answer sent without reading it leaves unread. */
const hasBody = (request: IncomingMessage): boolean =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

const readTlsFile = (path: string, option: string): Buffer => {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new InvalidConfigError(option, `cannot read "${path}": ${(error as Error).message}`);
  }
};

export const startServer = async (
  config: ConnectorConfig,
  dependencies: ServerDependencies,
): Promise<RunningServer> => {
  const { connector, logger, metrics } = dependencies;
  const tls = config.tlsCertificate !== undefined && config.tlsKey !== undefined;
  let active = 0;
  /** Once stopping, every answer closes its connection, so keep-alive clients cannot hold the stop. */
  let stopping = false;

  /** The answer of a route served here rather than by the core; undefined for the core's routes. */
  const localAnswer = (method: string, path: string): CoreResponse | undefined => {
    // The core's routes first: a telemetry path of /write must not shadow remote write.
    if (routeOf({ path, headers: {} }, 'exact') !== undefined) return undefined;
    const isTelemetry = path === config.telemetryPath;
    const probe = isTelemetry ? undefined : probeAnswer(path, stopping);
    if (!isTelemetry && probe === undefined) {
      metrics.httpRequest('none', 404);
      return notFound(config.telemetryPath);
    }
    if (method !== 'GET' && method !== 'HEAD') {
      return errorAnswer(new MethodNotAllowedError(method, PROBE_METHODS));
    }
    return (
      probe ?? {
        status: 200,
        headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' },
        body: metrics.render(),
      }
    );
  };

  const listener = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?', 1)[0] ?? '/';
    const method = request.method ?? 'GET';
    const local = localAnswer(method, path);
    // Node omits the body of a HEAD answer itself and keeps its Content-Length, as HTTP says. An
    // unread request body would be read to its end to reuse the connection: closing it is cheaper.
    if (local !== undefined) return send(response, local, stopping || hasBody(request));
    const started = Date.now();
    const headers = flattenHeaders(request);
    const context: RequestContext = {
      requestId: randomUUID(),
      deadline: started + config.requestTimeoutMs - ANSWER_MARGIN_MS,
      routing: 'exact',
    };
    const declared = Number(request.headers['content-length']);
    const head = { method, path, headers, bodyLength: Number.isFinite(declared) ? declared : 0 };
    // Only the size before reading, as before: the core authenticates once it has the body.
    const tooLarge = connector.admit(head, context, 'body-size');
    // Refused before reading a byte; the connection closes so the unread body is not parsed.
    if (tooLarge !== undefined) return send(response, tooLarge, true);
    active++;
    try {
      let body: Buffer;
      try {
        body = await readBody(
          request,
          config.maxBodyBytes,
          Math.max(0, started + config.requestTimeoutMs - Date.now()),
        );
      } catch (error) {
        const refusal =
          error instanceof BodyTooLargeError
            ? connector.admit({ ...head, bodyLength: error.bytesRead }, context, 'body-size')
            : undefined;
        if (refusal !== undefined) return send(response, refusal, true);
        if (error instanceof BodyTimeoutError) {
          // No answer at all: Node's own 408 would be a 4xx, which makes Prometheus drop the
          // batch, while a slow network is transient. A dropped connection is retried.
          logger.warn('request body not received within the request timeout; connection closed', {
            timeoutMs: config.requestTimeoutMs,
          });
          metrics.closedConnection('body_timeout');
          request.socket.destroy();
          return;
        }
        throw error;
      }
      send(response, await connector.handle({ method, path, headers, body }, context), stopping);
    } finally {
      active--;
    }
  };

  const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    listener(request, response).catch((error: unknown) => {
      logger.warn('request failed before the handler', {
        error: error instanceof Error ? error.message : String(error),
      });
      if (!response.headersSent) send(response, textResponse(500, 'internal error'), true);
      else response.destroy();
    });
  };

  const options = {
    // The body deadline is enforced by readBody's caller (closing, not answering 408); headers
    // still have to arrive within HEADERS_TIMEOUT_MS, which cuts slow-loris connections.
    requestTimeout: 0,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, config.requestTimeoutMs),
    keepAliveTimeout: 65_000,
    // Node checks the two timeouts above only this often (30 s by default).
    connectionsCheckingInterval: 1_000,
  };
  const server: Server = tls
    ? createHttpsServer(
        {
          ...options,
          cert: readTlsFile(config.tlsCertificate as string, '--tls-certificate'),
          key: readTlsFile(config.tlsKey as string, '--tls-key'),
          minVersion: 'TLSv1.2',
        },
        onRequest,
      )
    : createHttpServer(options, onRequest);
  server.on('clientError', answerClientError(logger, metrics, options.headersTimeout));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listenAddress.port, config.listenAddress.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${tls ? 'https' : 'http'}://${host}:${address.port}`;
  logger.info('listening', {
    url,
    database: config.defaultDatabase,
    table: config.defaultTable,
    auth: config.auth,
  });

  return {
    url,
    port: address.port,
    close: async (graceMs = 30_000) => {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      timer.unref();
      if (active > 0) logger.info('stopping: waiting for requests in flight', { requests: active });
      await closed;
      clearTimeout(timer);
    },
  };
};
