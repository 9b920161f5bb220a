import {
  CreateDatabaseCommand,
  CreateTableCommand,
  TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { credentials, type Harness, startHarness, stopHarness } from './helpers/emulator.js';

/**
 * An injected latency is the time from a call's arrival to its answer: the call's work is done
 * at once and only the rest of the delay is waited after it, so concurrent calls overlap their
 * delays instead of queueing their work behind them. Nothing here is timed: the clock is Jest's,
 * so the delay does not pass until a case moves it, and each case looks at what the emulator
 * has done (its metering) while every call is still unanswered.
 */
const LATENCY_MS = 60_000;
const NOW = Date.now();

/** Polls with setImmediate, which the fake clock leaves alone, so real I/O goes on meanwhile. */
const waitFor = async (condition: () => boolean): Promise<void> => {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
};

describe('injected latency', () => {
  let h: Harness;
  beforeAll(async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    h = await startHarness();
    await h.write.send(new CreateDatabaseCommand({ DatabaseName: 'prom' }));
    await h.write.send(new CreateTableCommand({ DatabaseName: 'prom', TableName: 'samples' }));
  });
  afterAll(async () => {
    await stopHarness(h);
    jest.useRealTimers();
  });
  afterEach(() => {
    h.emulator.clearFaults();
    h.emulator.resetMetering();
  });

  const writes = (calls: number, job: string, client = h.write) =>
    Array.from({ length: calls }, (_, call) =>
      client.send(
        new WriteRecordsCommand({
          DatabaseName: 'prom',
          TableName: 'samples',
          CommonAttributes: {
            Dimensions: [{ Name: 'job', Value: job }],
            MeasureName: 'up',
            MeasureValueType: 'DOUBLE',
          },
          Records: [{ MeasureValue: '1', Time: String(NOW - 60_000 + call) }],
        }),
      ),
    );

  it.each([
    { description: 'one call', calls: 1 },
    { description: '32 calls arriving together', calls: 32 },
  ])('$description: every record is stored while the answers still wait', async ({ calls }) => {
    // Prepare
    h.emulator.setFault({ operation: 'WriteRecords', latencyMs: LATENCY_MS });
    let answered = 0;

    // Act
    const pending = writes(calls, `latency-${calls}`).map((call) => call.finally(() => answered++));
    await waitFor(() => h.emulator.metering().writes.recordsIngested === calls);

    // Assess: all the work is done and no call has been answered; once the delay has passed, all are.
    expect(answered).toBe(0);
    jest.advanceTimersByTime(LATENCY_MS);
    await Promise.all(pending);
    expect(answered).toBe(calls);
  });

  it('a throttled call does no work and is answered after the delay like any other', async () => {
    // Prepare
    h.emulator.setFault({ operation: 'WriteRecords', latencyMs: LATENCY_MS, throttleRate: 1 });
    // No retry: the SDK's backoff would wait on the fake clock.
    const once = new TimestreamWriteClient({
      endpoint: h.emulator.endpoint,
      region: 'us-east-1',
      credentials: credentials(),
      maxAttempts: 1,
    });

    // Act
    const settled = Promise.allSettled(writes(2, 'throttled', once));
    await waitFor(() => h.emulator.metering().faults.throttled === 2);
    const ingestedMeanwhile = h.emulator.metering().writes.recordsIngested;
    jest.advanceTimersByTime(LATENCY_MS);
    const results = await settled;
    once.destroy();

    // Assess
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).name : 'fulfilled'))).toEqual([
      'ThrottlingException',
      'ThrottlingException',
    ]);
    expect(ingestedMeanwhile).toBe(0);
    expect(h.emulator.metering().writes.recordsIngested).toBe(0);
  });
});
