/**
 * Timestream SDK clients, built once and reused: one pair (write, query) per distinct passthrough
 * caller (a bounded LRU cache, so no client state is ever shared between callers), or one pair for
 * the connector's own credentials in `iam` mode. Each client of a pair is built on first use, so a
 * Lambda container that only writes never builds a query client.
 */
import { createHash } from 'node:crypto';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import type { AwsCredentials } from './auth.js';
import type { ConnectorConfig } from './config.js';
import { parseQueryAnswersDirectly } from './query-answer.js';
import type { WriteRecordsCall } from './timestream-write.js';
import { createLeanWriteRecords, type LeanWriteRecords } from './write-records.js';

export const USER_AGENT = 'prometheus-timestream-connector/0.1.0';

/** Connecting to Timestream, any call. */
const CONNECTION_TIMEOUT_MS = 5_000;
/** One write-side attempt, connection to last byte (the SDK client's and the lean path's). */
const WRITE_REQUEST_TIMEOUT_MS = 20_000;

export interface ClientLease {
  readonly writeClient: TimestreamWriteClient;
  readonly queryClient: TimestreamQueryClient;
  /**
   * WriteRecords without the SDK's command machinery (write-records.ts), on the write client's
   * credentials, endpoint discovery and retry strategy, over its own keep-alive sockets.
   */
  readonly writeRecords: WriteRecordsCall;
  /** Ends this request's use of the clients; an evicted pair is destroyed after its last use. */
  readonly release: () => void;
}

export interface ClientPool {
  /** The clients for these credentials; undefined means the connector's own credential chain. */
  readonly acquire: (credentials: AwsCredentials | undefined) => ClientLease;
  /** Client pairs currently cached (for tests and metrics). */
  readonly size: () => number;
  readonly destroy: () => void;
}

export interface ClientPoolOptions {
  /** Credentials for `iam` mode instead of the default chain (tests against the emulator). */
  readonly ownCredentials?: AwsCredentials;
}

interface ClientPair {
  readonly credentials: AwsCredentials | undefined;
  write: TimestreamWriteClient | undefined;
  query: TimestreamQueryClient | undefined;
  lean: LeanWriteRecords | undefined;
  inUse: number;
  evicted: boolean;
}

/**
 * Removes the SDK's logger middleware: it copies every input and output through the schema's
 * sensitive-data filter for a logger the connector never gives it, ~7 % of the CPU of a write and
 * a walk over every row of every Query page.
 */
const withoutSdkLogger = <T extends TimestreamWriteClient | TimestreamQueryClient>(client: T): T => {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
};

const destroyPair = (pair: ClientPair): void => {
  pair.lean?.destroy();
  pair.write?.destroy();
  pair.query?.destroy();
};

export const createClientPool = (config: ConnectorConfig, options: ClientPoolOptions = {}): ClientPool => {
  // A custom endpoint turns endpoint discovery off by itself; passing endpointDiscoveryEnabled at
  // all (even false) would make the SDK throw.
  const common = (credentials: AwsCredentials | undefined, endpoint: string | undefined) => ({
    region: config.region,
    customUserAgent: USER_AGENT,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
  });
  const writeClientOf = (pair: ClientPair): TimestreamWriteClient => {
    // WriteRecords goes the lean way (leanOf); this client discovers endpoints, resolves
    // credentials, signs and retries for it, and serves every other write-side call.
    pair.write ??= withoutSdkLogger(
      new TimestreamWriteClient({
        ...common(pair.credentials, config.writeBaseEndpoint),
        maxAttempts: config.maxWriteRetries,
        requestHandler: {
          connectionTimeout: CONNECTION_TIMEOUT_MS,
          requestTimeout: WRITE_REQUEST_TIMEOUT_MS,
        },
      }),
    );
    return pair.write;
  };
  const queryClientOf = (pair: ClientPair): TimestreamQueryClient => {
    pair.query ??= parseQueryAnswersDirectly(
      withoutSdkLogger(
        new TimestreamQueryClient({
          ...common(pair.credentials, config.queryBaseEndpoint),
          maxAttempts: config.maxReadRetries,
          // Timestream answers every Query call within 60 s (with a NextToken if need be).
          requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: 65_000 },
        }),
      ),
    );
    return pair.query;
  };
  const leanOf = (pair: ClientPair): LeanWriteRecords => {
    // The same timeouts as the write client's requestHandler; here the 20 s one fails the call.
    pair.lean ??= createLeanWriteRecords(writeClientOf(pair), {
      connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
      requestTimeoutMs: WRITE_REQUEST_TIMEOUT_MS,
    });
    return pair.lean;
  };
  const leaseOf = (pair: ClientPair, release: () => void): ClientLease => ({
    get writeClient() {
      return writeClientOf(pair);
    },
    writeRecords: (body, signal) => leanOf(pair).writeRecords(body, signal),
    get queryClient() {
      return queryClientOf(pair);
    },
    release,
  });

  if (config.auth === 'iam') {
    const own: ClientPair = {
      credentials: options.ownCredentials,
      write: undefined,
      query: undefined,
      lean: undefined,
      inUse: 0,
      evicted: false,
    };
    const lease = leaseOf(own, () => undefined);
    return { acquire: () => lease, size: () => 1, destroy: () => destroyPair(own) };
  }

  const cache = new Map<string, ClientPair>();
  // Evicted pairs are destroyed as soon as no request uses them, so callers cycling through many
  // (possibly bogus) keys cannot pile up clients and their sockets.
  const evict = (pair: ClientPair): void => {
    pair.evicted = true;
    if (pair.inUse === 0) destroyPair(pair);
  };
  return {
    acquire: (credentials) => {
      if (credentials === undefined) throw new Error('passthrough mode needs the caller’s credentials');
      // The key holds a hash of the secret, never the secret itself.
      const key = `${credentials.accessKeyId}:${createHash('sha256')
        .update(`${credentials.secretAccessKey}\u0000${credentials.sessionToken ?? ''}`)
        .digest('base64')}`;
      let pair = cache.get(key);
      if (pair === undefined) {
        pair = { credentials, write: undefined, query: undefined, lean: undefined, inUse: 0, evicted: false };
        if (cache.size >= config.credentialCacheSize) {
          const [oldestKey, oldest] = cache.entries().next().value as [string, ClientPair];
          cache.delete(oldestKey);
          evict(oldest);
        }
      } else {
        cache.delete(key);
      }
      cache.set(key, pair);
      const leased = pair;
      leased.inUse++;
      let released = false;
      return leaseOf(leased, () => {
        if (released) return;
        released = true;
        leased.inUse--;
        if (leased.evicted && leased.inUse === 0) destroyPair(leased);
      });
    },
    size: () => cache.size,
    destroy: () => {
      for (const pair of cache.values()) evict(pair);
      cache.clear();
    },
  };
};
