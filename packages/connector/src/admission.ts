/**
 * Admission: whether a request may go on, judged from its head alone (method, route, headers and
 * the body's length), so a runtime can refuse it before it has read or decoded the body. Both
 * runtimes and the core run these same checks, in this order: body size (413), route (404),
 * method (405), a request of the other route (400), credentials (401), media type (415).
 */
import {
  assertReadContentType,
  assertSnappyEncoding,
  CodecError,
  selectWriteVersion,
} from '@prometheus-timestream/codec';
import { fromCodecError } from './answer.js';
import { type AwsCredentials, bearerTokenCheck, credentialsFromBasicAuth } from './auth.js';
import type { ConnectorConfig } from './config.js';
import { MethodNotAllowedError, NotFoundError, PayloadTooLargeError } from './errors.js';
import { type RequestHead, type Route, SECTIONS } from './request.js';
import { sentAs, wrongRoute } from './routing.js';

export interface Admission {
  readonly route: Route;
  /** The caller's own AWS credentials (passthrough mode), else undefined: the connector's own. */
  readonly credentials: AwsCredentials | undefined;
}

/** Authenticates the caller of a route; throws UnauthorizedError. */
export type Authenticate = (head: RequestHead, route: Route) => AwsCredentials | undefined;

export interface AdmissionPolicy {
  readonly maxBodyBytes: number;
  readonly authenticate: Authenticate;
}

/**
 * passthrough: the caller's AWS keys from basic auth (Timestream authenticates them). iam: the
 * bearer token when one is configured, except for a request IAM already authorized upstream on a
 * route the deployment says API Gateway authorizes with IAM (`iam_authorized_routes`: `write` in
 * an `AuthMode=iam` stack, signed by Prometheus's `sigv4`); every other request (`POST /read`,
 * which Prometheus never signs, and any route of a token-mode stack) must present the token.
 */
export const createAuthenticator = (
  config: Pick<ConnectorConfig, 'auth' | 'authToken' | 'iamAuthorizedRoutes'>,
): Authenticate => {
  const checkBearer = config.authToken === undefined ? undefined : bearerTokenCheck(config.authToken);
  return (head, route) => {
    if (config.auth === 'passthrough')
      return credentialsFromBasicAuth(head.headers.authorization, SECTIONS[route]);
    const authorizedUpstream =
      head.authorizedUpstream === 'iam' && config.iamAuthorizedRoutes.includes(route);
    if (!authorizedUpstream) checkBearer?.(head.headers.authorization, SECTIONS[route]);
    return undefined;
  };
};

/**
 * The one body-size refusal, whoever finds the body too large: the core, the Lambda adapter before
 * decoding the event's base64, the server from Content-Length or while reading (then `bodyLength`
 * is what it had read when the limit was crossed).
 */
export const admitBodySize = (head: Pick<RequestHead, 'bodyLength'>, maxBodyBytes: number): void => {
  if (head.bodyLength > maxBodyBytes)
    throw new PayloadTooLargeError(`request body of ${head.bodyLength} bytes exceeds ${maxBodyBytes}`);
};

/** Content-Type and Content-Encoding, checked again by the codec's decoder for its own callers. */
const admitMediaType = (head: RequestHead, route: Route): void => {
  try {
    if (route === 'write') selectWriteVersion(head.headers['content-type']);
    else assertReadContentType(head.headers['content-type']);
    assertSnappyEncoding(head.headers['content-encoding']);
  } catch (error) {
    throw error instanceof CodecError ? fromCodecError(error) : error;
  }
};

/**
 * Every check of admission, in order; throws the ConnectorError of the first that fails.
 *
 * @param route - the request's route under the adapter's routing (`routeOf`), if any
 */
export const admit = (head: RequestHead, route: Route | undefined, policy: AdmissionPolicy): Admission => {
  admitBodySize(head, policy.maxBodyBytes);
  if (route === undefined)
    throw new NotFoundError('not found: POST remote-write bodies to /write and remote-read bodies to /read');
  if (head.method !== 'POST') throw new MethodNotAllowedError(head.method, 'POST');
  // Before authentication: the 401 of the wrong route would name the wrong prometheus.yml
  // section, and the headers alone tell (nothing about credentials is revealed).
  const sent = sentAs(head.headers);
  if (sent !== undefined && sent !== route) throw wrongRoute(head, route, sent);
  const credentials = policy.authenticate(head, route);
  admitMediaType(head, route);
  return { route, credentials };
};
