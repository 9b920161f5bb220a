// API Gateway's IAM authorization of an HTTP API route (AuthorizationType AWS_IAM), for the Lambda
// shim: a request must carry a Signature Version 4 `Authorization` header for the `execute-api`
// service, which is recomputed with the AWS SDK's own signer (@smithy/signature-v4 and the SDK's
// Sha256) from the secret of the access key it names, over the request as received: method, path,
// query, the headers it lists in SignedHeaders, and the SHA-256 of the body as it arrived. The
// answers are API Gateway's (403 with its `{"message": …}` bodies and `x-amzn-ErrorType`):
// - no Authorization header: `{"message":"Forbidden"}` (HTTP APIs; REST APIs say "Missing
//   Authentication Token" instead);
// - a header that is not SigV4, or lacks a part: IncompleteSignatureException;
// - X-Amz-Date more than 5 minutes from the shim's clock: InvalidSignatureException "Signature
//   expired: … is now earlier than … (… - 5 min.)" or "Signature not yet current: …";
// - a credential scoped to another service or region: InvalidSignatureException;
// - an access key the shim was not given: UnrecognizedClientException "The security token
//   included in the request is invalid.";
// - any other difference (wrong secret key, a header, the path or the body changed after signing):
//   InvalidSignatureException "The request signature we calculated does not match …".
import { timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 'execute-api';
/** AWS accepts a signature within 5 minutes of its X-Amz-Date either way. */
const MAX_SKEW_MS = 5 * 60 * 1000;
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

const deny = (errorType, message) => ({
  status: 403,
  headers: {
    'content-type': 'application/json',
    ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
  },
  body: JSON.stringify({ message }),
});

/** `20260101T000000Z` ↔ epoch ms. */
const amzDate = (ms) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
const parseAmzDate = (text) => {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s);
};

