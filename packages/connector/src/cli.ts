/**
 * The `timestream-prometheus-connector` command: the standalone server, configured by the Go
 * connector's flags. `--emulator` starts the embedded Timestream emulator first (loaded lazily,
 * so nothing of it reaches the Lambda bundle, and only when installed: it is an optional peer
 * dependency) and prints the Prometheus configuration to use.
 */
import { createClientPool } from './clients.js';
import { type ConnectorConfig, readFlags, usage } from './config.js';
import { EmulatorNotInstalledError, loadTimestreamLocal } from './emulator.js';
import { ConnectorError } from './errors.js';
import { createConnector } from './handler.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { resolveAuthTokenSecret } from './secrets.js';
import { startServer } from './server.js';

const HELP = `Usage: timestream-prometheus-connector [options]

Receives Prometheus remote_write (and remote_read) requests and stores them in Amazon Timestream.

Options (the Go connector's names):
${usage()}

Local development:
  --emulator                       start the embedded Timestream emulator (database and table
                                   created) and point the connector at it; listens on
                                   127.0.0.1:9201 unless --web.listen-address is given
  --emulator-data-dir DIR          keep the emulator's data in DIR (default: in memory)
  --help                           show this text`;

/** Basic-auth credentials for the embedded emulator, which accepts any key. */
const LOCAL_ACCESS_KEY_ID = 'AKIDLOCALEXAMPLE';
const LOCAL_SECRET = 'local-secret';
const LOCAL_DEFAULTS = ['--default-database=PrometheusDatabase', '--default-table=PrometheusMetricsTable'];

export const prometheusSnippet = (url: string): string => `# Add to prometheus.yml (Prometheus 2.x or 3.x):
remote_write:
  - url: ${url}/write
    basic_auth:
      username: ${LOCAL_ACCESS_KEY_ID}   # AWS access key id (the emulator accepts any)
      password: ${LOCAL_SECRET}       # AWS secret access key[:session token]
    queue_config:
      retry_on_http_429: true
remote_read:
  - url: ${url}/read
    read_recent: true   # also read ranges the local TSDB still holds (see README)
    basic_auth:
      username: ${LOCAL_ACCESS_KEY_ID}
      password: ${LOCAL_SECRET}
`;

interface CliArguments {
  readonly flags: string[];
  readonly emulator: boolean;
  readonly emulatorDataDir: string | undefined;
  readonly help: boolean;
}

const splitArguments = (argv: readonly string[]): CliArguments => {
  const flags: string[] = [];
  let emulator = false;
  let emulatorDataDir: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i] as string;
    if (argument === '--emulator') emulator = true;
    else if (argument === '--help' || argument === '-h') help = true;
    else if (argument.startsWith('--emulator-data-dir='))
      emulatorDataDir = argument.slice('--emulator-data-dir='.length);
    else if (argument === '--emulator-data-dir') emulatorDataDir = argv[++i];
    else flags.push(argument);
  }
  return { flags, emulator, emulatorDataDir, help };
};

const hasFlag = (flags: readonly string[], name: string): boolean =>
  flags.some((flag) => flag === `--${name}` || flag.startsWith(`--${name}=`));

const main = async (): Promise<void> => {
  const cli = splitArguments(process.argv.slice(2));
  if (cli.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  let stopEmulator: (() => Promise<void>) | undefined;
  let flags = cli.flags;
  if (cli.emulator) {
    flags = [
      ...(hasFlag(flags, 'default-database') ? [] : [LOCAL_DEFAULTS[0] as string]),
      ...(hasFlag(flags, 'default-table') ? [] : [LOCAL_DEFAULTS[1] as string]),
      ...(hasFlag(flags, 'web.listen-address') ? [] : ['--web.listen-address=127.0.0.1:9201']),
      ...flags,
    ];
  }
  let config: ConnectorConfig = await resolveAuthTokenSecret(readFlags(flags, process.env));
  if (cli.emulator) {
    const { startTimestreamLocal } = await loadTimestreamLocal();
    const emulator = await startTimestreamLocal({
      port: 0,
      create: [`${config.defaultDatabase}.${config.defaultTable}`],
      ...(cli.emulatorDataDir === undefined ? {} : { dataDir: cli.emulatorDataDir }),
    });
    stopEmulator = emulator.stop;
    config = Object.freeze({
      ...config,
      writeBaseEndpoint: emulator.endpoint,
      queryBaseEndpoint: emulator.endpoint,
    });
    process.stderr.write(
      `timestream-local emulator on ${emulator.endpoint} (database ${config.defaultDatabase}, table ${config.defaultTable})\n`,
    );
  }
  const logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    enabled: config.enableLogging,
  });
  const metrics = createMetrics();
  const clients = createClientPool(
    config,
    cli.emulator
      ? { ownCredentials: { accessKeyId: LOCAL_ACCESS_KEY_ID, secretAccessKey: LOCAL_SECRET } }
      : {},
  );
  const server = await startServer(config, {
    connector: createConnector(config, { clients, logger, metrics }),
    logger,
    metrics,
  });
  if (cli.emulator) process.stdout.write(prometheusSnippet(server.url));

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    await server.close();
    clients.destroy();
    await stopEmulator?.();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
};

main().catch((error: unknown) => {
  const message =
    error instanceof ConnectorError || error instanceof EmulatorNotInstalledError
      ? error.message
      : error instanceof Error
        ? error.stack
        : String(error);
  process.stderr.write(`timestream-prometheus-connector: ${message}\n`);
  if (error instanceof ConnectorError) process.stderr.write('Run with --help for the options.\n');
  process.exitCode = 1;
});
