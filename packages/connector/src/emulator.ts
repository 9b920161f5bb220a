/**
 * Loads the embedded Timestream emulator for the CLI's `--emulator`. The emulator
 * (`@prometheus-timestream/timestream-local`, which brings DuckDB) is an optional peer dependency:
 * whoever installs the connector or the CDK construct does not get it, so it is imported only
 * here, lazily, and its absence is reported as what to install.
 */
import type * as TimestreamLocal from '@prometheus-timestream/timestream-local';

export const EMULATOR_PACKAGE = '@prometheus-timestream/timestream-local';

export type TimestreamLocalModule = typeof TimestreamLocal;

/** The emulator package is not installed; the message says how to install it. */
export class EmulatorNotInstalledError extends Error {
  public constructor(options?: ErrorOptions) {
    super(
      `--emulator needs the Timestream emulator, which is not installed (it is an optional peer dependency, as it brings DuckDB); install it with: npm install ${EMULATOR_PACKAGE}`,
      options,
    );
    this.name = 'EmulatorNotInstalledError';
  }
}

/** Whether `error` is Node's "Cannot find package" for the emulator package itself. */
const isEmulatorMissing = (error: unknown): boolean =>
  error instanceof Error &&
  ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' ||
    (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') &&
  error.message.includes(`'${EMULATOR_PACKAGE}'`);

/**
 * Imports the emulator package (`load` replaces the import in tests).
 *
 * @throws EmulatorNotInstalledError when the package is not installed; any other failure as is
 *   (a dependency of the emulator missing, for instance, names that dependency)
 */
export const loadTimestreamLocal = async (
  load: () => Promise<TimestreamLocalModule> = () => import('@prometheus-timestream/timestream-local'),
): Promise<TimestreamLocalModule> => {
  try {
    return await load();
  } catch (error) {
    if (isEmulatorMissing(error)) throw new EmulatorNotInstalledError({ cause: error });
    throw error;
  }
};
