/**
 * The bearer token kept in AWS Secrets Manager (the CDK construct's `token` auth mode), read once
 * when the connector starts, so the token never sits in the function's configuration.
 */
import type { ConnectorConfig } from './config.js';
import { InvalidConfigError } from './errors.js';

/**
 * Returns the configuration with `authToken` read from `authTokenSecret`, or unchanged without one.
 *
 * @throws InvalidConfigError naming the option when the secret cannot be read or is empty
 */
export const resolveAuthTokenSecret = async (
  config: ConnectorConfig,
  option = 'auth-token-secret',
): Promise<ConnectorConfig> => {
  if (config.authTokenSecret === undefined) return config;
  // Loaded only here: most deployments have no token secret, and a Lambda cold start would
  // otherwise load and evaluate the whole Secrets Manager client for nothing.
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({ region: config.region, maxAttempts: 3 });
  let token: string | undefined;
  try {
    const secret = await client.send(new GetSecretValueCommand({ SecretId: config.authTokenSecret }));
    token = secret.SecretString?.trim();
  } catch (error) {
    const name = (error as { name?: string }).name ?? 'Error';
    throw new InvalidConfigError(
      option,
      `cannot read the secret "${config.authTokenSecret}" (${name}: ${(error as Error).message}); the function's role needs secretsmanager:GetSecretValue on it`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
  if (token === undefined || token === '')
    throw new InvalidConfigError(option, `the secret "${config.authTokenSecret}" holds no text`);
  return Object.freeze({ ...config, authToken: token });
};
