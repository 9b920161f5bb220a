/**
 * Attack: read credentials out of the connector's logs. Every path a request can take (written,
 * rejected by the codec or by Timestream, read, refused for its credentials, failed by Timestream
 * or by an unreachable endpoint) runs at debug level through the standalone server, in passthrough
 * mode with secrets and session tokens and in bearer-token mode; no log line may hold a secret
 * access key, a session token, the bearer token, or the base64 of the basic-auth credentials.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeReadRequest, type LabelMatcher } from '@prometheus-timestream/codec';
import type { RunningServer } from '../../src/server.js';
import { basicAuth, type Harness, nodeSeries, startHarness, writeBody } from '../../support/harness.js';
import { PROMETHEUS_HEADERS, serve } from './helpers.js';

const WITH_TOKEN = {
  accessKeyId: 'ASIALOGSCALLERONE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETONE',
  sessionToken: 'IQoJb3JpZ2luX2VjEPr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDsessiontokenone==',
};
const WITHOUT_TOKEN = {
  accessKeyId: 'AKIALOGSCALLERTWO',
  secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLETWO',
};
const BEARER_TOKEN = 'bearer-8f3c1e7a9d2b4c6e0f1a3b5c7d9e1f2a';
const DEBUG = ['--log.level=debug'];

const passwordOf = (caller: { secretAccessKey: string; sessionToken?: string }): string =>
  caller.sessionToken === undefined
    ? caller.secretAccessKey
    : `${caller.secretAccessKey}:${caller.sessionToken}`;

/** Every string that must never be logged, with fragments long enough to identify a truncated leak. */
const FORBIDDEN: readonly string[] = (() => {
  const secrets = [
    WITH_TOKEN.secretAccessKey,
    WITH_TOKEN.sessionToken,
    WITHOUT_TOKEN.secretAccessKey,
    BEARER_TOKEN,
  ];
  const encoded = [
    ...[WITH_TOKEN, WITHOUT_TOKEN].map((caller) =>
      Buffer.from(`${caller.accessKeyId}:${passwordOf(caller)}`).toString('base64'),
    ),
    Buffer.from(passwordOf(WITH_TOKEN)).toString('base64'),
    ...secrets.map((secret) => Buffer.from(secret).toString('base64')),
  ];
  // Base64 of the access key id alone is no secret: its fragments start past the first third.
  const fragments = [
    ...secrets.flatMap((secret) => [secret.slice(0, 12), secret.slice(12, 24), secret.slice(-12)]),
    ...encoded.flatMap((text) => [text.slice(text.length / 2, text.length / 2 + 12), text.slice(-16)]),
  ];
  return [...secrets, passwordOf(WITH_TOKEN), ...encoded, ...fragments];
})();

/** Every forbidden string found in the log lines, with the line's message. */
const leaks = (logs: readonly Record<string, unknown>[]): string[] =>
  logs.flatMap((line) => {
    const text = JSON.stringify(line);
    return FORBIDDEN.filter((secret) => text.includes(secret)).map((secret) => `${line.msg}: ${secret}`);
  });

const { Authorization: _, ...WRITE_HEADERS } = PROMETHEUS_HEADERS;
const READ_HEADERS = {
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Read-Version': '0.1.0',
};

const readBody = (matchers: LabelMatcher[]): Uint8Array =>
  encodeReadRequest({
    queries: [{ startTimestampMs: Date.now() - 3_600_000, endTimestampMs: Date.now(), matchers }],
  });

/** A loopback port nothing listens on. */
const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
};

interface Attempt {
  readonly description: string;
  readonly path: '/write' | '/read';
  readonly authorization: string | undefined;
  readonly body: Uint8Array;
  readonly fault?: Record<string, unknown>;
}

