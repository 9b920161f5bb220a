/**
 * The `timestream-prometheus-connector` command: the standalone server, configured by the Go
 * connector's flags. `--emulator` starts the embedded Timestream emulator first (loaded lazily,
 * so nothing of it reaches the Lambda bundle, and only when installed: it is an optional peer
 * dependency). Once listening it prints (stdout) the Prometheus configuration for its auth mode,
 * always: the snippet is built from the running configuration, so it is the one most likely to be
 * right, and stdout stays apart from the logs (stderr).
 *
 * A failed start always ends the process, non-zero, after stopping what it had started (an
 * emulator left running would keep a supervisor from ever seeing the failure).
 */
import { resolve } from 'node:path';
import { DEFAULT_EMULATOR_PORT, splitArguments } from './cli-options.js';
import { createClientPool } from './clients.js';
import {
  type ConnectorConfig,
  type FlagValue,
  formatListenAddress,
  isLoopbackHost,
  readFlagValues,
  usage,
} from './config.js';
import { EmulatorNotInstalledError, loadTimestreamLocal } from './emulator.js';
import { ConnectorError, InvalidConfigError, StartupError } from './errors.js';
import { createConnector } from './handler.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { CONFIG_OPTIONS, DEFAULT_DATABASE, DEFAULT_TABLE } from './options.js';
import { resolveAuthTokenSecret } from './secrets.js';
import { startServer } from './server.js';
import {
  awsCliText,
  listenFailure,
  reachableUrl,
  readerSnippet,
  type SnippetAuth,
  writerSnippet,
} from './startup-text.js';

const HELP = `Usage: timestream-prometheus-connector [options]
       npm start -- [options]      (from a clone: npm start runs it with --emulator; options go after --)

Receives Prometheus remote_write (and remote_read) requests and stores them in Amazon Timestream.
Once listening it prints the prometheus.yml to use, for the auth mode it runs with.

Options (the Go connector's names):
${usage()}

Local development:
  --emulator                       start the embedded Timestream emulator (database and table
                                   created) and point the connector at it; listens on
                                   127.0.0.1:9201 unless --web.listen-address is given
  --emulator-port N                the emulator's port on 127.0.0.1, for the AWS CLI's
                                   --endpoint-url (default ${DEFAULT_EMULATOR_PORT}; 0 picks a free port)
  --emulator-data-dir DIR          keep the emulator's data in DIR (default: in memory)
  --help                           show this text

Durations take a unit (ms, s, m, h), as Prometheus's do: 30s, 500ms, 1m; 0 needs none.`;

/** Basic-auth credentials for the embedded emulator, which accepts any key. */
const LOCAL_ACCESS_KEY_ID = 'AKIDLOCALEXAMPLE';
const LOCAL_SECRET = 'local-secret';
/** What `--emulator` sets unless the command line does. */
const LOCAL_DEFAULTS: readonly FlagValue[] = [
  { flag: CONFIG_OPTIONS.defaultDatabase.flag, text: DEFAULT_DATABASE },
  { flag: CONFIG_OPTIONS.defaultTable.flag, text: DEFAULT_TABLE },
  { flag: CONFIG_OPTIONS.listenAddress.flag, text: '127.0.0.1:9201' },
];
const EMULATOR_HOST = '127.0.0.1';
/** How long a failed start waits for what it started to stop before it exits anyway. */
const CLEANUP_MS = 5_000;

type Cleanup = () => Promise<void> | void;

/** Runs `cleanups` newest first, each failure ignored, for at most CLEANUP_MS in all. */
const runCleanups = async (cleanups: readonly Cleanup[]): Promise<void> => {
  const all = (async () => {
    for (const cleanup of [...cleanups].reverse())
      await Promise.resolve()
        .then(cleanup)
        .catch(() => {});
  })();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise<void>((done) => (timer = setTimeout(done, CLEANUP_MS)))]);
  clearTimeout(timer);
};

const snippetAuth = (config: ConnectorConfig, emulator: boolean): SnippetAuth =>
  config.auth === 'iam'
    ? {
        mode: 'iam',
        tokenRequired: config.authToken !== undefined,
        tokenFile: config.authTokenFile === undefined ? undefined : resolve(config.authTokenFile),
      }
    : emulator
      ? { mode: 'passthrough', username: LOCAL_ACCESS_KEY_ID, password: LOCAL_SECRET, local: true }
      : {
          mode: 'passthrough',
          username: '<AWS_ACCESS_KEY_ID>',
          password: '<AWS_SECRET_ACCESS_KEY>',
          local: false,
        };

