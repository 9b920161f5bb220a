/**
 * Configuration, read once at start into a typed, frozen object and passed down. The standalone
 * server reads flags, Lambda reads environment variables; both keep the Go connector's names
 * (`--default-database` / `default_database`) so users can switch without rewriting anything.
 */
import { readFileSync } from 'node:fs';
import { InvalidConfigError } from './errors.js';
import { SERVER_PATHS } from './paths.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'logfmt';
/**
 * `passthrough`: basic-auth username and password are the caller's AWS access key id and secret
 * (the Go connector's behaviour). `iam`: the connector's own credentials; callers are checked
 * upstream (API Gateway IAM authorization) or by a bearer token.
 */
export type AuthMode = 'passthrough' | 'iam';

export interface ListenAddress {
  /** Undefined listens on every interface, as Go's `:9201` does. */
  readonly host: string | undefined;
  readonly port: number;
}

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

/** Reads one option's value as typed; throws InvalidConfigError naming `option`. */
export type Parser<T> = (raw: string, option: string) => T;

/**
 * What reading the command line needs to know of an option: its flag and how to read its value
 * (a flag read by `parseBoolean` may stand alone, meaning true). The CLI's own options are
 * FlagSpecs too, so the command line is split one way, with one set of messages.
 */
export interface FlagSpec<T> {
  /** The standalone flag, without `--`. */
  readonly flag: string;
  readonly parse: Parser<T>;
}

interface OptionSpec<T> extends FlagSpec<T> {
  /** The Lambda environment variable; undefined for options that only make sense standalone. */
  readonly env: string | undefined;
  readonly description: string;
  /** The default as the user would type it; undefined for options without one. */
  readonly defaultValue: string | undefined;
  readonly required?: true;
}

const invalid = (option: string, message: string): never => {
  throw new InvalidConfigError(option, message);
};

// strconv.ParseBool's spellings.
const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_VALUES = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool's spellings, as the Go connector reads its booleans. */
export const parseBoolean: Parser<boolean> = (raw, option) => {
  if (TRUE_VALUES.has(raw)) return true;
  if (FALSE_VALUES.has(raw)) return false;
  return invalid(option, `expected true or false, got "${raw}"`);
};

/** A whole number from `min` to `max`; `note` (such as what 0 means) follows the range in the message. */
export const integerIn =
  (min: number, max: number, note?: string): Parser<number> =>
  (raw, option) => {
    const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max)
      invalid(
        option,
        `expected an integer from ${min} to ${max}${note === undefined ? '' : ` (${note})`}, got "${raw}"`,
      );
    return value;
  };

const oneOf =
  <T extends string>(values: readonly T[]): Parser<T> =>
  (raw, option) => {
    const value = raw.trim().toLowerCase();
    if (!(values as readonly string[]).includes(value))
      invalid(option, `expected one of ${values.join(', ')}, got "${raw}"`);
    return value as T;
  };

const optionalText: Parser<string | undefined> = (raw) => (raw.trim() === '' ? undefined : raw.trim());

const requiredText: Parser<string> = (raw, option) =>
  raw.trim() === '' ? invalid(option, 'is required (the Timestream destination)') : raw.trim();

const timestreamName: Parser<string> = (raw, option) => {
  const name = requiredText(raw, option);
  if (!/^[a-zA-Z0-9_.-]{3,256}$/.test(name))
    invalid(option, `"${name}" is not a Timestream name (3 to 256 of a-z A-Z 0-9 _ . -)`);
  return name;
};

