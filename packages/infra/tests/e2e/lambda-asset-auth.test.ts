/**
 * The synthesized Lambda asset deployed with `AuthMode=token`: it reads the generated secret from
 * Secrets Manager once (a loopback stub through the bundled SDK client) and answers only the
 * bearer token; Timestream sees the function's role key, never a caller's. (`AuthMode=iam`, where
 * API Gateway checks SigV4 before the function runs, is lambda-asset-iam.test.ts.)
 */
import type { ConnectorStack } from '../../../connector/support/connector-stack.js';
import { nodeSeries, V1_HEADERS, writeBody } from '../../../connector/support/harness.js';
import { type SecretsManagerStub, startSecretsManager } from '../../../connector/support/secrets-manager.js';
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
