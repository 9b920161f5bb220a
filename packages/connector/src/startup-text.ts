/**
 * What the CLI prints once it listens (stdout): the prometheus.yml for the Prometheus that writes,
 * one for a Prometheus that only reads, and, with the emulator, how to point the AWS CLI at it;
 * and the one line it prints when it cannot listen. Pure functions, so tests check the text the
 * user sees without starting anything.
 *
 * Each snippet is a block of lines starting with a `# ` heading and ending with an empty line; its
 * YAML (the lines after the heading comments) is itself a complete prometheus.yml (every other
 * key has a default), so it can be appended to an existing file or checked alone by promtool.
 */
import { quoteIdentifier } from './read-query.js';

/** How the Prometheus that uses a snippet authenticates to the connector. */
export type SnippetAuth =
  /** Basic auth carries an AWS key pair (passthrough mode). */
  | {
      readonly mode: 'passthrough';
      readonly username: string;
      readonly password: string;
      /** Whether the pair is the emulator's local one, which it accepts as is. */
      readonly local: boolean;
    }
  /** `iam` mode: a bearer token from a file, or nothing when the connector requires no token. */
  | { readonly mode: 'iam'; readonly tokenFile: string | undefined; readonly tokenRequired: boolean };

export interface SnippetOptions {
  /** The connector's base URL as the Prometheus reaches it, without a trailing slash. */
  readonly url: string;
  readonly auth: SnippetAuth;
}

/** Where the reader is told to put the token when the connector did not read it from a file. */
export const TOKEN_FILE_PLACEHOLDER = '/etc/prometheus/timestream-connector.token';

const authLines = (auth: SnippetAuth, commented: boolean): string[] => {
  if (auth.mode === 'iam') {
    if (!auth.tokenRequired) return [];
    const file = auth.tokenFile ?? TOKEN_FILE_PLACEHOLDER;
    return [
      '    authorization:',
      '      type: Bearer',
      commented
        ? `      credentials_file: ${file} # ${auth.tokenFile === undefined ? 'put the connector’s bearer token in this file' : 'the connector’s --auth-token-file'}`
        : `      credentials_file: ${file}`,
    ];
  }
  if (!commented)
    return ['    basic_auth:', `      username: ${auth.username}`, `      password: ${auth.password}`];
  return [
    '    basic_auth:',
    `      username: ${auth.username} # AWS access key id${auth.local ? ' (the emulator accepts any)' : ''}`,
    `      password: ${auth.password} # AWS secret access key[:session token]`,
  ];
};

/**
 * The prometheus.yml of the Prometheus that writes: remote_write, and remote_read without
 * `read_recent`, so its queries read what its own TSDB still holds locally (fast, and not metered
 * by Timestream) and only older ranges from the connector.
 */
export const writerSnippet = ({ url, auth }: SnippetOptions): string =>
  [
    '# prometheus.yml of the Prometheus that writes (Prometheus 2.x or 3.x; add these keys):',
    '# it queries ranges its own TSDB still holds locally, older ones through remote_read.',
    'remote_write:',
    `  - url: ${url}/write`,
    ...authLines(auth, true),
    '    queue_config:',
    '      retry_on_http_429: true # API Gateway’s throttling answers 429: retry, do not drop',
    'remote_read:',
    `  - url: ${url}/read`,
    ...authLines(auth, false),
    '',
  ].join('\n');

/**
 * The prometheus.yml of a Prometheus that only reads (a second one, for dashboards): it holds no
 * data of its own, so `read_recent: true` reads every range from the connector.
 */
export const readerSnippet = ({ url, auth }: SnippetOptions): string =>
  [
    '# prometheus.yml of a Prometheus that only reads (no remote_write; add these keys):',
    '# it holds no data of its own, so every range is read from Timestream.',
    'remote_read:',
    `  - url: ${url}/read`,
    '    read_recent: true',
    ...authLines(auth, true),
    '',
  ].join('\n');

/** A Timestream identifier as SQL writes it: a plain word as is (easier to read and retype), else quoted. */
const sqlName = (name: string): string =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : quoteIdentifier(name);

export interface AwsCliOptions {
  readonly database: string;
  readonly table: string;
  readonly region: string;
  /** The emulator's endpoint and key pair; undefined against real AWS. */
  readonly emulator:
    | { readonly endpoint: string; readonly accessKeyId: string; readonly secretAccessKey: string }
    | undefined;
}

/** How to check with the AWS CLI that samples arrive: a `SELECT count()` of the table. */
export const awsCliText = ({ database, table, region, emulator }: AwsCliOptions): string => {
  const sql = `SELECT count() FROM ${sqlName(database)}.${sqlName(table)}`;
  // Double quotes in the SQL (quoted names) go inside single quotes for the shell.
  const query = sql.includes('"') ? `'${sql}'` : `"${sql}"`;
  if (emulator === undefined)
    return [
      `# Check that samples arrive with the AWS CLI (your AWS credentials; 0 before Prometheus writes):`,
      `aws timestream-query query --region ${region} --query-string ${query}`,
      '',
    ].join('\n');
  return [
    `# The Timestream emulator listens on ${emulator.endpoint} (database ${database}, table ${table}).`,
    '# Check that samples arrive with the AWS CLI (0 before Prometheus writes):',
    `export AWS_ACCESS_KEY_ID=${emulator.accessKeyId} AWS_SECRET_ACCESS_KEY=${emulator.secretAccessKey} AWS_DEFAULT_REGION=${region}`,
    `aws timestream-query query --endpoint-url ${emulator.endpoint} --query-string ${query}`,
    '',
  ].join('\n');
};

/**
 * The URL a Prometheus on this machine uses for a server listening on `url`: a server on every
 * interface (`0.0.0.0`, `::`) is reached on 127.0.0.1.
 */
export const reachableUrl = (url: string): { readonly url: string; readonly everyInterface: boolean } => {
  const parsed = new URL(url);
  const everyInterface = parsed.hostname === '0.0.0.0' || parsed.hostname === '[::]';
  if (everyInterface) parsed.hostname = '127.0.0.1';
  return { url: parsed.origin, everyInterface };
};

/** Node's listen error codes, as the one line says them. */
const LISTEN_REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name not resolved',
};

/**
 * The one line for a failure to listen on `address`, naming the option that sets it; undefined
 * when `error` is not a listen failure.
 *
 * @example
 * ```ts
 * listenFailure(error, '127.0.0.1:9201', '--web.listen-address');
 * // 'cannot listen on 127.0.0.1:9201: address already in use (EADDRINUSE); choose another --web.listen-address'
 * ```
 */
export const listenFailure = (error: unknown, address: string, option: string): string | undefined => {
  const { code, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  if (typeof code !== 'string' || (syscall !== 'listen' && syscall !== 'bind' && syscall !== 'getaddrinfo'))
    return undefined;
  return `cannot listen on ${address}: ${LISTEN_REASONS[code] ?? (error as Error).message} (${code}); choose another ${option}`;
};