const endpointUrl: Parser<string | undefined> = (raw, option) => {
  const text = optionalText(raw, option);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid(
      option,
      `"${text}" is not a URL (e.g. https://ingest-cell1.timestream.us-east-1.amazonaws.com)`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') invalid(option, `"${text}" must be http(s)`);
  return text;
};

/**
 * The region patterns of the AWS partitions (the SDK's partitions table: aws, aws-cn, aws-us-gov,
 * the ISO partitions and the European Sovereign Cloud), with lowercase words for its `\\w+`.
 */
const REGION_PATTERN =
  /^(?:(?:us|eu|ap|sa|ca|me|af|il|mx|cn)-|us-gov-|us-iso[bf]?-|eu-isoe-|eusc-de-)[a-z]+-\d+$/;

const region: Parser<string | undefined> = (raw, option) => {
  const text = optionalText(raw, option);
  if (text !== undefined && !REGION_PATTERN.test(text))
    invalid(option, `"${text}" is not an AWS region (such as us-east-1, eu-west-2, us-gov-west-1)`);
  return text;
};

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Prometheus-style durations: `30s`, `500ms`, `2m`. A number needs its unit, as in Go and
 * Prometheus (a bare `30` could mean seconds or milliseconds); only `0` is the same in every unit.
 */
const duration =
  (minMs: number, maxMs: number): Parser<number> =>
  (raw, option) => {
    const text = raw.trim();
    if (/^\d+(?:\.\d+)?$/.test(text) && Number(text) !== 0)
      invalid(option, `"${raw}" has no unit; add a unit: ${text}s (or ms, m, h)`);
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
    const ms = match === null ? Number.NaN : Number(match[1]) * (DURATION_UNITS[match[2] ?? 's'] ?? 1000);
    if (!(ms >= minMs && ms <= maxMs))
      invalid(option, `expected a duration from ${minMs} ms to ${maxMs / 1000} s such as 30s, got "${raw}"`);
    return Math.round(ms);
  };

const listenAddress: Parser<ListenAddress> = (raw, option) => {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(raw.trim());
  const port = match === null ? Number.NaN : Number(match[3]);
  if (match === null || !(port >= 0 && port <= 65535))
    return invalid(option, `expected host:port or :port, got "${raw}"`);
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? undefined : host, port };
};

const MIB = 1024 * 1024;
/** Prometheus's own receiver's decoded-body limit. */
const DEFAULT_MAX_DECODED_BYTES = 32 * MIB;

