/**
 * The shapes both runtimes adapt to: `{ method, path, headers, body }` in, `{ status, headers,
 * body }` out, and what a pipeline step hands back (its value and its log fields).
 */
import type { RemoteSection } from './auth.js';
import type { LogFields } from './logger.js';

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

/** What admission looks at: the request without its body, which a runtime may not have read yet. */
export interface RequestHead extends Omit<CoreRequest, 'body'> {
  /** The body's length in bytes: as received, as declared, or as far as it was read. */
  readonly bodyLength: number;
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

export type Route = 'write' | 'read';

/** The prometheus.yml section each route's requests come from, named in refusals. */
export const SECTIONS: Readonly<Record<Route, RemoteSection>> = {
  write: 'remote_write',
  read: 'remote_read',
};

/** What a pipeline step returns: its result, and the fields it adds to the request's log line. */
export interface Step<T> {
  readonly value: T;
  readonly log: LogFields;
}

/** How a request ended: the answer and the fields of its log line. */
export interface RouteAnswer {
  readonly response: CoreResponse;
  readonly log: LogFields;
  /** Set for an error that is a bug: its stack, logged as an error of its own. */
  readonly unexpected?: string;
}

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

export const headOf = ({ body, ...head }: CoreRequest): RequestHead => ({ ...head, bodyLength: body.length });
