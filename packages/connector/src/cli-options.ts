/**
 * The CLI's own options, beyond the connector's (config.ts): `--emulator` and its settings. They
 * are split off before the connector's flags are read, and checked here, so a setting that only
 * the emulator reads is never silently ignored while the connector runs against real AWS.
 */
import { InvalidConfigError } from './errors.js';

/** The embedded emulator's port unless `--emulator-port` is given: next to the connector's 9201. */
export const DEFAULT_EMULATOR_PORT = 9202;

export interface CliArguments {
  /** The connector's flags, for `readFlags`. */
  readonly flags: readonly string[];
  readonly emulator: boolean;
  /** Port of the embedded emulator on 127.0.0.1; 0 picks a free one. */
  readonly emulatorPort: number;
  readonly emulatorDataDir: string | undefined;
  readonly help: boolean;
}

/** The emulator's settings, each refused without `--emulator`. */
const EMULATOR_SETTINGS = ['emulator-port', 'emulator-data-dir'] as const;
type EmulatorSetting = (typeof EMULATOR_SETTINGS)[number];

const parsePort = (raw: string): number => {
  const port = /^\d{1,5}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!(port >= 0 && port <= 65535))
    throw new InvalidConfigError(
      '--emulator-port',
      `expected a port from 0 to 65535 (0 picks a free one), got "${raw}"`,
    );
  return port;
};

/**
 * Splits the command line into the CLI's own options and the connector's flags.
 *
 * @throws InvalidConfigError for an emulator setting without `--emulator`, or without a value
 * @example
 * ```ts
 * const cli = splitArguments(process.argv.slice(2)); // ['--emulator', '--emulator-port=0', '--log.level=warn']
 * ```
 */
export const splitArguments = (argv: readonly string[]): CliArguments => {
  const flags: string[] = [];
  const settings = new Map<EmulatorSetting, string>();
  let emulator = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i] as string;
    if (argument === '--emulator') {
      emulator = true;
      continue;
    }
    if (argument === '--help' || argument === '-h') {
      help = true;
      continue;
    }
    const setting = EMULATOR_SETTINGS.find(
      (name) => argument === `--${name}` || argument.startsWith(`--${name}=`),
    );
    if (setting === undefined) {
      flags.push(argument);
      continue;
    }
    let value: string | undefined;
    if (argument.includes('=')) value = argument.slice(argument.indexOf('=') + 1);
    else {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      }
    }
    if (value === undefined || value.trim() === '')
      throw new InvalidConfigError(`--${setting}`, 'needs a value');
    settings.set(setting, value);
  }
  if (!emulator && !help) {
    const [first] = settings.keys();
    if (first !== undefined)
      throw new InvalidConfigError(
        `--${first}`,
        'only applies with --emulator; without it the connector runs against real AWS (add --emulator, or drop this option)',
      );
  }
  const port = settings.get('emulator-port');
  return {
    flags,
    emulator,
    emulatorPort: port === undefined ? DEFAULT_EMULATOR_PORT : parsePort(port),
    emulatorDataDir: settings.get('emulator-data-dir'),
    help,
  };
};

/**
 * The CLI could not start (a port it cannot listen on, an emulator that did not start): the
 * message is the one line printed, without a stack trace.
 */
export class StartupError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StartupError';
  }
}
