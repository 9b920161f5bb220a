/**
 * A loopback server that speaks Secrets Manager's JSON protocol for GetSecretValue: the secrets
 * it was given (as `SecretString`), `ResourceNotFoundException` for any other id. Every request
 * is recorded as `<X-Amz-Target> <SecretId>`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SecretsManagerStub {
  readonly server: Server;
  /** For `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  readonly endpoint: string;
  readonly requests: string[];
  readonly stop: () => Promise<void>;
}

/** @param secrets - secret id (ARN) → `SecretString`; `SecretBinary` for a value given as bytes */
export const startSecretsManager = async (
  secrets: Readonly<Record<string, string | Uint8Array>>,
): Promise<SecretsManagerStub> => {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      requests.push(`${request.headers['x-amz-target']} ${SecretId}`);
      const secret = secrets[SecretId];
      const [status, answer] =
        secret === undefined
          ? [
              400,
              {
                __type: 'ResourceNotFoundException',
                message: "Secrets Manager can't find the specified secret.",
              },
            ]
          : [
              200,
              {
                ARN: SecretId,
                Name: SecretId.split(':').at(-1),
                VersionId: 'v1',
                ...(typeof secret === 'string'
                  ? { SecretString: secret }
                  : { SecretBinary: Buffer.from(secret).toString('base64') }),
              },
            ];
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
};
