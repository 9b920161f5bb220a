/**
 * The CLI's own options, beyond the connector's (config.ts): `--emulator` and its settings, and
 * `--help`, which wins over everything else. The command line is split once, with the connector's options and these together
 * (config.ts's `splitFlags`, options.ts's value parsers, so spellings and messages are the same for all);
 * the settings are checked here, so a setting only the emulator reads is never silently ignored
 * while the connector runs against real AWS.
 */
import { CONNECTOR_FLAGS, type FlagValue, splitFlags } from './config.js';
import { InvalidConfigError } from './errors.js';
import { type FlagSpec, integerIn, type Parser, parseBoolean } from './options.js';

/** The embedded emulator's port unless `--emulator-port` is given: next to the connector's 9201. */
export const DEFAULT_EMULATOR_PORT = 9202;

export interface CliArguments {
  /** The connector's options, in order, for `readFlagValues`. */
  readonly flags: readonly FlagValue[];
  readonly emulator: boolean;
  /** Port of the embedded emulator on 127.0.0.1; 0 picks a free one. */
  readonly emulatorPort: number;
  readonly emulatorDataDir: string | undefined;
  readonly help: boolean;
}

/** A path, which an empty `--emulator-data-dir=` does not give. */
const directory: Parser<string> = (raw, option) => {
  if (raw.trim() === '') throw new InvalidConfigError(option, 'needs a value');
  return raw;
};

/** The CLI's own options (`--help` aside), in the order the README's table lists them. */
export const CLI_OPTIONS = {
  emulator: { flag: 'emulator', parse: parseBoolean },
  emulatorPort: { flag: 'emulator-port', parse: integerIn(0, 65535, '0 picks a free port') },
  emulatorDataDir: { flag: 'emulator-data-dir', parse: directory },
} as const satisfies Record<string, FlagSpec<unknown>>;

/** The emulator's settings, each refused without `--emulator`. */
const EMULATOR_SETTINGS: readonly FlagSpec<unknown>[] = [
  CLI_OPTIONS.emulatorPort,
  CLI_OPTIONS.emulatorDataDir,
];

const CLI_FLAGS = new Set<string>(Object.values(CLI_OPTIONS).map((spec) => spec.flag));

/**
 * `--help` (or `-h`, or `--help=` anything) anywhere asks for the help text, before anything is
 * checked: next to an option that would be refused (`--help --emulator-port`) it is still what
 * someone unsure of the options typed.
 */
const asksForHelp = (argument: string): boolean =>
  argument === '-h' || argument === '--help' || argument.startsWith('--help=');

/**
 * Splits the command line into the CLI's own options and the connector's flags.
 *
 * @throws InvalidConfigError for an argument that is no known option, a value left out or invalid,
 *   or an emulator setting without `--emulator`; never when `--help` is given
 * @example
 * ```ts
 * const cli = splitArguments(process.argv.slice(2)); // ['--emulator', '--emulator-port=0', '--log.level=warn']
 * ```
 */
export const splitArguments = (argv: readonly string[]): CliArguments => {
  if (argv.some(asksForHelp))
    return {
      flags: [],
      emulator: false,
      emulatorPort: DEFAULT_EMULATOR_PORT,
      emulatorDataDir: undefined,
      help: true,
    };
  const values = splitFlags(argv, [...CONNECTOR_FLAGS, ...Object.values(CLI_OPTIONS)]);
  const last = (spec: FlagSpec<unknown>): FlagValue | undefined =>
    values.findLast((value) => value.flag === spec.flag);
  const read = <T>(spec: FlagSpec<T>): T | undefined => {
    const value = last(spec);
    return value === undefined ? undefined : spec.parse(value.text, `--${spec.flag}`);
  };
  const emulator = read(CLI_OPTIONS.emulator) ?? false;
  if (!emulator) {
    const setting = EMULATOR_SETTINGS.find((spec) => last(spec) !== undefined);
    if (setting !== undefined)
      throw new InvalidConfigError(
        `--${setting.flag}`,
        'only applies with --emulator; without it the connector runs against real AWS (add --emulator, or drop this option)',
      );
  }
  return {
    flags: values.filter((value) => !CLI_FLAGS.has(value.flag)),
    emulator,
    emulatorPort: read(CLI_OPTIONS.emulatorPort) ?? DEFAULT_EMULATOR_PORT,
    emulatorDataDir: read(CLI_OPTIONS.emulatorDataDir),
    help: false,
  };
};
