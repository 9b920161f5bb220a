/**
 * Configuration, read once at start into a typed, frozen object and passed down. The standalone
 * server reads flags, Lambda reads environment variables; both keep the Go connector's names
 * (`--default-database` / `default_database`) so users can switch without rewriting anything.
 */
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { DEFAULT_MAX_DECODED_BYTES } from '@prometheus-timestream/codec';
import {
  type AuthMode,
  type FlagSpec,
  invalid,
  type ListenAddress,
  type LogFormat,
  type LogLevel,
  MIB,
  CONFIG_OPTIONS as OPTIONS,
  type OptionKey,
  type OptionSpec,
  parseBoolean,
  region,
} from './options.js';

// What the connector's modules and tests take from here; the option table itself is options.ts.
export {
  type AuthMode,
  CONFIG_OPTIONS,
  type FlagSpec,
  type ListenAddress,
  type LogFormat,
  type LogLevel,
  type Parser,
} from './options.js';

export interface ConnectorConfig {
  readonly defaultDatabase: string;
  readonly defaultTable: string;
  readonly region: string;
  readonly auth: AuthMode;
  /** Bearer token callers must present in `iam` mode; undefined when no token is required. */
  readonly authToken: string | undefined;
  /** The file `authToken` was read from, if any (the printed prometheus.yml names it). */
  readonly authTokenFile: string | undefined;
  /** Secrets Manager secret holding the bearer token; `resolveAuthTokenSecret` reads it into `authToken`. */
  readonly authTokenSecret: string | undefined;
  /**
   * Routes API Gateway authorizes with IAM in front of the Lambda function (the stack sets `write`
   * in `AuthMode=iam`): a request on them that AWS IAM-authorized needs no bearer token. Empty
   * everywhere else, so a crafted event cannot skip the token on a route nobody authorizes.
   */
  readonly iamAuthorizedRoutes: readonly ('write' | 'read')[];
  readonly writeBaseEndpoint: string | undefined;
  readonly queryBaseEndpoint: string | undefined;
  /** SDK attempts per WriteRecords call (the Go connector's name says retries; it counts attempts). */
  readonly maxWriteRetries: number;
  readonly maxReadRetries: number;
  /** WriteRecords calls in flight at once for one request. */
  readonly writeConcurrency: number;
  readonly failOnLongLabel: boolean;
  readonly failOnInvalidSampleValue: boolean;
  /** Store staleness markers as records with the marker dimension instead of skipping them. */
  readonly storeStalenessMarkers: boolean;
  /** Remote-read budget: queries, samples and response bytes per request. */
  readonly maxReadQueries: number;
  readonly maxReadSamples: number;
  readonly maxReadResponseBytes: number;
  /** How long a fetched list of the table's dimension columns is used before it is fetched again. */
  readonly dimensionCacheTtlMs: number;
  /** Largest request body accepted as sent (compressed). */
  readonly maxBodyBytes: number;
  /** Largest body accepted once snappy-decompressed. */
  readonly maxDecodedBytes: number;
  /**
   * Decoded bytes the requests in flight may hold together (`auto` already worked out from the
   * heap limit); a request beyond them is refused with 503 unless it would be alone.
   */
  readonly maxDecodedBytesInFlight: number;
  /** How long one request may take, from its first byte to the answer (standalone server). */
  readonly requestTimeoutMs: number;
  /** Clients kept for distinct passthrough credentials. */
  readonly credentialCacheSize: number;
  readonly listenAddress: ListenAddress;
  /**
   * The standalone server may run in `iam` mode without a bearer token on a non-loopback address
   * (something in front of it checks callers); without it, that start is refused.
   */
  readonly allowUnauthenticated: boolean;
  readonly telemetryPath: string;
  readonly tlsCertificate: string | undefined;
  readonly tlsKey: string | undefined;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly enableLogging: boolean;
}

type RawValues = Partial<Record<OptionKey, string>>;

