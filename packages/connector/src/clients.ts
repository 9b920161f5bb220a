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

export interface ClientLease {
  readonly client: TimestreamWriteClient;
  /** Ends this request's use of the client; an evicted client is destroyed after its last use. */
  readonly release: () => void;
}

export interface ClientPool {
  /** The client for these credentials; undefined means the connector's own credential chain. */
  readonly acquire: (credentials: AwsCredentials | undefined) => ClientLease;
  /** Clients currently cached (for tests and metrics). */
  readonly size: () => number;
  readonly destroy: () => void;
}

export interface ClientPoolOptions {
  /** Credentials for `iam` mode instead of the default chain (tests against the emulator). */
  readonly ownCredentials?: AwsCredentials;
}

interface CachedClient {
  readonly client: TimestreamWriteClient;
  inUse: number;
  evicted: boolean;
}

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
    const lease = { client, release: () => undefined };
    return { acquire: () => lease, size: () => 1, destroy: () => client.destroy() };
  }

  const cache = new Map<string, CachedClient>();
  // Evicted clients are destroyed as soon as no request uses them, so callers cycling through
  // many (possibly bogus) keys cannot pile up clients and their sockets.
  const evict = (entry: CachedClient): void => {
    entry.evicted = true;
    if (entry.inUse === 0) entry.client.destroy();
  };
  return {
    acquire: (credentials) => {
      if (credentials === undefined) throw new Error('passthrough mode needs the caller’s credentials');
      // The key holds a hash of the secret, never the secret itself.
      const key = `${credentials.accessKeyId}:${createHash('sha256')
        .update(`${credentials.secretAccessKey}\u0000${credentials.sessionToken ?? ''}`)
        .digest('base64')}`;
      let entry = cache.get(key);
      if (entry === undefined) {
        entry = { client: build(credentials), inUse: 0, evicted: false };
        if (cache.size >= config.credentialCacheSize) {
          const [oldestKey, oldest] = cache.entries().next().value as [string, CachedClient];
          cache.delete(oldestKey);
          evict(oldest);
        }
      } else {
        cache.delete(key);
      }
      cache.set(key, entry);
      const leased = entry;
      leased.inUse++;
      let released = false;
      return {
        client: leased.client,
        release: () => {
          if (released) return;
          released = true;
          leased.inUse--;
          if (leased.evicted && leased.inUse === 0) leased.client.destroy();
        },
      };
    },
    size: () => cache.size,
    destroy: () => {
      for (const entry of cache.values()) evict(entry);
      cache.clear();
    },
  };
};
