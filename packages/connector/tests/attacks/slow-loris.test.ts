/**
 * Attack: tie up the standalone server with connections that send their request slowly. Headers
 * must arrive within the header timeout (Node checks it every second), a body within the request
 * timeout; past them the connection is cut without an answer (Node's own 408 would be a 4xx, on
 * which Prometheus drops the batch), logged and counted, and honest requests are served meanwhile.
 */
import type { Socket } from 'node:net';
import type { RunningServer } from '../../src/server.js';
import { type Harness, nodeSeries, startHarness, writeBody } from '../../support/harness.js';
import { connectRaw, PROMETHEUS_HEADERS, rawExchange, serve } from './helpers.js';

/** With --web.request-timeout=2s the server allows 2 s for headers (less than its 10 s cap). */
const HEADERS_TIMEOUT_MS = 2_000;
/** How often Node checks the header timeout (server.ts `connectionsCheckingInterval`). */
const CHECKING_INTERVAL_MS = 1_000;
/** Scheduling slack for a loaded CI machine. */
const SLACK_MS = 1_000;
const SLOW_CONNECTIONS = 100;
const BYTE_EVERY_MS = 50;

interface SlowClient {
  readonly socket: Socket;
  /** Resolves when the server closes the connection: after how long, and what it answered. */
  readonly closed: Promise<{ afterMs: number; answer: string }>;
}

/** A client that sends a request line and then header bytes one at a time, never finishing. */
const dribble = async (port: number): Promise<SlowClient> => {
  const socket: Socket = await connectRaw(port);
  const openedAt = Date.now();
  const head = 'POST /write HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ';
  let sent = 0;
  let answer = '';
  const timer = setInterval(() => {
    if (!socket.writable) return;
    socket.write(sent < head.length ? head.charAt(sent) : 'a');
    sent++;
  }, BYTE_EVERY_MS);
  socket.on('data', (chunk: Buffer) => {
    answer += chunk.toString('latin1');
  });
  socket.on('error', () => undefined);
  const closed = new Promise<{ afterMs: number; answer: string }>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ afterMs: Date.now() - openedAt, answer });
    }),
  );
  return { socket, closed };
};

describe('slow clients', () => {
  let h: Harness;
  let server: RunningServer;
  beforeAll(async () => {
    h = await startHarness();
    server = await serve(h, ['--web.request-timeout=2s']);
    // Warm the clients up, so the honest write below measures the server, not a first SDK call.
    const warm = await fetch(`${server.url}/write`, {
      method: 'POST',
      headers: PROMETHEUS_HEADERS,
      body: writeBody(nodeSeries(1, Date.now(), 'warm-up')),
    });
    expect(warm.status).toBe(204);
  });
  afterAll(async () => {
    await server.close();
    await h.stop();
  });

  /** The server's timestream_connector_closed_connections_total, by reason (0 where absent). */
  const closedConnections = async (): Promise<Record<string, number>> => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const count = (reason: string) =>
      Number(
        new RegExp(
          `^timestream_connector_closed_connections_total\\{reason="${reason}"\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1] ?? 0,
      );
    return { headers_timeout: count('headers_timeout'), body_timeout: count('body_timeout') };
  };

  it('closes, without a 408 Prometheus would drop the batch for, a connection that never finishes its headers (slow loris)', async () => {
    const started = Date.now();
    const answer = await rawExchange(server.port, 'POST /write HTTP/1.1\r\nHost: x\r\n', 10_000);
    expect(answer).toBe('');
    expect(Date.now() - started).toBeLessThan(HEADERS_TIMEOUT_MS + CHECKING_INTERVAL_MS + SLACK_MS);
    expect(
      h.logs.filter(
        (line) => line.msg === 'request headers not received within the headers timeout; connection closed',
      ),
    ).toEqual([expect.objectContaining({ level: 'warn', timeoutMs: HEADERS_TIMEOUT_MS })]);
    expect(await closedConnections()).toEqual({ headers_timeout: 1, body_timeout: 0 });
  }, 15_000);

  it('closes, without a 4xx Prometheus would drop the batch for, a connection whose body is too slow', async () => {
    const answer = await rawExchange(
      server.port,
      'POST /write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100\r\n\r\nonly part of it',
      10_000,
    );
    expect(answer).toBe('');
    expect(
      h.logs.some(
        (line) => line.msg === 'request body not received within the request timeout; connection closed',
      ),
    ).toBe(true);
    expect(await closedConnections()).toEqual({ headers_timeout: 1, body_timeout: 1 });
  }, 15_000);

  it(`serves an honest write while ${SLOW_CONNECTIONS} connections dribble headers a byte at a time, and cuts them all in time`, async () => {
    // Prepare: every slow connection is open and sending before the honest request starts.
    const slow = await Promise.all(Array.from({ length: SLOW_CONNECTIONS }, () => dribble(server.port)));
    await new Promise((resolve) => setTimeout(resolve, 500));

    // Act
    const started = performance.now();
    const honest = await fetch(`${server.url}/write`, {
      method: 'POST',
      headers: PROMETHEUS_HEADERS,
      body: writeBody(nodeSeries(20, Date.now(), 'honest-during-slow-loris')),
    });
    const honestMs = performance.now() - started;
    // A connection the server left open is closed here after the allowed time, and fails below.
    const allowedMs = HEADERS_TIMEOUT_MS + CHECKING_INTERVAL_MS + SLACK_MS;
    const giveUp = setTimeout(() => {
      for (const { socket } of slow) socket.destroy();
    }, allowedMs + 500);
    const closed = await Promise.all(slow.map((client) => client.closed));
    clearTimeout(giveUp);

    // Assess: the honest write did not wait for the slow ones.
    expect(honest.status).toBe(204);
    expect(honestMs).toBeLessThan(HEADERS_TIMEOUT_MS / 2);
    // Every slow connection was cut by the server with a bare close, none answered.
    for (const { afterMs, answer } of closed) {
      expect(answer).toBe('');
      expect(afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
      expect(afterMs).toBeLessThan(allowedMs);
    }
    const rows = await h.query(
      `SELECT count(*) AS n FROM "prom"."metrics" WHERE job = 'honest-during-slow-loris'`,
    );
    expect(Number(rows[0]?.n)).toBe(20);
    expect(await closedConnections()).toEqual({ headers_timeout: 1 + SLOW_CONNECTIONS, body_timeout: 1 });
  }, 15_000);
});