/** `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` → its parts, or the missing ones. */
const parseAuthorization = (header) => {
  const [scheme, ...rest] = header.trim().split(/\s+/);
  const parts = {};
  for (const item of rest.join(' ').split(/\s*,\s*/)) {
    const equals = item.indexOf('=');
    if (equals > 0) parts[item.slice(0, equals)] = item.slice(equals + 1);
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((name) => !parts[name]);
  return { scheme, parts, missing };
};

/** The query as the signer reads it: each name once, repeated names as a list. */
const queryOf = (searchParams) => {
  const query = {};
  for (const [name, value] of searchParams) {
    const previous = query[name];
    query[name] = previous === undefined ? value : [previous, value].flat();
  }
  return query;
};

const hex = async (bytes) => {
  const hash = new Sha256();
  hash.update(bytes);
  return Buffer.from(await hash.digest()).toString('hex');
};

/**
 * @param {{ region: string, callers: Record<string, string>, now?: () => number }} options - the
 *   API's region and the secret key of every access key allowed to call it
 * @returns a check of one received request: undefined when it is authorized (with the caller's
 *   access key in `caller`), else the answer to send
 */
export const createIamAuthorizer = ({ region, callers, now = Date.now }) => {
  /** User agent (its first product token) → the header names its accepted signatures covered. */
  const signedHeadersByAgent = new Map();
  /**
   * @param {{ method: string, url: URL, headers: Record<string, string>, body: Buffer }} request
   */
  const authorize = async ({ method, url, headers, body }) => {
    const authorization = headers.authorization;
    if (authorization === undefined || authorization.trim() === '')
      return { denied: deny(undefined, 'Forbidden') };
    const { scheme, parts, missing } = parseAuthorization(authorization);
    const date = headers['x-amz-date'];
    if (scheme !== ALGORITHM || missing.length > 0 || date === undefined)
      return {
        denied: deny(
          'IncompleteSignatureException',
          [
            ...(scheme === ALGORITHM ? missing : ['Credential', 'Signature', 'SignedHeaders']).map(
              (name) => `Authorization header requires '${name}' parameter.`,
            ),
            ...(date === undefined
              ? ["Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."]
              : []),
          ].join(' '),
        ),
      };
    const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = parts.Credential.split('/');
    const signedAt = parseAmzDate(date);
    if (signedAt === undefined || terminator !== 'aws4_request' || scopeDate === undefined)
      return {
        denied: deny(
          'IncompleteSignatureException',
          `Date must be in ISO-8601 'basic format'. Got '${date}'.`,
        ),
      };
    const clock = now();
    if (signedAt < clock - MAX_SKEW_MS)
      return {
        denied: deny(
          'InvalidSignatureException',
          `Signature expired: ${date} is now earlier than ${amzDate(clock - MAX_SKEW_MS)} (${amzDate(clock)} - 5 min.)`,
        ),
      };
    if (signedAt > clock + MAX_SKEW_MS)
      return {
        denied: deny(
          'InvalidSignatureException',
          `Signature not yet current: ${date} is still later than ${amzDate(clock + MAX_SKEW_MS)} (${amzDate(clock)} + 5 min.)`,
        ),
      };
    if (scopeService !== SERVICE)
      return {
        denied: deny(
          'InvalidSignatureException',
          `Credential should be scoped to correct service: '${SERVICE}'. `,
        ),
      };
    if (scopeRegion !== region)
      return { denied: deny('InvalidSignatureException', 'Credential should be scoped to a valid region. ') };
    const secretAccessKey = Object.hasOwn(callers, accessKeyId) ? callers[accessKeyId] : undefined;
    if (secretAccessKey === undefined)
      return {
        denied: deny('UnrecognizedClientException', 'The security token included in the request is invalid.'),
      };

    // The payload hash is always the received body's: a client's own x-amz-content-sha256 that
    // differs from it (UNSIGNED-PAYLOAD included) is a body that could have changed after signing.
    const bodyHash = await hex(body);
    const claimedHash = headers['x-amz-content-sha256'];
    if (claimedHash !== undefined && claimedHash !== bodyHash)
      return { denied: deny('InvalidSignatureException', MISMATCH) };
    const signedHeaders = parts.SignedHeaders.split(';');
    const signable = {};
    for (const name of signedHeaders) if (headers[name] !== undefined) signable[name] = headers[name];
    const signer = new SignatureV4({
      credentials: { accessKeyId, secretAccessKey },
      region,
      service: SERVICE,
      sha256: Sha256,
      // execute-api is not S3: it signs the normalized, twice-encoded path (the signer's default).
      uriEscapePath: true,
      applyChecksum: false,
    });
    const recomputed = await signer.sign(
      {
        method,
        protocol: 'http:',
        hostname: url.hostname,
        path: decodeURIComponent(url.pathname),
        query: queryOf(url.searchParams),
        headers: { ...signable, 'x-amz-content-sha256': bodyHash },
        body,
      },
      {
        signingDate: new Date(signedAt),
        // Exactly the headers the client signed, and only those.
        signableHeaders: new Set(signedHeaders),
        unsignableHeaders: new Set(['x-amz-content-sha256'].filter((name) => !signedHeaders.includes(name))),
      },
    );
    const expected = parseAuthorization(recomputed.headers.authorization).parts;
    const same = (a, b) =>
      a.length === b.length && timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
    if (
      !same(expected.Credential, parts.Credential) ||
      expected.SignedHeaders !== parts.SignedHeaders ||
      !same(expected.Signature, parts.Signature)
    )
      return { denied: deny('InvalidSignatureException', MISMATCH) };
    const agent = (headers['user-agent'] ?? '').split(/\s/)[0];
    const seen = signedHeadersByAgent.get(agent) ?? new Set();
    for (const name of signedHeaders) seen.add(name);
    signedHeadersByAgent.set(agent, seen);
    return { caller: { accessKeyId } };
  };
  return {
    authorize,
    signedHeadersSeen: () =>
      Object.fromEntries([...signedHeadersByAgent].map(([agent, names]) => [agent, [...names].sort()])),
  };
};