/** Sends the attempts through the server one by one; returns `description → status`. */
const run = async (
  h: Harness,
  server: RunningServer,
  attempts: readonly Attempt[],
): Promise<Record<string, number>> => {
  const statuses: Record<string, number> = {};
  for (const { description, path, authorization, body, fault } of attempts) {
    if (fault !== undefined) {
      const set = await fetch(`${h.emulator.endpoint}/__admin/faults`, {
        method: 'POST',
        body: JSON.stringify(fault),
      });
      expect(set.status).toBe(200);
    }
    try {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: {
          ...(path === '/read' ? READ_HEADERS : WRITE_HEADERS),
          ...(authorization === undefined ? {} : { Authorization: authorization }),
        },
        body,
      });
      await response.arrayBuffer();
      statuses[description] = response.status;
    } finally {
      if (fault !== undefined) await fetch(`${h.emulator.endpoint}/__admin/faults`, { method: 'DELETE' });
    }
  }
  return statuses;
};

describe('secrets never reach the logs', () => {
  const write = (job: string, timestampMs = Date.now()) => writeBody(nodeSeries(5, timestampMs, job));
  const withToken = basicAuth(WITH_TOKEN.accessKeyId, passwordOf(WITH_TOKEN));
  const withoutToken = basicAuth(WITHOUT_TOKEN.accessKeyId, passwordOf(WITHOUT_TOKEN));

  it('in passthrough mode, whatever happens to the request', async () => {
    // Prepare: one series too long to store, so the debug-only "series skipped" line is written too.
    const h = await startHarness({ flags: DEBUG });
    const server = await serve(h, DEBUG);
    const withSkipped = writeBody([
      ...nodeSeries(2, Date.now(), 'logs'),
      {
        labels: [{ name: '__name__', value: 'x'.repeat(300) }],
        samples: [{ timestampMs: Date.now(), value: 1 }],
      },
    ]);
    try {
      // Act
      const statuses = await run(h, server, [
        {
          description: 'write with a session token',
          path: '/write',
          authorization: withToken,
          body: withSkipped,
        },
        {
          description: 'write without one',
          path: '/write',
          authorization: withoutToken,
          body: write('logs'),
        },
        {
          description: 'write Timestream rejects (1970)',
          path: '/write',
          authorization: withToken,
          body: write('logs-old', 1_000),
        },
        {
          description: 'body that is not snappy',
          path: '/write',
          authorization: withToken,
          body: Uint8Array.from([0xff, 0xff, 0xff]),
        },
        {
          description: 'read',
          path: '/read',
          authorization: withToken,
          body: readBody([{ type: 'EQ', name: 'job', value: 'logs' }]),
        },
        {
          description: 'read with a regex Timestream cannot run',
          path: '/read',
          authorization: withoutToken,
          body: readBody([{ type: 'RE', name: 'job', value: 'a\\C' }]),
        },
        {
          description: 'empty session token',
          path: '/write',
          authorization: basicAuth(WITH_TOKEN.accessKeyId, `${WITH_TOKEN.secretAccessKey}:`),
          body: write('logs'),
        },
        {
          description: 'access key id that is no key',
          path: '/write',
          authorization: basicAuth(`${WITH_TOKEN.accessKeyId}!`, passwordOf(WITH_TOKEN)),
          body: write('logs'),
        },
        {
          description: 'secret as a bearer token',
          path: '/write',
          authorization: `Bearer ${WITH_TOKEN.secretAccessKey}`,
          body: write('logs'),
        },
        {
          description: 'basic auth that is not base64',
          path: '/write',
          authorization: `Basic ${WITH_TOKEN.accessKeyId}:${passwordOf(WITH_TOKEN)}`,
          body: write('logs'),
        },
        {
          description: 'basic auth with extra words',
          path: '/read',
          authorization: `${withToken} ${WITH_TOKEN.sessionToken}`,
          body: readBody([{ type: 'EQ', name: 'job', value: 'logs' }]),
        },
        { description: 'no credentials', path: '/write', authorization: undefined, body: write('logs') },
        {
          description: 'Timestream failing (500)',
          path: '/write',
          authorization: withToken,
          body: write('logs'),
          fault: { operation: 'WriteRecords', errorRate: 1 },
        },
        {
          description: 'Timestream throttling',
          path: '/write',
          authorization: withoutToken,
          body: write('logs'),
          fault: { operation: 'WriteRecords', throttleRate: 1 },
        },
        {
          description: 'Timestream failing a query',
          path: '/read',
          authorization: withToken,
          body: readBody([{ type: 'EQ', name: 'job', value: 'logs' }]),
          fault: { operation: 'Query', errorRate: 1 },
        },
      ]);

      // Assess: every path was taken, then nothing secret was logged on any of them.
      expect(statuses).toEqual({
        'write with a session token': 204,
        'write without one': 204,
        'write Timestream rejects (1970)': 400,
        'body that is not snappy': 400,
        read: 200,
        'read with a regex Timestream cannot run': 400,
        'empty session token': 401,
        'access key id that is no key': 401,
        'secret as a bearer token': 401,
        'basic auth that is not base64': 401,
        'basic auth with extra words': 401,
        'no credentials': 401,
        'Timestream failing (500)': 503,
        'Timestream throttling': 503,
        'Timestream failing a query': 503,
      });
      expect(h.logs.some((line) => line.level === 'debug' && line.msg === 'series skipped')).toBe(true);
      expect(leaks(h.logs)).toEqual([]);
    } finally {
      await server.close();
      await h.stop();
    }
  }, 30_000);

  it('in passthrough mode, with Timestream unreachable', async () => {
    // Prepare
    const port = await closedPort();
    const h = await startHarness({ flags: DEBUG, writeEndpoint: () => `http://127.0.0.1:${port}` });
    const server = await serve(h, DEBUG);
    try {
      // Act
      const statuses = await run(h, server, [
        {
          description: 'with a session token',
          path: '/write',
          authorization: withToken,
          body: write('down'),
        },
        { description: 'without one', path: '/write', authorization: withoutToken, body: write('down') },
      ]);

      // Assess
      expect(statuses).toEqual({ 'with a session token': 503, 'without one': 503 });
      expect(h.logs.some((line) => String(line.error).includes('ECONNREFUSED'))).toBe(true);
      expect(leaks(h.logs)).toEqual([]);
    } finally {
      await server.close();
      await h.stop();
    }
  }, 30_000);

  it('in bearer-token mode', async () => {
    // Prepare
    const directory = mkdtempSync(join(tmpdir(), 'logs-attack-'));
    const tokenFile = join(directory, 'token');
    writeFileSync(tokenFile, BEARER_TOKEN);
    const flags = [...DEBUG, '--auth=iam', `--auth-token-file=${tokenFile}`];
    const h = await startHarness({ flags });
    const server = await serve(h, flags);
    try {
      // Act
      const statuses = await run(h, server, [
        {
          description: 'write',
          path: '/write',
          authorization: `Bearer ${BEARER_TOKEN}`,
          body: write('bearer'),
        },
        {
          description: 'read',
          path: '/read',
          authorization: `Bearer ${BEARER_TOKEN}`,
          body: readBody([{ type: 'EQ', name: 'job', value: 'bearer' }]),
        },
        {
          description: 'a prefix',
          path: '/write',
          authorization: `Bearer ${BEARER_TOKEN.slice(0, -1)}`,
          body: write('x'),
        },
        {
          description: 'as basic auth',
          path: '/write',
          authorization: basicAuth('AKIDX', BEARER_TOKEN),
          body: write('x'),
        },
        {
          description: 'twice',
          path: '/read',
          authorization: `Bearer ${BEARER_TOKEN} ${BEARER_TOKEN}`,
          body: write('x'),
        },
        {
          description: 'Timestream failing',
          path: '/write',
          authorization: `Bearer ${BEARER_TOKEN}`,
          body: write('bearer'),
          fault: { operation: 'WriteRecords', errorRate: 1 },
        },
      ]);

      // Assess
      expect(statuses).toEqual({
        write: 204,
        read: 200,
        'a prefix': 401,
        'as basic auth': 401,
        twice: 401,
        'Timestream failing': 503,
      });
      expect(leaks(h.logs)).toEqual([]);
    } finally {
      await server.close();
      await h.stop();
      rmSync(directory, { recursive: true, force: true });
    }
  }, 30_000);
});
