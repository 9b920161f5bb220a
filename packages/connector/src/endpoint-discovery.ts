/**
 * Where the lean WriteRecords path sends its calls, decided as the SDK decides it
 * (@aws-sdk/middleware-endpoint-discovery): a custom endpoint is used as is and turns discovery
 * off; otherwise Timestream's DescribeEndpoints, sent through the write client itself (its
 * signing, retries and regional endpoint), names the host, cached per access key id for the
 * CachePeriodInMinutes it answers. Scheme, port and path stay those of the regional endpoint the
 * SDK resolves, as the SDK only replaces the hostname.
 */
import { DescribeEndpointsCommand, type TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import type { HttpTarget } from './write-records-http.js';

export interface EndpointSource {
  /** The target of the next call made with credentials of this access key id. */
  readonly targetFor: (accessKeyId: string) => Promise<HttpTarget>;
  /**
   * Forgets a discovered endpoint the service called invalid (InvalidEndpointException), so the
   * next call discovers again. Returns false when there is nothing to forget (a custom endpoint).
   */
  readonly forget: (accessKeyId: string) => boolean;
}

export interface EndpointSourceOptions {
  /** The clock the cache expires by (tests). */
  readonly now?: () => number;
}

/** Access key ids whose endpoints are kept (one pair of clients sees one key, or a rotating role's). */
const MAX_KEYS = 4;

interface Discovered {
  readonly addresses: readonly string[];
  readonly expires: number;
}

/** What the SDK throws when discovery fails; `sdkErrorOf` looks through it to `reason`. */
const discoveryFailure = (reason: unknown): Error =>
  Object.assign(
    new Error(
      'The operation to discover endpoint failed. Please retry, or provide a custom endpoint and disable endpoint discovery to proceed.',
    ),
    { reason },
  );

/** The write client's resolved config, as far as this module reads it. */
interface WriteClientConfig {
  readonly isCustomEndpoint?: boolean;
  readonly endpoint?: () => Promise<{
    protocol: string;
    hostname: string;
    port?: number;
    path: string;
  }>;
  readonly endpointDiscoveryEnabled: () => Promise<boolean | undefined>;
  readonly endpointProvider: (params: Record<string, unknown>, context: object) => { url: URL };
  readonly region: () => Promise<string>;
  readonly useFipsEndpoint: () => Promise<boolean>;
  readonly useDualstackEndpoint: () => Promise<boolean>;
}

const withSlash = (path: string): string => (path.endsWith('/') ? path : `${path}/`);

/** The regional endpoint the SDK resolves for WriteRecords before discovery replaces its host. */
const regionalTarget = async (config: WriteClientConfig): Promise<HttpTarget> => {
  const { url } = config.endpointProvider(
    {
      Region: await config.region(),
      UseFIPS: await config.useFipsEndpoint(),
      UseDualStack: await config.useDualstackEndpoint(),
    },
    {},
  );
  return {
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port === '' ? undefined : Number(url.port),
    path: withSlash(url.pathname),
  };
};

const customSource = (config: WriteClientConfig): EndpointSource => {
  let target: Promise<HttpTarget> | undefined;
  const resolve = async (): Promise<HttpTarget> => {
    const endpoint = await (config.endpoint as NonNullable<WriteClientConfig['endpoint']>)();
    return {
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port,
      path: withSlash(endpoint.path),
    };
  };
  return { targetFor: () => (target ??= resolve()), forget: () => false };
};

export const createEndpointSource = (
  client: TimestreamWriteClient,
  options: EndpointSourceOptions = {},
): EndpointSource => {
  const config = client.config as unknown as WriteClientConfig;
  if (config.isCustomEndpoint === true) return customSource(config);
  const now = options.now ?? Date.now;
  const cache = new Map<string, Discovered>();
  // One DescribeEndpoints at a time per key: concurrent calls wait for it, as with the SDK.
  const pending = new Map<string, Promise<Discovered>>();
  let regional: Promise<HttpTarget> | undefined;

  const discover = (accessKeyId: string): Promise<Discovered> => {
    const inFlight = pending.get(accessKeyId);
    if (inFlight !== undefined) return inFlight;
    const started = (async () => {
      if ((await config.endpointDiscoveryEnabled()) === false)
        throw new Error(
          'Endpoint Discovery is disabled but WriteRecords on TimestreamWriteClient requires it. Please check your configurations.',
        );
      try {
        const { Endpoints = [] } = await client.send(new DescribeEndpointsCommand({}));
        const found = {
          addresses: Endpoints.map((endpoint) => endpoint.Address ?? '').filter((address) => address !== ''),
          // Every endpoint of one answer carries the same period in practice; the shortest rules.
          expires: now() + Math.min(...Endpoints.map((e) => e.CachePeriodInMinutes ?? 0)) * 60_000,
        };
        if (found.addresses.length === 0) throw new Error('DescribeEndpoints answered no endpoint');
        cache.delete(accessKeyId);
        // Temporary credentials rotate their key id: keep the few latest keys only.
        if (cache.size >= MAX_KEYS) cache.delete(cache.keys().next().value as string);
        cache.set(accessKeyId, found);
        return found;
      } catch (error) {
        throw discoveryFailure(error);
      }
    })().finally(() => pending.delete(accessKeyId));
    pending.set(accessKeyId, started);
    return started;
  };

  return {
    targetFor: async (accessKeyId) => {
      regional ??= regionalTarget(config).catch((error: unknown) => {
        regional = undefined;
        throw error;
      });
      const base = await regional;
      let found = cache.get(accessKeyId);
      if (found === undefined || now() >= found.expires) found = await discover(accessKeyId);
      // As the SDK's EndpointCache: any of the endpoints, at random.
      const hostname = found.addresses[Math.floor(Math.random() * found.addresses.length)] as string;
      return { ...base, hostname };
    },
    forget: (accessKeyId) => {
      cache.delete(accessKeyId);
      return true;
    },
  };
};
