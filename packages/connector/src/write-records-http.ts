/**
 * The lean WriteRecords path's HTTP transport: one POST over a keep-alive socket, its answer read
 * whole. It fails the way the SDK's NodeHttpHandler fails, because the retry strategy and
 * `classifyTimestreamError` sort those shapes: a socket that does not connect in time or a
 * request that takes too long is a `TimeoutError`, a reset socket keeps its `code` (ECONNRESET…)
 * and is named `TimeoutError` too, an aborted request is an `AbortError`.
 */
import { Agent as HttpAgent, type IncomingHttpHeaders, type OutgoingHttpHeaders, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Where one call goes: the endpoint's parts, as the SDK's endpoint resolution yields them. */
export interface HttpTarget {
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number | undefined;
  readonly path: string;
}

export interface HttpAnswer {
  readonly statusCode: number;
  /** Lower-case names, as the SDK's HttpResponse has them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface HttpTransportOptions {
  /** The socket must be connected within this time (the SDK client's `connectionTimeout`). */
  readonly connectionTimeoutMs: number;
  /** The whole exchange, connection to last byte of the answer, must end within this time. */
  readonly requestTimeoutMs: number;
  /** Sockets per host, as the SDK's default agent (a request beyond waits for a free one). */
  readonly maxSockets: number;
}

export interface HttpTransport {
  readonly post: (
    target: HttpTarget,
    headers: OutgoingHttpHeaders,
    body: Buffer,
    signal: AbortSignal,
  ) => Promise<HttpAnswer>;
  /** Closes every socket; posts after this fail. */
  readonly destroy: () => void;
}

/** Socket errors the SDK renames `TimeoutError` (NODEJS_TIMEOUT_ERROR_CODES), so retries apply. */
const TIMEOUT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

/** The SDK's abort error (@smithy/node-http-handler buildAbortError): `AbortError`, reason as cause. */
export const abortErrorOf = (signal: AbortSignal): Error => {
  const reason: unknown = signal.reason;
  if (reason instanceof Error)
    return Object.assign(new Error('Request aborted', { cause: reason }), { name: 'AbortError' });
  return Object.assign(new Error(reason === undefined ? 'Request aborted' : String(reason)), {
    name: 'AbortError',
  });
};

const headersOf = (raw: IncomingHttpHeaders): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
};

export const createHttpTransport = (options: HttpTransportOptions): HttpTransport => {
  // keepAlive: a WriteRecords call then costs no TCP or TLS handshake after the first.
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);

  const post: HttpTransport['post'] = (target, headers, body, signal) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortErrorOf(signal));
        return;
      }
      const secure = target.protocol === 'https:';
      const req = (secure ? httpsRequest : request)({
        method: 'POST',
        host: target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname,
        port: target.port,
        path: target.path,
        headers,
        agent: secure ? httpsAgent : httpAgent,
      });
      let settled = false;
      const finish = (error: Error | undefined, answer?: HttpAnswer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(requestTimer);
        clearTimeout(connectTimer);
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve(answer as HttpAnswer);
        else {
          req.destroy();
          reject(error);
        }
      };
      const timeout = (message: string, code?: string) => () =>
        finish(
          Object.assign(new Error(message), { name: 'TimeoutError' }, code === undefined ? {} : { code }),
        );
      const onAbort = () => finish(abortErrorOf(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      // Unlike the SDK's requestTimeout (a warning unless throwOnRequestTimeout), this one fails the call.
      const requestTimer = setTimeout(
        timeout(
          // The SDK's words, so logs and classification read the same on both paths.
          `@smithy/node-http-handler - [ERROR] a request has exceeded the configured ${options.requestTimeoutMs} ms requestTimeout.`,
          'ETIMEDOUT',
        ),
        options.requestTimeoutMs,
      );
      const connectTimer = setTimeout(
        timeout(
          `@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of ${options.connectionTimeoutMs} ms.`,
        ),
        options.connectionTimeoutMs,
      );
      req.once('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once('connect', () => clearTimeout(connectTimer));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        finish(TIMEOUT_CODES.has(error.code ?? '') ? Object.assign(error, { name: 'TimeoutError' }) : error);
      });
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', (error) => finish(error));
        res.once('end', () =>
          finish(undefined, {
            statusCode: res.statusCode ?? -1,
            headers: headersOf(res.headers),
            body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
          }),
        );
      });
      req.end(body);
    });

  return {
    post,
    destroy: () => {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
};
