/**
 * The connector's options, one table: each option's flag, Lambda environment variable, default and
 * parser, and the names and rules other packages share with it (Timestream's name pattern, the log
 * levels, the default destination). Side-effect free and light on imports (node and the codec, no
 * AWS SDK), so the CDK construct can import it (`@prometheus-timestream/connector/options`) to
 * spell the function's environment and check its props by the same rules, without loading the
 * connector's runtime at synth time. Reading a configuration from these is config.ts's job.
 */
import { DEFAULT_MAX_DECODED_BYTES } from '@prometheus-timestream/codec';
import { InvalidConfigError } from './errors.js';
import { SERVER_PATHS } from './paths.js';

/** The connector's log levels, least severe first (the logger ranks them by this order). */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'logfmt'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
/**
 * `passthrough`: basic-auth username and password are the caller's AWS access key id and secret
 * (the Go connector's behaviour). `iam`: the connector's own credentials; callers are checked
 * upstream (API Gateway IAM authorization) or by a bearer token.
 */
export type AuthMode = 'passthrough' | 'iam';
const AUTH_MODES: readonly AuthMode[] = ['passthrough', 'iam'];

/** Timestream's rule for database and table names (the stack's parameters take its `.source`). */
export const TIMESTREAM_NAME_PATTERN = /^[a-zA-Z0-9_.-]{3,256}$/;

/**
 * The destination the one-click template deploys to and `--emulator` creates; the connector
 * itself has none by default (`--default-database` and `--default-table` are required).
 */
export const DEFAULT_DATABASE = 'PrometheusDatabase';
export const DEFAULT_TABLE = 'PrometheusMetricsTable';

export interface ListenAddress {
  /** Undefined listens on every interface, as Go's `:9201` does. */
  readonly host: string | undefined;
  readonly port: number;
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

export interface OptionSpec<T> extends FlagSpec<T> {
  /** The Lambda environment variable; undefined for options that only make sense standalone. */
  readonly env: string | undefined;
  readonly description: string;
  /** The default as the user would type it; undefined for options without one. */
  readonly defaultValue: string | undefined;
  readonly required?: true;
}

/** Throws the InvalidConfigError of `option`, for parsers and the checks across options. */
export const invalid = (option: string, message: string): never => {
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

/** `auto` (undefined: the reader of the configuration works the value out), else `parse`'s value. */
const autoOr =
  <T>(parse: Parser<T>): Parser<T | undefined> =>
  (raw, option) =>
    raw.trim().toLowerCase() === 'auto' ? undefined : parse(raw, option);

const optionalText: Parser<string | undefined> = (raw) => (raw.trim() === '' ? undefined : raw.trim());

const requiredText: Parser<string> = (raw, option) =>
  raw.trim() === '' ? invalid(option, 'is required (the Timestream destination)') : raw.trim();

const timestreamName: Parser<string> = (raw, option) => {
  const name = requiredText(raw, option);
  if (!TIMESTREAM_NAME_PATTERN.test(name))
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

export const region: Parser<string | undefined> = (raw, option) => {
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

export const MIB = 1024 * 1024;

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
    parse: oneOf(AUTH_MODES),
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
  maxDecodedBytesInFlight: {
    flag: 'max-decoded-bytes-in-flight',
    // Lambda gives each container one request at a time, and one request alone is always served.
    env: undefined,
    description:
      'decoded bytes all requests in flight may hold together; a request beyond them gets 503 with Retry-After (one alone is always served). auto: a quarter of the V8 heap limit over the heap one decoded byte takes',
    defaultValue: 'auto',
    parse: autoOr(integerIn(1024, 64 * 1024 * MIB, 'or auto, sized to the heap')),
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
  requestTimeout: {
    flag: 'web.request-timeout',
    env: undefined,
    description: 'time allowed for one request, receiving it included (Lambda uses its own deadline)',
    defaultValue: '30s',
    parse: duration(1000, 600_000),
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
    parse: oneOf(LOG_LEVELS),
  },
  logFormat: {
    flag: 'log.format',
    env: 'log_format',
    description: 'json or logfmt',
    defaultValue: 'json',
    parse: oneOf(LOG_FORMATS),
  },
  enableLogging: {
    flag: 'enable-logging',
    env: 'enable_logging',
    description: 'false silences all logs',
    defaultValue: 'true',
    parse: parseBoolean,
  },
} as const satisfies Record<string, OptionSpec<unknown>>;

/**
 * Every option, in the order the README's table lists them: its flag, Lambda environment variable
 * (literal, so the CDK construct can key the function's environment by it), default and parser.
 */
export const CONFIG_OPTIONS = OPTIONS;
export type OptionKey = keyof typeof OPTIONS;