const start = async (cleanups: Cleanup[]): Promise<void> => {
  const cli = splitArguments(process.argv.slice(2));
  if (cli.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  // A value given later replaces an earlier one, so the defaults go first.
  const flags = cli.emulator ? [...LOCAL_DEFAULTS, ...cli.flags] : cli.flags;
  let config: ConnectorConfig = await resolveAuthTokenSecret(readFlagValues(flags, process.env));
  let emulatorEndpoint: string | undefined;
  let stopEmulator: Cleanup | undefined;
  if (cli.emulator) {
    const { startTimestreamLocal } = await loadTimestreamLocal().catch((error: unknown) => {
      throw error instanceof EmulatorNotInstalledError
        ? new StartupError(error.message, { cause: error })
        : error;
    });
    const emulator = await startTimestreamLocal({
      host: EMULATOR_HOST,
      port: cli.emulatorPort,
      create: [`${config.defaultDatabase}.${config.defaultTable}`],
      ...(cli.emulatorDataDir === undefined ? {} : { dataDir: cli.emulatorDataDir }),
    }).catch((error: unknown) => {
      const line =
        listenFailure(
          error,
          `${EMULATOR_HOST}:${cli.emulatorPort}`,
          '--emulator-port (0 picks a free port)',
        ) ??
        `the emulator did not start${cli.emulatorDataDir === undefined ? '' : ` with --emulator-data-dir ${cli.emulatorDataDir}`}: ${(error as Error).message}`;
      throw new StartupError(line, { cause: error });
    });
    cleanups.push(emulator.stop);
    stopEmulator = emulator.stop;
    emulatorEndpoint = emulator.endpoint;
    config = Object.freeze({
      ...config,
      writeBaseEndpoint: emulator.endpoint,
      queryBaseEndpoint: emulator.endpoint,
    });
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
  cleanups.push(() => clients.destroy());
  const address = formatListenAddress(config.listenAddress);
  const server = await startServer(config, {
    connector: createConnector(config, { clients, logger, metrics }),
    logger,
    metrics,
  }).catch((error: unknown) => {
    const line = listenFailure(error, address, '--web.listen-address');
    throw line === undefined ? error : new StartupError(line, { cause: error });
  });
  cleanups.push(() => server.close(1_000));
  if (config.auth === 'iam' && config.authToken === undefined)
    // readFlags refused this off loopback unless --allow-unauthenticated: say it on every start.
    logger.warn(
      'iam mode without a bearer token: every caller that can reach the address may write and read',
      {
        address,
        loopback: isLoopbackHost(config.listenAddress.host),
      },
    );

  const { url, everyInterface } = reachableUrl(server.url);
  const snippet = { url, auth: snippetAuth(config, cli.emulator) };
  process.stdout.write(
    [
      ...(everyInterface
        ? [
            `# Listening on every interface: from another machine, use this machine's address for ${new URL(url).hostname}.\n`,
          ]
        : []),
      writerSnippet(snippet),
      readerSnippet(snippet),
      awsCliText({
        database: config.defaultDatabase,
        table: config.defaultTable,
        region: config.region,
        emulator:
          emulatorEndpoint === undefined
            ? undefined
            : { endpoint: emulatorEndpoint, accessKeyId: LOCAL_ACCESS_KEY_ID, secretAccessKey: LOCAL_SECRET },
      }),
    ].join('\n'),
  );

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

const cleanups: Cleanup[] = [];
start(cleanups).catch(async (error: unknown) => {
  await runCleanups(cleanups);
  // Start-up errors (the configuration, a port, the emulator) are one line; anything else is a bug.
  const message =
    error instanceof ConnectorError ? error.message : error instanceof Error ? error.stack : String(error);
  process.stderr.write(`timestream-prometheus-connector: ${message}\n`);
  if (error instanceof InvalidConfigError) process.stderr.write('Run with --help for the options.\n');
  // Nothing that failed to start may keep the process alive (a stuck stop, a stray handle).
  process.exit(1);
});