const FLAG_TO_KEY = new Map<string, OptionKey>(
  Object.entries(OPTIONS).map(([key, spec]) => [spec.flag, key as OptionKey]),
);

/** Environment the configuration may read; passed in so nothing reads `process.env` deep inside. */
export type Environment = Readonly<Record<string, string | undefined>>;

const readTokenFile = (path: string, option: string): string => {
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (error) {
    return invalid(option, `cannot read "${path}": ${(error as Error).message}`);
  }
  return token === '' ? invalid(option, `"${path}" is empty`) : token;
};

const build = (raw: RawValues, env: Environment, nameOf: (key: OptionKey) => string): ConnectorConfig => {
  // Every missing destination option in one message, so a first run does not fail once per option.
  const missing = (Object.entries(OPTIONS) as [OptionKey, OptionSpec<unknown>][])
    .filter(([key, spec]) => spec.required === true && (raw[key] ?? '').trim() === '')
    .map(([key]) => nameOf(key));
  if (missing.length > 0)
    invalid(
      missing.join(', '),
      `${missing.length === 1 ? 'is' : 'are'} required (the Timestream destination)`,
    );
  const value = <K extends OptionKey>(key: K): ReturnType<(typeof OPTIONS)[K]['parse']> => {
    const spec: OptionSpec<unknown> = OPTIONS[key];
    const text = raw[key] ?? spec.defaultValue;
    if (text === undefined) {
      if (spec.required) invalid(nameOf(key), 'is required (the Timestream destination)');
      return undefined as ReturnType<(typeof OPTIONS)[K]['parse']>;
    }
    return spec.parse(text, nameOf(key)) as ReturnType<(typeof OPTIONS)[K]['parse']>;
  };
  let auth = value('auth');
  // Go connector deployments set enable_sigv4_auth (its Lambda default was true: the role's own
  // credentials behind API Gateway IAM auth). Honour it, so a migrated function does not answer
  // 401 to every request, and refuse a contradiction instead of guessing.
  const sigv4 = value('enableSigv4Auth');
  if (sigv4 !== undefined) {
    const implied: AuthMode = sigv4 ? 'iam' : 'passthrough';
    if (raw.auth !== undefined && auth !== implied)
      invalid(
        nameOf('enableSigv4Auth'),
        `${String(sigv4)} means auth=${implied}, but ${nameOf('auth')} is ${auth}`,
      );
    auth = implied;
  }
  const tokenFile = value('authTokenFile');
  const tokenSecret = value('authTokenSecret');
  const tokenFromEnv = env.AUTH_TOKEN?.trim();
  let authToken: string | undefined;
  if (tokenFile !== undefined) authToken = readTokenFile(tokenFile, nameOf('authTokenFile'));
  else if (tokenFromEnv !== undefined && tokenFromEnv !== '') authToken = tokenFromEnv;
  const tokenSource =
    tokenSecret !== undefined
      ? nameOf('authTokenSecret')
      : tokenFile === undefined
        ? 'AUTH_TOKEN'
        : nameOf('authTokenFile');
  if ((authToken !== undefined || tokenSecret !== undefined) && auth !== 'iam')
    invalid(tokenSource, 'a bearer token only applies with auth=iam (passthrough uses basic auth)');
  if (authToken !== undefined && tokenSecret !== undefined)
    invalid(
      tokenSource,
      `give the bearer token one way only, not also by ${tokenFile === undefined ? 'AUTH_TOKEN' : nameOf('authTokenFile')}`,
    );
  // The flag only loosens iam mode without a token; anywhere else it would be ignored, and an
  // operator who passed it may believe the server is open when it checks callers, or the reverse.
  const allowUnauthenticated = value('allowUnauthenticated');
  if (allowUnauthenticated && auth !== 'iam')
    invalid(
      nameOf('allowUnauthenticated'),
      'only applies with auth=iam without a bearer token (passthrough checks every caller’s AWS keys); drop it',
    );
  if (allowUnauthenticated && (authToken !== undefined || tokenSecret !== undefined))
    invalid(
      nameOf('allowUnauthenticated'),
      `only applies without a bearer token, but ${tokenSource} gives one, so callers must send it; drop one of the two`,
    );
  const iamAuthorizedRoutes = value('iamAuthorizedRoutes');
  if (iamAuthorizedRoutes.length > 0 && auth !== 'iam')
    invalid(
      nameOf('iamAuthorizedRoutes'),
      'only applies with auth=iam (passthrough checks every caller’s AWS keys itself)',
    );
  const tlsCertificate = value('tlsCertificate');
  const tlsKey = value('tlsKey');
  if ((tlsCertificate === undefined) !== (tlsKey === undefined))
    invalid(
      nameOf(tlsCertificate === undefined ? 'tlsCertificate' : 'tlsKey'),
      'TLS needs both --tls-certificate and --tls-key',
    );
  const awsRegion = value('region') ?? region(env.AWS_REGION ?? '', 'AWS_REGION') ?? 'us-east-1';
  return Object.freeze({
    defaultDatabase: value('defaultDatabase'),
    defaultTable: value('defaultTable'),
    region: awsRegion,
    auth,
    authToken,
    authTokenFile: tokenFile,
    authTokenSecret: tokenSecret,
    iamAuthorizedRoutes,
    writeBaseEndpoint: value('writeBaseEndpoint'),
    queryBaseEndpoint: value('queryBaseEndpoint'),
    maxWriteRetries: value('maxWriteRetries'),
    maxReadRetries: value('maxReadRetries'),
    writeConcurrency: value('writeConcurrency'),
    failOnLongLabel: value('failOnLongLabel'),
    failOnInvalidSampleValue: value('failOnInvalidSampleValue'),
    storeStalenessMarkers: value('storeStalenessMarkers'),
    maxReadQueries: value('maxReadQueries'),
    maxReadSamples: value('maxReadSamples'),
    maxReadResponseBytes: value('maxReadResponseBytes'),
    dimensionCacheTtlMs: value('dimensionCacheTtl'),
    maxBodyBytes: value('maxBodyBytes'),
    maxDecodedBytes: value('maxDecodedBytes'),
    maxDecodedBytesInFlight: value('maxDecodedBytesInFlight') ?? decodedBytesInFlightFor(),
    requestTimeoutMs: value('requestTimeout'),
    credentialCacheSize: value('credentialCacheSize'),
    listenAddress: Object.freeze(value('listenAddress')),
    allowUnauthenticated,
    telemetryPath: value('telemetryPath'),
    tlsCertificate,
    tlsKey,
    logLevel: value('logLevel'),
    logFormat: value('logFormat'),
    enableLogging: value('enableLogging'),
  });
};

