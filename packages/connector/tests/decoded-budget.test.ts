/**
 * The budget of decoded bytes in flight: the budget alone (reserve, release, over budget, one
 * request alone), then the core with it (a 503 with Retry-After, logged and counted, while a
 * request holds the budget; the budget given back however the request ends). Fake clients whose
 * WriteRecords waits until the test lets it answer; no emulator, nothing timed.
 */
import { decodedLengthOfSnappyBlock } from '@prometheus-timestream/codec';
import type { ClientPool } from '../src/clients.js';
import { createDecodedBudget, RETRY_AFTER_SECONDS } from '../src/decoded-budget.js';
import { createConnector } from '../src/handler.js';
import { createMetrics } from '../src/metrics.js';
import type { CoreResponse } from '../src/request.js';
import { capturingLogger } from '../support/logs.js';
import { configOf, context, request, series, writeBody } from './helpers/fakes.js';

type Step =
  | { readonly reserve: number; readonly admitted: boolean }
  | { readonly release: number }
  | { readonly releaseAgain: number };

interface BudgetCase {
  readonly description: string;
  readonly limit: number;
  readonly steps: readonly Step[];
  /** Bytes in flight after the steps. */
  readonly inFlight: number;
}

const budgetCases: BudgetCase[] = [
  {
    description: 'reservations that fit together are admitted',
    limit: 1000,
    steps: [
      { reserve: 400, admitted: true },
      { reserve: 600, admitted: true },
    ],
    inFlight: 1000,
  },
  {
    description: 'one byte over what is left is refused, and reserves nothing',
    limit: 1000,
    steps: [
      { reserve: 400, admitted: true },
      { reserve: 601, admitted: false },
    ],
    inFlight: 400,
  },
  {
    description: 'a release makes room for what was refused',
    limit: 1000,
    steps: [
      { reserve: 400, admitted: true },
      { reserve: 700, admitted: false },
      { release: 0 },
      { reserve: 700, admitted: true },
    ],
    inFlight: 700,
  },
  {
    description: 'a reservation over the whole budget is admitted alone',
    limit: 1000,
    steps: [{ reserve: 5000, admitted: true }],
    inFlight: 5000,
  },
  {
    description: 'nothing else is admitted beside one over the budget, and it goes once released',
    limit: 1000,
    steps: [
      { reserve: 5000, admitted: true },
      { reserve: 1, admitted: false },
      { release: 0 },
      { reserve: 1000, admitted: true },
    ],
    inFlight: 1000,
  },
  {
    description: 'one over the budget waits while anything is in flight',
    limit: 1000,
    steps: [
      { reserve: 10, admitted: true },
      { reserve: 5000, admitted: false },
    ],
    inFlight: 10,
  },
  {
    description: 'a request of 0 bytes still counts as in flight',
    limit: 1000,
    steps: [
      { reserve: 0, admitted: true },
      { reserve: 5000, admitted: false },
      { reserve: 1000, admitted: true },
    ],
    inFlight: 1000,
  },
  {
    description: 'releasing twice gives the bytes back once',
    limit: 1000,
    steps: [
      { reserve: 600, admitted: true },
      { reserve: 300, admitted: true },
      { release: 0 },
      { releaseAgain: 0 },
      { reserve: 800, admitted: false },
      { reserve: 700, admitted: true },
    ],
    inFlight: 1000,
  },
];

describe('createDecodedBudget', () => {
  it.each(budgetCases)('$description', ({ limit, steps, inFlight }) => {
    // Prepare
    const changes: number[] = [];
    let refusals = 0;
    const budget = createDecodedBudget(limit, {
      onChange: (bytes) => changes.push(bytes),
      onRefused: () => refusals++,
    });
    const releases: (() => void)[] = [];

    // Act
    for (const step of steps) {
      if ('reserve' in step) {
        const release = budget.reserve(step.reserve);
        expect({ step, admitted: release !== undefined }).toEqual({ step, admitted: step.admitted });
        if (release !== undefined) releases.push(release);
      } else if ('release' in step) releases[step.release]?.();
      else releases[step.releaseAgain]?.();
    }

    // Assess
    expect(budget.inFlight()).toBe(inFlight);
    expect(changes.at(-1)).toBe(inFlight);
    expect(refusals).toBe(steps.filter((step) => 'reserve' in step && !step.admitted).length);
  });
});

