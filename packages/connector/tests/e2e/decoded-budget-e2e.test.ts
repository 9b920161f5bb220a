/**
 * The budget of decoded bytes in flight, end to end: the connector's CLI (a standalone server
 * process) in front of the emulator's, which answers every call late, so a big body stays in
 * flight. With a budget for one big body and a few small ones, the big bodies sent meanwhile get
 * 503 with Retry-After (counted and logged), a small one sent in between is served 204, and a big
 * one resent once the first has answered is served too. Nothing is timed: the test waits on the
 * connector's gauge of decoded bytes in flight, never on a clock.
 */
import { readFileSync } from 'node:fs';
import {
  compressSnappyBlock,
  decodedLengthOfSnappyBlock,
  encodeWriteRequestV1,
  type SeriesInput,
} from '@prometheus-timestream/codec';
import {
  type ConnectorProcess,
  type Emulator,
  startConnectorProcess,
  startEmulatorProcess,
} from '../../support/cli-processes.js';
import { Workspace } from '../../support/peers.js';
import { waitFor } from '../../support/processes.js';

/** Any keys do: the emulator checks no signature. */
const HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
  authorization: `Basic ${Buffer.from('AKIDE2EBUDGET:secret').toString('base64')}`,
};

/** A write body of `count` one-sample series named `metric`, and its declared decoded size. */
const body = (count: number, metric: string) => {
  const timestampMs = Date.now();
  const series: SeriesInput[] = Array.from({ length: count }, (_, i) => ({
    labels: [
      { name: '__name__', value: metric },
      { name: 'instance', value: `host-${i}` },
    ],
    samples: [{ timestampMs, value: i }],
  }));
  const bytes = compressSnappyBlock(encodeWriteRequestV1({ series }));
  return { bytes, decoded: decodedLengthOfSnappyBlock(bytes) as number };
};

const BIG = body(90, 'budget_e2e_big_metric');
const SMALL = body(2, 'budget_e2e_small');
/** Room for one big body and a few small ones beside it, not for two big ones. */
const BUDGET = Math.max(1024, BIG.decoded + 4 * SMALL.decoded);
/** How late the emulator answers every call: long enough for the requests sent meanwhile. */
const LATENCY_MS = 3000;

const post = async (connector: ConnectorProcess, bytes: Uint8Array) => {
  const response = await fetch(`${connector.url}/write`, { method: 'POST', headers: HEADERS, body: bytes });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    text: await response.text(),
  };
};

const metric = async (connector: ConnectorProcess, name: string): Promise<number> => {
  const text = await (await fetch(`${connector.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
};

describe('the budget of decoded bytes in flight, standalone server process', () => {
  let workspace: Workspace;
  let emulator: Emulator;
  let connector: ConnectorProcess;

  beforeAll(async () => {
    expect(BIG.decoded + 4 * SMALL.decoded).toBeLessThan(2 * BIG.decoded);
    workspace = new Workspace('connector-budget-e2e');
    emulator = await startEmulatorProcess(workspace, [`--latency-ms=${LATENCY_MS}`]);
    connector = await startConnectorProcess(workspace, emulator, [
      `--max-decoded-bytes-in-flight=${BUDGET}`,
      '--log.level=warn',
    ]);
  }, 60_000);

  afterAll(async () => {
    await workspace?.stop();
  });

  it('refuses big bodies beside one in flight with 503 and Retry-After, and serves a small one in between', async () => {
    // Prepare: one big body in flight, held by the emulator's latency.
    const first = post(connector, BIG.bytes);
    await waitFor(
      'the first big body in flight',
      async () =>
        (await metric(connector, 'timestream_connector_decoded_bytes_in_flight')) === BIG.decoded ||
        undefined,
      { timeoutMs: 10_000 },
    );

    // Act: three big bodies at once, then a small one, while the first waits on Timestream.
    const refused = await Promise.all([
      post(connector, BIG.bytes),
      post(connector, BIG.bytes),
      post(connector, BIG.bytes),
    ]);
    const small = await post(connector, SMALL.bytes);
    const answered = await first;
    const resent = await post(connector, BIG.bytes);

    // Assess
    for (const answer of refused) {
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe('5');
      expect(answer.text).toMatch(/^connector busy: .*--max-decoded-bytes-in-flight=/);
    }
    expect([small.status, answered.status, resent.status]).toEqual([204, 204, 204]);
    expect(
      await metric(
        connector,
        'timestream_connector_refused_requests_total\\{reason="decoded_bytes_in_flight"\\}',
      ),
    ).toBe(3);
    expect(await metric(connector, 'timestream_connector_decoded_bytes_in_flight')).toBe(0);
    const refusals = readFileSync(workspace.path('connector.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('connector busy'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(refusals).toEqual(
      Array.from({ length: 3 }, () =>
        expect.objectContaining({ level: 'warn', msg: 'request failed, Prometheus will retry', status: 503 }),
      ),
    );
  }, 120_000);
});