/** Every option, in the order the README's table lists them. */
const OPTIONS = {
  defaultDatabase: {
    flag: 'default-database',
    env: 'default_database',
    description: 'Timestream database to write to and read from (required)',
    defaultValue: undefined,
    required: true,
    parse: timestreamName,
  },
  defaultTable: {
    flag: 'default-table',
    env: 'default_table',
    description: 'Timestream table to write to and read from (required)',
    defaultValue: undefined,
    required: true,
    parse: timestreamName,
  },
  region: {
    flag: 'region',
    env: 'region',
    description: 'AWS region of Timestream (default: AWS_REGION, else us-east-1)',
    defaultValue: undefined,
    parse: region,
  },
  auth: {
    flag: 'auth',
    env: 'auth',
    description: 'passthrough (basic auth carries AWS keys) or iam (the connector’s own credentials)',
    defaultValue: 'passthrough',
    parse: oneOf<AuthMode>(['passthrough', 'iam']),
  },
  enableSigv4Auth: {
    flag: 'enable-sigv4-auth',
    env: 'enable_sigv4_auth',
    description: 'the Go connector’s switch: true means auth=iam (callers checked by API Gateway IAM auth)',
    defaultValue: undefined,
    parse: parseBoolean,
  },
  authTokenFile: {
    flag: 'auth-token-file',
    env: 'auth_token_file',
    description: 'iam mode: file holding the bearer token callers must send (or env AUTH_TOKEN)',
    defaultValue: undefined,
    parse: optionalText,
  },
  authTokenSecret: {
    flag: 'auth-token-secret',
    env: 'auth_token_secret',
    description:
      'iam mode: Secrets Manager secret (ARN or name) holding the bearer token, read once at start',
    defaultValue: undefined,
    parse: optionalText,
  },
  iamAuthorizedRoutes: {
    flag: 'iam-authorized-routes',
    env: 'iam_authorized_routes',
    description:
      'Lambda, iam mode: routes API Gateway authorizes with IAM (write, read; comma-separated), whose IAM-authorized requests need no bearer token',
    defaultValue: '',
    parse: (raw, option) => {
      const routes = raw
        .split(',')
        .map((route) => route.trim().toLowerCase())
        .filter((route) => route !== '');
      for (const route of routes)
        if (route !== 'write' && route !== 'read')
          invalid(option, `expected write and/or read (comma-separated), got "${raw}"`);
      return Object.freeze([...new Set(routes)]) as readonly ('write' | 'read')[];
    },
  },
  writeBaseEndpoint: {
    flag: 'write-base-endpoint',
    env: 'write_base_endpoint',
    description: 'Timestream write endpoint (VPC endpoint or emulator); disables endpoint discovery',
    defaultValue: undefined,
    parse: endpointUrl,
  },
  queryBaseEndpoint: {
    flag: 'query-base-endpoint',
    env: 'query_base_endpoint',
    description: 'Timestream query endpoint (VPC endpoint or emulator); disables endpoint discovery',
    defaultValue: undefined,
    parse: endpointUrl,
  },
  maxWriteRetries: {
    flag: 'max-write-retries',
    env: 'max_write_retries',
    description: 'SDK attempts per WriteRecords call before answering 503',
    defaultValue: '10',
    parse: integerIn(1, 100),
  },
  maxReadRetries: {
    flag: 'max-read-retries',
    env: 'max_read_retries',
    description: 'SDK attempts per Query call',
    defaultValue: '3',
    parse: integerIn(1, 100),
  },
  writeConcurrency: {
    flag: 'write-concurrency',
    env: 'write_concurrency',
    description: 'WriteRecords calls in flight at once per request',
    defaultValue: '20',
    parse: integerIn(1, 256),
  },
  failOnLongLabel: {
    flag: 'fail-on-long-label',
    env: 'fail_on_long_label',
    description: 'answer 400 instead of skipping series Timestream cannot store',
    defaultValue: 'false',
    parse: parseBoolean,
  },
  failOnInvalidSampleValue: {
    flag: 'fail-on-invalid-sample-value',
    env: 'fail_on_invalid_sample_value',
    description: 'answer 400 instead of skipping NaN/±Inf samples (staleness markers never fail a request)',
    defaultValue: 'false',
    parse: parseBoolean,
  },
  storeStalenessMarkers: {
    flag: 'store-staleness-markers',
    env: 'store_staleness_markers',
    description:
      'store staleness markers as records with a __stale__ dimension, so remote read ends series where Prometheus does',
    defaultValue: 'false',
    parse: parseBoolean,
  },
  maxReadQueries: {
    flag: 'max-read-queries',
    env: 'max_read_queries',
    description:
      'most queries one remote-read request may hold (more answers 400); Prometheus sends one, each is a Timestream query',
    defaultValue: '20',
    parse: integerIn(1, 1000),
  },
  maxReadSamples: {
    flag: 'max-read-samples',
    env: 'max_read_samples',
    description: 'most samples one remote-read request may return (more answers 400)',
    defaultValue: '1000000',
    parse: integerIn(1000, 1_000_000_000),
  },
  maxReadResponseBytes: {
    flag: 'max-read-response-bytes',
    env: 'max_read_response_bytes',
    description:
      'largest remote-read response body (more answers 400); the default fits Lambda’s 6 MB once base64-encoded',
    defaultValue: String(4 * MIB),
    parse: integerIn(64 * 1024, 1024 * MIB),
  },
  dimensionCacheTtl: {
    flag: 'read-dimension-cache-ttl',
    env: 'read_dimension_cache_ttl',
    description: 'how long the read path trusts its list of the table’s dimension columns (DESCRIBE)',
    defaultValue: '1m',
    parse: duration(0, 3_600_000),
  },
  maxBodyBytes: {
    flag: 'max-body-bytes',
    env: 'max_body_bytes',
    description: 'largest request body accepted as sent',
    defaultValue: String(10 * MIB),
    parse: integerIn(1024, 1024 * MIB),
  },
  maxDecodedBytes: {
    flag: 'max-decoded-bytes',
    env: 'max_decoded_bytes',
    description: 'largest request body accepted once decompressed',
    defaultValue: String(DEFAULT_MAX_DECODED_BYTES),
    parse: integerIn(1024, 1024 * MIB),
  },
  requestTimeout: {
    flag: 'web.request-timeout',
    env: undefined,
    description: 'time allowed for one request, receiving it included (Lambda uses its own deadline)',
    defaultValue: '30s',
    parse: duration(1000, 600_000),
  },
  credentialCacheSize: {
    flag: 'credential-cache-size',
    env: 'credential_cache_size',
    description: 'passthrough mode: SDK clients kept for distinct callers',
    defaultValue: '64',
    parse: integerIn(1, 10_000),
  },
  listenAddress: {
    flag: 'web.listen-address',
    env: undefined,
    description: 'address to listen on',
    defaultValue: ':9201',
    parse: listenAddress,
  },
  allowUnauthenticated: {
    flag: 'allow-unauthenticated',
    env: undefined,
    description:
      'iam mode without a bearer token: listen on a non-loopback address anyway (callers checked in front)',
    defaultValue: 'false',
    parse: parseBoolean,
  },
  telemetryPath: {
    flag: 'web.telemetry-path',
    env: undefined,
    description: 'path of the Prometheus metrics endpoint',
    defaultValue: '/metrics',
    parse: (raw, option) => {
      if (!raw.startsWith('/')) return invalid(option, `must start with /, got "${raw}"`);
      if (SERVER_PATHS.includes(raw))
        invalid(
          option,
          `"${raw}" is one of the server's own routes (${SERVER_PATHS.join(', ')}); choose another path`,
        );
      return raw;
    },
  },
  tlsCertificate: {
    flag: 'tls-certificate',
    env: undefined,
    description: 'PEM certificate file; serves HTTPS (TLS 1.2+) with --tls-key',
    defaultValue: undefined,
    parse: optionalText,
  },
  tlsKey: {
    flag: 'tls-key',
    env: undefined,
    description: 'PEM private key file for --tls-certificate',
    defaultValue: undefined,
    parse: optionalText,
  },
  logLevel: {
    flag: 'log.level',
    env: 'log_level',
    description: 'debug, info, warn or error',
    defaultValue: 'info',
    parse: oneOf<LogLevel>(['debug', 'info', 'warn', 'error']),
  },
  logFormat: {
    flag: 'log.format',
    env: 'log_format',
    description: 'json or logfmt',
    defaultValue: 'json',
    parse: oneOf<LogFormat>(['json', 'logfmt']),
  },
  enableLogging: {
    flag: 'enable-logging',
    env: 'enable_logging',
    description: 'false silences all logs',
    defaultValue: 'true',
    parse: parseBoolean,
  },
} as const satisfies Record<string, OptionSpec<unknown>>;

type OptionKey = keyof typeof OPTIONS;
type RawValues = Partial<Record<OptionKey, string>>;

export const CONFIG_OPTIONS: Readonly<Record<OptionKey, OptionSpec<unknown>>> = OPTIONS;

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
 * Heap a request takes per decoded byte, worst case: a body of one-sample series with two short
 * labels took 23 bytes of heap per decoded byte once decoded and translated (33 MB → 723 MiB).
 */
const WORST_HEAP_PER_DECODED_BYTE = 23;

/**
 * The default decoded-body limit of a Lambda function: the 32 MiB default, lowered so that one
 * worst-case request takes at most half the function's memory (a 512 MB function: 11.1 MiB). A
 * larger request would end the container out of memory, and Prometheus would resend it forever.
 */
const lambdaDecodedBytes = (memoryMb: string | undefined): string | undefined => {
  const megabytes = Number(memoryMb);
  if (!Number.isSafeInteger(megabytes) || megabytes <= 0) return undefined;
  return String(
    Math.min(DEFAULT_MAX_DECODED_BYTES, Math.floor((megabytes * MIB) / 2 / WORST_HEAP_PER_DECODED_BYTE)),
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
