import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { startTimestreamLocal, type TimestreamLocal, type TimestreamLocalOptions } from '../../src/index.js';

export interface Harness {
  readonly emulator: TimestreamLocal;
  readonly write: TimestreamWriteClient;
  readonly query: TimestreamQueryClient;
}

/** Fixed test credentials; the emulator records the access key id of every signed request. */
export const credentials = (accessKeyId = 'AKIDTIMESTREAMLOCAL') => ({
  accessKeyId,
  secretAccessKey: 'not-a-secret',
});

/**
 * Starts an emulator on a free port and real SDK clients pointed at it with `endpoint` (never
 * `endpointDiscoveryEnabled`, which the SDK refuses together with a custom endpoint).
 */
export const startHarness = async (options: TimestreamLocalOptions = {}): Promise<Harness> => {
  const emulator = await startTimestreamLocal({ port: 0, logLevel: 'error', ...options });
  const config = { endpoint: emulator.endpoint, region: 'us-east-1', credentials: credentials() };
  return {
    emulator,
    write: new TimestreamWriteClient(config),
    query: new TimestreamQueryClient(config),
  };
};

export const stopHarness = async (harness: Harness | undefined): Promise<void> => {
  if (harness === undefined) return;
  harness.write.destroy();
  harness.query.destroy();
  await harness.emulator.stop();
};

/** Runs `promise` and returns what it threw (the test fails if it did not throw). */
export const thrown = async (promise: Promise<unknown>): Promise<Error & Record<string, unknown>> => {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected the call to throw');
};
