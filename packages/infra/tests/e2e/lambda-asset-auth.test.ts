/**
 * The synthesized Lambda asset in the two modes where the function's own role writes: deployed
 * with `AuthMode=token` it reads the generated secret from Secrets Manager once (a loopback stub
 * through the bundled SDK client) and answers only the bearer token; with `AuthMode=iam` API
 * Gateway has authorized the caller, and the function writes without asking for credentials.
 * Either way Timestream sees the function's role key, never a caller's.
 */
import type { ConnectorStack } from '../../../connector/tests/e2e/helpers/connector.js';
import { nodeSeries, V1_HEADERS, writeBody } from '../../../connector/tests/helpers/harness.js';
import {
  type SecretsManagerStub,
  startSecretsManager,
} from '../../../connector/tests/helpers/secrets-manager.js';
import {
  E2E_PARAMETERS,
  lambdaAssetTarget,
  ROLE_ACCESS_KEY_ID,
  synthesizeFunction,
} from './helpers/lambda-target.js';

const TOKEN = 'generated-48-character-token-from-secrets-manager';
const secretArn = (logicalId: string) =>
  `arn:aws:secretsmanager:us-east-1:123456789012:secret:${logicalId}-AbCdEf`;

const post = (url: string, authorization: string | undefined) =>
  fetch(url, {
    method: 'POST',
    headers: {
      ...V1_HEADERS,
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: writeBody(nodeSeries(3, Date.now())),
  });

describe('the synthesized x86_64 Lambda asset, AuthMode=token', () => {
  const fn = synthesizeFunction({ ...E2E_PARAMETERS, AuthMode: 'token' }, secretArn);
  let secrets: SecretsManagerStub;
  let stack: ConnectorStack;
  beforeAll(async () => {
    const arn = fn.environment.auth_token_secret as string;
    secrets = await startSecretsManager({ [arn]: TOKEN });
    stack = await lambdaAssetTarget(fn, { AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint }).start();
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await secrets?.stop();
    fn.remove();
  });

  it('answers 401 without the token or with a wrong one, 204 with it; reads the secret once', async () => {
    expect(fn.environment).toMatchObject({
      auth: 'iam',
      auth_token_secret: expect.stringContaining(':secret:'),
    });
    const statuses = [];
    for (const authorization of [
      undefined,
      'Bearer wrong-token',
      `Basic ${btoa('AKID:secret')}`,
      `Bearer ${TOKEN}`,
    ])
      statuses.push((await post(stack.writeUrl, authorization)).status);
    expect(statuses).toEqual([401, 401, 401, 204]);
    expect(secrets.requests).toEqual([`secretsmanager.GetSecretValue ${fn.environment.auth_token_secret}`]);
    const metering = stack.emulator.metering();
    expect(metering.writes.recordsIngested).toBe(3);
    expect(Object.keys(metering.accessKeys)).toEqual([ROLE_ACCESS_KEY_ID]);
    expect(stack.warnings.filter((line) => !line.includes('401'))).toEqual([]);
  });
});

describe('the synthesized x86_64 Lambda asset, AuthMode=iam', () => {
  const fn = synthesizeFunction({ ...E2E_PARAMETERS, AuthMode: 'iam' });
  let stack: ConnectorStack;
  beforeAll(async () => {
    stack = await lambdaAssetTarget(fn).start();
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    fn.remove();
  });

  it('writes with its role for a caller API Gateway authorized (SigV4 header passed through)', async () => {
    expect(fn.environment).toMatchObject({ auth: 'iam' });
    expect(fn.environment).not.toHaveProperty('auth_token_secret');
    const signed =
      'AWS4-HMAC-SHA256 Credential=AKIDCALLER/20261121/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00';
    expect((await post(stack.writeUrl, signed)).status).toBe(204);
    const metering = stack.emulator.metering();
    expect(metering.writes.recordsIngested).toBe(3);
    expect(Object.keys(metering.accessKeys)).toEqual([ROLE_ACCESS_KEY_ID]);
    expect(stack.warnings).toEqual([]);
  });
});
