/**
 * Which route a request is for: by its path under the adapter's routing, and by what its headers
 * say it is, so a request sent to the other route's URL is refused naming the fix.
 */
import { printable } from '@prometheus-timestream/codec';
import { BadRequestError } from './errors.js';
import { READ_PATH, WRITE_PATH } from './paths.js';
import { type CoreRequest, type Route, type Routing, SECTIONS } from './request.js';

export const pathOf = (request: Pick<CoreRequest, 'path'>): string => request.path.split('?', 1)[0] ?? '';

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

/** Longest path a wrong-route message repeats. */
const MAX_PATH_CHARS = 200;

/** `/dev/read` → `…/dev/write`: the URL the other section should point at, same prefix. */
const otherUrl = (path: string, route: Route, other: Route): string =>
  `…${printable(path.replace(new RegExp(`${route}/*$`), other), MAX_PATH_CHARS)}`;

/**
 * The wrong-URL refusal: a remote-write request posted to the read route, or the reverse. 400,
 * as Prometheus must not resend it: no retry can succeed until its configuration changes.
 */
export const wrongRoute = (
  request: Pick<CoreRequest, 'path'>,
  route: Route,
  sent: Route,
): BadRequestError => {
  const path = pathOf(request);
  const kind = sent === 'write' ? 'remote-write' : 'remote-read';
  return new BadRequestError(
    `this is a ${kind} request sent to ${printable(path, MAX_PATH_CHARS)}: point ${SECTIONS[sent]}'s url at ${otherUrl(path, route, sent)} (${SECTIONS[route]}'s url is the one that ends in /${route})`,
  );
};
