/**
 * Caller authentication. In `passthrough` mode the basic-auth header carries the caller's AWS
 * credentials; in `iam` mode an optional bearer token is compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from './errors.js';

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
const HOW_TO =
  'configure Prometheus remote_write basic_auth with the AWS access key id as username and the secret access key as password (for temporary credentials: secret:session-token)';

/**
 * Reads AWS credentials from `Authorization: Basic base64(accessKeyId:secret[:sessionToken])`.
 * The password splits at its first `:` — secret keys never contain one, session tokens may follow.
 *
 * @throws UnauthorizedError when the header is missing or malformed (the text never echoes it)
 */
export const credentialsFromBasicAuth = (authorization: string | undefined): AwsCredentials => {
  if (authorization === undefined || authorization.trim() === '')
    throw new UnauthorizedError(`missing Authorization header: ${HOW_TO}`);
  const [scheme = '', encoded = '', ...rest] = authorization.trim().split(/\s+/);
  if (
    scheme.toLowerCase() !== 'basic' ||
    rest.length > 0 ||
    !BASE64.test(encoded) ||
    encoded.length % 4 !== 0
  )
    throw new UnauthorizedError(`the Authorization header is not valid basic auth: ${HOW_TO}`);
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
    throw new UnauthorizedError(`the basic-auth credentials are not AWS credentials: ${HOW_TO}`);
  return sessionToken === undefined
    ? { accessKeyId, secretAccessKey }
    : { accessKeyId, secretAccessKey, sessionToken };
};

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Builds the bearer-token check of `iam` mode. Both sides are hashed first so the comparison
 * takes the same time whatever the length or content of the presented token.
 */
export const bearerTokenCheck = (expected: string): ((authorization: string | undefined) => void) => {
  const expectedDigest = digest(expected);
  return (authorization) => {
    const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const presented = digest(match?.[1] ?? '');
    // Hash and compare even for a missing token, so absence and mismatch take the same time.
    if (!timingSafeEqual(presented, expectedDigest) || match === null)
      throw new UnauthorizedError(
        'missing or wrong bearer token: configure Prometheus with authorization: { type: Bearer, credentials_file: ... }',
      );
  };
};