/** Whether `host` names this machine's loopback interface only (127.0.0.0/8, ::1, localhost). */
export const isLoopbackHost = (host: string | undefined): boolean => {
  if (host === undefined) return false;
  const name = host.toLowerCase().replace(/\.$/, '');
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    name === '::1' ||
    /^(?:::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
  );
};

/** `host:port` as the user writes it: `:9201` for every interface, `[::1]:9201` for IPv6. */
export const formatListenAddress = (address: ListenAddress): string =>
  address.host === undefined
    ? `:${address.port}`
    : `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;

/**
 * `iam` mode checks no caller by itself: without a bearer token, a server on a non-loopback
 * address would take writes and reads from anyone who reaches it. That is right only behind
 * something that checks callers, which the user has to say with --allow-unauthenticated.
 */
const refuseOpenUnauthenticated = (
  config: ConnectorConfig,
  raw: RawValues,
  nameOf: (key: OptionKey) => string,
): void => {
  if (config.auth !== 'iam' || config.authToken !== undefined || config.authTokenSecret !== undefined) return;
  if (config.allowUnauthenticated || isLoopbackHost(config.listenAddress.host)) return;
  invalid(
    // The option that chose iam mode: --enable-sigv4-auth=true alone does it too.
    nameOf(raw.auth === undefined && raw.enableSigv4Auth !== undefined ? 'enableSigv4Auth' : 'auth'),
    `iam mode without a bearer token would accept unauthenticated writes and reads from anyone who can reach ${formatListenAddress(config.listenAddress)}; give a token (--auth-token-file, --auth-token-secret or AUTH_TOKEN), listen on loopback (--web.listen-address=127.0.0.1:${config.listenAddress.port}), or pass --allow-unauthenticated if something in front checks callers`,
  );
};

/** One option as the command line gave it: its flag without `--`, and its value as typed. */
export interface FlagValue {
  readonly flag: string;
  readonly text: string;
}

/**
 * Splits a command line into options: `--name=value` or `--name value`, and a bare boolean flag
 * (one `specs` reads with `parseBoolean`) means true. Nothing is read yet but the split.
 *
 * @throws InvalidConfigError naming the argument, for one that is no option, an option not in
 *   `specs`, or a value left out (`--region --log.level=warn`: a value never starts with `--`,
 *   though `--name=--x` gives one that does)
 */
export const splitFlags = (argv: readonly string[], specs: readonly FlagSpec<unknown>[]): FlagValue[] => {
  const byFlag = new Map(specs.map((spec) => [spec.flag, spec]));
  const values: FlagValue[] = [];
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i] as string;
    if (!argument.startsWith('--')) invalid(argument, 'unexpected argument; options look like --name=value');
    const equals = argument.indexOf('=');
    const flag = argument.slice(2, equals < 0 ? undefined : equals);
    const spec = byFlag.get(flag);
    if (spec === undefined) return invalid(`--${flag}`, 'unknown option (see --help)');
    const next = argv[i + 1];
    let text: string;
    if (equals >= 0) text = argument.slice(equals + 1);
    else if (next === undefined || next.startsWith('--')) {
      if (spec.parse !== parseBoolean) return invalid(`--${flag}`, 'needs a value');
      text = 'true';
    } else {
      text = next;
      i++;
    }
    values.push({ flag, text });
  }
  return values;
};

/** The connector's options, as `splitFlags` takes them. */
export const CONNECTOR_FLAGS: readonly FlagSpec<unknown>[] = Object.values(OPTIONS);

/**
 * Reads the standalone server's flags (`--name=value` or `--name value`; a bare boolean flag means
 * true). The environment supplies only `AWS_REGION` and `AUTH_TOKEN`.
 *
 * @throws InvalidConfigError naming the flag, for an unknown flag or an invalid value (every
 *   missing required flag at once), and for `iam` mode without a token on a non-loopback address
 *   unless --allow-unauthenticated is given
 * @example
 * ```ts
 * const config = readFlags(process.argv.slice(2), process.env);
 * ```
 */
export const readFlags = (argv: readonly string[], env: Environment): ConnectorConfig =>
  readFlagValues(splitFlags(argv, CONNECTOR_FLAGS), env);

/**
 * `readFlags` for a command line already split (`splitFlags`), as the CLI splits its own options
 * off first; a later value of a flag replaces an earlier one.
 *
 * @throws InvalidConfigError as `readFlags` does
 */
export const readFlagValues = (values: readonly FlagValue[], env: Environment): ConnectorConfig => {
  const raw: RawValues = {};
  for (const { flag, text } of values) {
    const key = FLAG_TO_KEY.get(flag);
    if (key === undefined) return invalid(`--${flag}`, 'unknown option (see --help)');
    raw[key] = text;
  }
  const nameOf = (key: OptionKey): string => `--${OPTIONS[key].flag}`;
  const config = build(raw, env, nameOf);
  refuseOpenUnauthenticated(config, raw, nameOf);
  return config;
};

/**
 * Memory a request takes per decoded byte, worst case: a 32 MiB body of one-sample series with two
 * short labels, decoded into columns and sent batch by batch, peaks at 5.7 bytes of heap per
 * decoded byte and 16–18 bytes of RSS above the idle process (`npm run bench`, section memory; 23
 * bytes of heap before batches were built lazily). RSS is what a container's limit counts: the
 * collector's timing, not the live heap, sets most of it.
 */
export const WORST_MEMORY_PER_DECODED_BYTE = 16;

/**
 * Share of V8's heap limit the decoded requests in flight may take, at their worst case, by
 * default. The rest is for what the budget does not count: the bodies still being received
 * (compressed, up to --max-body-bytes each), the answers being written, the SDK's and the
 * process's own heap, and the room V8's collector needs to work in without stalling every
 * request as the heap nears its limit. Memory would allow ¼ (64 MiB, two worst-case bodies), but
 * two worst-case bodies at once both missed their deadline and were resent forever (`npm run
 * bench`, section overload: 0 of 8 acknowledged in 90 s), where one at a time finishes in 6–9 s.
 */
const HEAP_SHARE_OF_REQUESTS_IN_FLIGHT = 1 / 6;

/**
 * The `auto` default of --max-decoded-bytes-in-flight: the decoded bytes whose worst-case memory
 * fills that share of the heap limit (which --max-old-space-size and a container's memory limit
 * set). With Node's 4 GiB limit and 16 bytes per decoded byte: 42.7 MiB.
 */
export const decodedBytesInFlightFor = (heapSizeLimit = getHeapStatistics().heap_size_limit): number =>
  Math.floor((heapSizeLimit * HEAP_SHARE_OF_REQUESTS_IN_FLIGHT) / WORST_MEMORY_PER_DECODED_BYTE);

/**
 * The default decoded-body limit of a Lambda function: the 32 MiB default, lowered so that one
 * worst-case request takes at most half the function's memory (a 512 MB function: 16 MiB). A
 * larger request would end the container out of memory, and Prometheus would resend it forever.
 */
const lambdaDecodedBytes = (memoryMb: string | undefined): string | undefined => {
  const megabytes = Number(memoryMb);
  if (!Number.isSafeInteger(megabytes) || megabytes <= 0) return undefined;
  return String(
    Math.min(DEFAULT_MAX_DECODED_BYTES, Math.floor((megabytes * MIB) / 2 / WORST_MEMORY_PER_DECODED_BYTE)),
  );
};

/**
 * Reads the Lambda function's configuration from its environment variables (the Go connector's
 * names, e.g. `default_database`). The region comes from `AWS_REGION` unless `region` is set;
 * unless `max_decoded_bytes` is set, its default follows `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`.
 *
 * @throws InvalidConfigError naming the variable
 */
export const readEnvironment = (env: Environment): ConnectorConfig => {
  const raw: RawValues = {};
  for (const [key, spec] of Object.entries(OPTIONS) as [OptionKey, OptionSpec<unknown>][]) {
    if (spec.env === undefined) continue;
    const text = env[spec.env];
    if (text !== undefined) raw[key] = text;
  }
  const lambdaDefault = lambdaDecodedBytes(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  if (raw.maxDecodedBytes === undefined && lambdaDefault !== undefined) raw.maxDecodedBytes = lambdaDefault;
  return build(raw, env, (key) => OPTIONS[key].env ?? OPTIONS[key].flag);
};

/** The `--help` text, generated from the option table so it never drifts. */
export const usage = (): string =>
  Object.values(OPTIONS)
    .map(
      (spec: OptionSpec<unknown>) =>
        `  --${spec.flag.padEnd(30)} ${spec.description}${spec.defaultValue === undefined ? '' : ` (default ${spec.defaultValue})`}`,
    )
    .join('\n');
