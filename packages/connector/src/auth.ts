/**
 * Caller authentication. In `passthrough` mode the basic-auth header carries the caller's AWS
 * credentials; in `iam` mode an optional bearer token is compared in constant time (asked of every
 * request but those IAM authorized upstream, see `CoreRequest.authorizedUpstream`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthMode } from './config.js';
import { UnauthorizedError } from './errors.js';

/**
 * The prometheus.yml section a request comes from, so a refusal names the block to fix: the same
 * Prometheus may write and read, each with its own `basic_auth` / `authorization`.
 */
export type RemoteSection = 'remote_write' | 'remote_read';

/** The realm every `WWW-Authenticate` challenge names. */
export const AUTH_REALM = 'timestream-prometheus-connector';

/**
 * The `WWW-Authenticate` value of every 401 (RFC 9110 requires one): the scheme the auth mode
 * expects, so a client or a person with curl sees what to send.
 */
export const authChallenge = (mode: AuthMode): string =>
  mode === 'passthrough' ? `Basic realm="${AUTH_REALM}", charset="UTF-8"` : `Bearer realm="${AUTH_REALM}"`;

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ACCESS_KEY_ID = /^[A-Za-z0-9]{1,128}$/;
/**
 * A session token is sent on in the X-Amz-Security-Token header; AWS issues them as base64. Any
 * other character would make the SDK call fail, and be answered 503 as if Timestream were down.
 */
const SESSION_TOKEN = /^[\x21-\x7e]+$/;
const howTo = (section: RemoteSection): string =>
  `configure Prometheus ${section} basic_auth with the AWS access key id as username and the secret access key as password (for temporary credentials: secret:session-token)`;

/**
 * Reads AWS credentials from `Authorization: Basic base64(accessKeyId:secret[:sessionToken])`.
 * The password splits at its first `:` — secret keys never contain one, session tokens may follow.
 *
 * @param section - the prometheus.yml block the request comes from, named in the refusal
 * @throws UnauthorizedError when the header is missing or malformed (the text never echoes it)
 */
export const credentialsFromBasicAuth = (
  authorization: string | undefined,
  section: RemoteSection,
): AwsCredentials => {
  const how = howTo(section);
  if (authorization === undefined || authorization.trim() === '')
    throw new UnauthorizedError(`missing Authorization header: ${how}`);
  const [scheme = '', encoded = '', ...rest] = authorization.trim().split(/\s+/);
  if (
    scheme.toLowerCase() !== 'basic' ||
    rest.length > 0 ||
    !BASE64.test(encoded) ||
    encoded.length % 4 !== 0
  )
    throw new UnauthorizedError(`the Authorization header is not valid basic auth: ${how}`);
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const userEnd = decoded.indexOf(':');
  const accessKeyId = userEnd < 0 ? '' : decoded.slice(0, userEnd);
  const password = userEnd < 0 ? '' : decoded.slice(userEnd + 1);
  const tokenStart = password.indexOf(':');
  const secretAccessKey = tokenStart < 0 ? password : password.slice(0, tokenStart);
  const sessionToken = tokenStart < 0 ? undefined : password.slice(tokenStart + 1);
  if (
    !ACCESS_KEY_ID.test(accessKeyId) ||
    secretAccessKey === '' ||
    (sessionToken !== undefined && !SESSION_TOKEN.test(sessionToken))
  )
    throw new UnauthorizedError(`the basic-auth credentials are not AWS credentials: ${how}`);
  return sessionToken === undefined
    ? { accessKeyId, secretAccessKey }
    : { accessKeyId, secretAccessKey, sessionToken };
};

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Builds the bearer-token check of `iam` mode. Both sides are hashed first so the comparison
 * takes the same time whatever the length or content of the presented token.
 */
export const bearerTokenCheck = (
  expected: string,
): ((authorization: string | undefined, section: RemoteSection) => void) => {
  const expectedDigest = digest(expected);
  return (authorization, section) => {
    const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const presented = digest(match?.[1] ?? '');
    // Hash and compare even for a missing token, so absence and mismatch take the same time.
    if (!timingSafeEqual(presented, expectedDigest) || match === null)
      throw new UnauthorizedError(
        `missing or wrong bearer token: configure Prometheus ${section} authorization: { type: Bearer, credentials_file: ... }`,
      );
  };
};
