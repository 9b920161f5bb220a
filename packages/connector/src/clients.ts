/**
 * Timestream SDK clients, built once and reused: one per distinct passthrough caller (a bounded
 * LRU cache, so no client state is ever shared between callers), or one for the connector's own
 * credentials in `iam` mode.
 */
import { createHash } from 'node:crypto';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import type { AwsCredentials } from './auth.js';
import type { ConnectorConfig } from './config.js';

export const USER_AGENT = 'prometheus-timestream-connector/0.1.0';

export interface ClientPool {
  /** The client for these credentials; undefined means the connector's own credential chain. */
  readonly writeClient: (credentials: AwsCredentials | undefined) => TimestreamWriteClient;
  /** Clients currently cached (for tests and metrics). */
  readonly size: () => number;
  readonly destroy: () => void;
}

export interface ClientPoolOptions {
  /** Credentials for `iam` mode instead of the default chain (tests against the emulator). */
  readonly ownCredentials?: AwsCredentials;
}

/** How long an evicted client lives on, so calls still using it can finish. */
const EVICTION_GRACE_MS = 120_000;

export const createClientPool = (config: ConnectorConfig, options: ClientPoolOptions = {}): ClientPool => {
  const build = (credentials: AwsCredentials | undefined): TimestreamWriteClient =>
    new TimestreamWriteClient({
      region: config.region,
      maxAttempts: config.maxWriteRetries,
      customUserAgent: USER_AGENT,
      // A custom endpoint turns endpoint discovery off by itself; passing endpointDiscoveryEnabled
      // at all (even false) would make the SDK throw.
      ...(config.writeBaseEndpoint === undefined ? {} : { endpoint: config.writeBaseEndpoint }),
      ...(credentials === undefined ? {} : { credentials }),
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 20_000 },
    });

  if (config.auth === 'iam') {
    const client = build(options.ownCredentials);
    return { writeClient: () => client, size: () => 1, destroy: () => client.destroy() };
  }

  const cache = new Map<string, TimestreamWriteClient>();
  return {
    writeClient: (credentials) => {
      if (credentials === undefined) throw new Error('passthrough mode needs the caller’s credentials');
      // The key holds a hash of the secret, never the secret itself.
      const key = `${credentials.accessKeyId}:${createHash('sha256')
        .update(`${credentials.secretAccessKey}\u0000${credentials.sessionToken ?? ''}`)
        .digest('base64')}`;
      let client = cache.get(key);
      if (client !== undefined) {
        cache.delete(key);
        cache.set(key, client);
        return client;
      }
      client = build(credentials);
      cache.set(key, client);
      if (cache.size > config.credentialCacheSize) {
        const [oldestKey, oldest] = cache.entries().next().value as [string, TimestreamWriteClient];
        cache.delete(oldestKey);
        setTimeout(() => oldest.destroy(), EVICTION_GRACE_MS).unref();
      }
      return client;
    },
    size: () => cache.size,
    destroy: () => {
      for (const client of cache.values()) client.destroy();
      cache.clear();
    },
  };
};