/** A write body of `count` one-sample series and the decoded bytes its snappy block declares. */
const body = (count: number, metric: string) => {
  const bytes = writeBody(series(count, metric));
  return { bytes, decoded: decodedLengthOfSnappyBlock(bytes) as number };
};

const BIG = body(60, 'big_metric_with_a_long_name');
const SMALL = body(2, 'up');

/**
 * Clients whose every WriteRecords call waits for the test: `answer()` lets them succeed,
 * `fail()` fails them with a network error; an aborted call rejects as the SDK's would.
 */
const gatedClients = () => {
  const waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const writeRecords = (_body: string, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      signal.addEventListener('abort', () =>
        reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' })),
      );
      waiting.push({ resolve: () => resolve(), reject });
    });
  const clients = {
    acquire: () => ({ writeRecords, queryClient: {}, release: () => undefined }),
    size: () => 1,
    destroy: () => undefined,
  } as unknown as ClientPool;
  const settle = (how: (call: (typeof waiting)[number]) => void) => {
    for (const call of waiting.splice(0)) how(call);
  };
  return {
    clients,
    calls: () => waiting.length,
    answer: () => settle((call) => call.resolve()),
    fail: () =>
      settle((call) => call.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))),
  };
};

/** Room for one big body and a few small ones, not for two big ones. */
const BUDGET = BIG.decoded + 4 * SMALL.decoded;

const connectorWith = (budget = BUDGET, acquire?: ClientPool['acquire']) => {
  const { logger, logs } = capturingLogger();
  const metrics = createMetrics();
  const gate = gatedClients();
  const connector = createConnector(configOf(`--max-decoded-bytes-in-flight=${budget}`), {
    clients: acquire === undefined ? gate.clients : { ...gate.clients, acquire },
    logger,
    metrics,
  });
  const metric = (pattern: string): number =>
    Number(new RegExp(`^${pattern} (\\d+)$`, 'm').exec(metrics.render())?.[1] ?? 0);
  return {
    connector,
    gate,
    logs,
    inFlight: () => metric('timestream_connector_decoded_bytes_in_flight'),
    refused: () =>
      metric('timestream_connector_refused_requests_total\\{reason="decoded_bytes_in_flight"\\}'),
    answered: (code: number) =>
      metric(`timestream_connector_http_requests_total\\{handler="write",code="${code}"\\}`),
  };
};

/**
 * Lets the event loop run until the gate holds `calls` WriteRecords calls; throws when it never
 * does (a request refused or ended early), after a bounded number of turns rather than a time.
 */
