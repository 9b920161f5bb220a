/**
 * The bearer token read from Secrets Manager once at start (the construct's `token` mode), through
 * the real SDK client against a loopback server that speaks Secrets Manager's JSON protocol.
 */
import { readEnvironment } from '../src/config.js';
import { InvalidConfigError } from '../src/errors.js';
import { handler } from '../src/lambda.js';
import { resolveAuthTokenSecret } from '../src/secrets.js';
import { DATABASE, type Harness, nodeSeries, startHarness, TABLE, writeBody } from '../support/harness.js';
import { type SecretsManagerStub, startSecretsManager } from '../support/secrets-manager.js';

const TOKEN = 'token-from-secrets-manager';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prometheus-token-AbCdEf';

describe('the bearer token from Secrets Manager', () => {
  const saved = { ...process.env };
  let secrets: SecretsManagerStub;
  let h: Harness;
  beforeAll(async () => {
    secrets = await startSecretsManager({ [SECRET_ARN]: `${TOKEN}\n`, empty: new Uint8Array([0, 1]) });
    h = await startHarness();
  });
  beforeEach(() => {
    process.env = {
      ...saved,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_ACCESS_KEY_ID: 'AKIDFUNCTIONROLE',
      AWS_SECRET_ACCESS_KEY: 'role-secret',
      AWS_REGION: 'us-east-1',
    };
  });
  afterEach(() => {
    process.env = { ...saved };
  });
  afterAll(async () => {
    await h.stop();
    await secrets.stop();
  });

  const env = (secret: string) => ({
    default_database: DATABASE,
    default_table: TABLE,
    auth: 'iam',
    auth_token_secret: secret,
  });

  it('reads the token (trimmed) into the configuration', async () => {
    const config = await resolveAuthTokenSecret(readEnvironment(env(SECRET_ARN)));
    expect(config.authToken).toBe(TOKEN);
    expect(Object.isFrozen(config)).toBe(true);
    expect(secrets.requests.at(-1)).toBe(`secretsmanager.GetSecretValue ${SECRET_ARN}`);
  });

  it.each([
    {
      secret: 'missing',
      message:
        /cannot read the secret "missing" \(ResourceNotFoundException: .*secretsmanager:GetSecretValue/,
    },
    { secret: 'empty', message: /the secret "empty" holds no text/ },
  ])('refuses to start when the secret is $secret, naming the option', async ({ secret, message }) => {
    const error = await resolveAuthTokenSecret(readEnvironment(env(secret)), 'auth_token_secret').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as Error).message).toMatch(/^invalid configuration: auth_token_secret: /);
    expect((error as Error).message).toMatch(message);
  });

  it('the Lambda handler checks callers against the token it read at start', async () => {
    // Prepare
    Object.assign(process.env, env(SECRET_ARN), {
      write_base_endpoint: h.emulator.endpoint,
      enable_logging: 'false',
    });
    const event = (authorization?: string) => ({
      version: '2.0',
      rawPath: '/write',
      requestContext: { http: { method: 'POST', path: '/write' } },
      headers: {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
        ...(authorization === undefined ? {} : { authorization }),
      },
      body: Buffer.from(writeBody(nodeSeries(3, Date.now(), 'token-mode'))).toString('base64'),
      isBase64Encoded: true,
    });
    const context = { awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 };
    const reads = secrets.requests.length;

    // Act
    const without = await handler(event(), context);
    const wrong = await handler(event('Bearer not-the-token'), context);
    const right = await handler(event(`Bearer ${TOKEN}`), context);

    // Assess
    expect([without.statusCode, wrong.statusCode, right.statusCode]).toEqual([401, 401, 204]);
    expect(secrets.requests.length - reads).toBe(1);
    const rows = await h.query(`SELECT count(*) AS n FROM "${DATABASE}"."${TABLE}" WHERE job = 'token-mode'`);
    expect(Number(rows[0]?.n)).toBe(3);
  });
});