const untilCalls = async (gate: ReturnType<typeof gatedClients>, calls = 1): Promise<void> => {
  for (let turn = 0; gate.calls() < calls; turn++) {
    if (turn > 10_000) throw new Error(`the gate holds ${gate.calls()} WriteRecords calls, never ${calls}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
};

describe('the core with a budget of decoded bytes in flight', () => {
  beforeAll(() => {
    // The bodies the cases rely on: a big one fits alone, two do not, a small one fits beside it.
    expect(BIG.decoded).toBeGreaterThan(4 * SMALL.decoded);
    expect(BUDGET).toBeGreaterThanOrEqual(1024);
  });

  it('answers 503 with Retry-After to a body the requests in flight leave no room for, logged and counted', async () => {
    // Prepare: a big body holds the budget, waiting on Timestream.
    const { connector, gate, logs, inFlight, refused, answered } = connectorWith();
    const first = connector.handle(request(BIG.bytes), context);
    await untilCalls(gate);

    // Act
    const second = await connector.handle(request(BIG.bytes), { ...context, requestId: 'second' });

    // Assess
    expect(second.status).toBe(503);
    expect(second.headers['Retry-After']).toBe(String(RETRY_AFTER_SECONDS));
    expect(second.body).toBe(
      `connector busy: requests in flight hold ${BIG.decoded} decoded bytes, and this body's ${BIG.decoded} more would exceed --max-decoded-bytes-in-flight=${BUDGET}, likely a burst of large remote-write batches; Prometheus resends it. If this persists, raise that flag (with the heap: --max-old-space-size) or lower queue_config.max_samples_per_send\n`,
    );
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'request failed, Prometheus will retry',
        requestId: 'second',
        route: 'write',
        status: 503,
        error: expect.stringMatching(/^connector busy: .*--max-decoded-bytes-in-flight=/),
      }),
    ]);
    expect([refused(), answered(503), inFlight()]).toEqual([1, 1, BIG.decoded]);
    gate.answer();
    expect((await first).status).toBe(204);
  });

  it('serves a small body beside a big one in flight, and the refused body once it has answered', async () => {
    // Prepare
    const { connector, gate, inFlight } = connectorWith();
    const big = connector.handle(request(BIG.bytes), context);
    await untilCalls(gate);

    // Act: a small body, then a second big one, while the first is in flight.
    const small = connector.handle(request(SMALL.bytes), context);
    await untilCalls(gate, 2);
    const heldBoth = inFlight();
    const refusedBig = await connector.handle(request(BIG.bytes), context);
    gate.answer();
    const answers = [(await big).status, (await small).status];
    const retried = connector.handle(request(BIG.bytes), context);
    await untilCalls(gate);
    gate.answer();

    // Assess
    expect(heldBoth).toBe(BIG.decoded + SMALL.decoded);
    expect([refusedBig.status, ...answers, (await retried).status]).toEqual([503, 204, 204, 204]);
    expect(inFlight()).toBe(0);
  });

  it('serves a body larger than the whole budget when nothing else is in flight', async () => {
    // Prepare: a budget below the big body's decoded size (but within --max-decoded-bytes).
    const { connector, gate, inFlight, refused } = connectorWith(1024);
    expect(BIG.decoded).toBeGreaterThan(1024);

    // Act
    const answer = connector.handle(request(BIG.bytes), context);
    await untilCalls(gate);
    const held = inFlight();
    gate.answer();

    // Assess
    expect([(await answer).status, held, refused()]).toEqual([204, BIG.decoded, 0]);
  });

  it.each([
    {
      description: 'stored',
      end: (gate: ReturnType<typeof gatedClients>) => gate.answer(),
      deadlineMs: 60_000,
      status: 204,
    },
    {
      description: 'Timestream unreachable',
      end: (gate: ReturnType<typeof gatedClients>) => gate.fail(),
      deadlineMs: 60_000,
      status: 503,
    },
    // The deadline aborts the call in flight (the core keeps 250 ms to answer after aborting).
    { description: 'aborted at its deadline', end: () => undefined, deadlineMs: 300, status: 503 },
  ])(
    'gives the budget back once the request has answered: $description',
    async ({ end, deadlineMs, status }) => {
      // Prepare
      const { connector, gate, inFlight } = connectorWith();
      const answer = connector.handle(request(BIG.bytes), { ...context, deadline: Date.now() + deadlineMs });
      await untilCalls(gate);
      const held = inFlight();

      // Act
      end(gate);
      const response: CoreResponse = await answer;

      // Assess
      expect([held, response.status, inFlight()]).toEqual([BIG.decoded, status, 0]);
    },
  );

  it.each([
    { description: 'a bug (500)', body: BIG.bytes, status: 500 },
    { description: 'a malformed body (400)', body: Uint8Array.of(0x05, 1, 2), status: 400 },
  ])('gives the budget back once the request has ended with $description', async ({ body, status }) => {
    // Prepare: a client pool that throws a plain Error, as a bug would.
    const { connector, inFlight } = connectorWith(BUDGET, () => {
      throw new Error('a bug');
    });

    // Act
    const response = await connector.handle(request(body), context);

    // Assess
    expect([response.status, inFlight()]).toEqual([status, 0]);
  });
});
