/** The standalone server over real sockets: routes, limits, TLS, timeouts and graceful shutdown. */
import { request as httpRequest } from 'node:http';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { readFlags } from '../src/config.js';
import { type RunningServer, startServer } from '../src/server.js';
import { basicAuth, type Harness, nodeSeries, startHarness, writeBody } from './helpers/harness.js';

const TLS_DIR = join(__dirname, 'fixtures/tls');
const PROMETHEUS_HEADERS = {
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
  Authorization: basicAuth(),
};

const serve = (h: Harness, flags: string[] = []): Promise<RunningServer> =>
  startServer(
    readFlags(
      ['--default-database=prom', '--default-table=metrics', '--web.listen-address=127.0.0.1:0', ...flags],
      {},
    ),
    {
      connector: h.connector,
      logger: h.logger,
      metrics: h.metrics,
    },
  );

/** Sends raw bytes on a fresh connection and resolves with everything the server answered. */
const rawExchange = (port: number, bytes: string, waitMs = 3_000): Promise<string> =>
  new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });

describe('standalone server', () => {
  let h: Harness;
  let server: RunningServer;
  beforeAll(async () => {
    h = await startHarness({ flags: ['--max-body-bytes=65536'] });
    server = await serve(h, ['--max-body-bytes=65536']);
  });
  afterAll(async () => {
    await server.close();
    await h.stop();
  });

  it('accepts a Prometheus remote write on POST /write', async () => {
    const response = await fetch(`${server.url}/write`, {
      method: 'POST',
      headers: PROMETHEUS_HEADERS,
      body: writeBody(nodeSeries(10, Date.now(), 'server')),
    });
    expect(response.status).toBe(204);
  });

  it('answers GET /healthz', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect([response.status, await response.text()]).toEqual([200, 'ok\n']);
  });

  it('serves its metrics in the Prometheus text format, with the Go connector’s names', async () => {
    const response = await fetch(`${server.url}/metrics`);
    const body = await response.text();
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [
      'timestream_connector_received_samples_total',
      'timestream_connector_ignored_samples_total',
      'timestream_connector_write_requests_total',
      'timestream_connector_write_duration_seconds_bucket',
      'timestream_connector_read_requests_total',
      'timestream_connector_read_duration_seconds_count',
    ]) {
      expect(body).toMatch(new RegExp(`^${name}`, 'm'));
    }
    expect(body).toMatch(/^timestream_connector_http_requests_total\{handler="write",code="204"\} \d+$/m);
  });

  it('refuses a declared Content-Length over the limit with 413 before reading the body', async () => {
    const answer = await rawExchange(
      server.port,
      'POST /write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 10000000\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/request body of 10000000 bytes exceeds 65536/);
  });

  it('refuses a chunked body once it grows over the limit with 413', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        `${server.url}/write`,
        { method: 'POST', headers: PROMETHEUS_HEADERS },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      // 20 chunks of 8 KiB, no Content-Length: the limit is found while reading.
      for (let i = 0; i < 20; i++) request.write(Buffer.alloc(8192, 1));
      request.end();
    });
    expect(status).toBe(413);
  });

  it('closes a connection that never finishes its headers (slow loris)', async () => {
    const slow = await serve(h, ['--web.request-timeout=2s']);
    try {
      const started = Date.now();
      const answer = await rawExchange(slow.port, 'POST /write HTTP/1.1\r\nHost: x\r\n', 10_000);
      expect(answer === '' || /^HTTP\/1\.1 408 /.test(answer)).toBe(true);
      expect(Date.now() - started).toBeLessThan(9_000);
    } finally {
      await slow.close();
    }
  });

  it('closes, without a 4xx Prometheus would drop the batch for, a connection whose body is too slow', async () => {
    const slow = await serve(h, ['--web.request-timeout=2s']);
    try {
      const answer = await rawExchange(
        slow.port,
        'POST /write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100\r\n\r\nonly part of it',
        10_000,
      );
      expect(answer).toBe('');
      expect(
        h.logs.some(
          (line) => line.msg === 'request body not received within the request timeout; connection closed',
        ),
      ).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it('finishes a write in flight when stopped, then refuses new connections', async () => {
    // Prepare: every WriteRecords call takes 600 ms.
    const stopping = await serve(h);
    h.emulator.setFault({ operation: 'WriteRecords', latencyMs: 600 });
    try {
      const inFlight = fetch(`${stopping.url}/write`, {
        method: 'POST',
        headers: PROMETHEUS_HEADERS,
        body: writeBody(nodeSeries(5, Date.now(), 'graceful')),
      });
      await new Promise((resolve) => setTimeout(resolve, 200));

      // Act
      const closed = stopping.close();

      // Assess
      expect((await inFlight).status).toBe(204);
      await closed;
      await expect(fetch(`${stopping.url}/healthz`)).rejects.toThrow();
    } finally {
      h.emulator.clearFaults();
    }
  });
});

describe('standalone server with TLS', () => {
  let h: Harness;
  let server: RunningServer;
  beforeAll(async () => {
    h = await startHarness();
    server = await serve(h, [
      `--tls-certificate=${join(TLS_DIR, 'cert.pem')}`,
      `--tls-key=${join(TLS_DIR, 'key.pem')}`,
    ]);
  });
  afterAll(async () => {
    await server.close();
    await h.stop();
  });

  const handshake = (options: {
    minVersion?: 'TLSv1' | 'TLSv1.2';
    maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  }) =>
    new Promise<string>((resolve) => {
      const socket = tlsConnect({
        port: server.port,
        host: '127.0.0.1',
        rejectUnauthorized: false,
        // Lets this client offer TLS 1.0/1.1 at all, so the refusal is the server's.
        ciphers: 'DEFAULT@SECLEVEL=0',
        ...options,
      });
      socket.on('secureConnect', () => {
        const protocol = socket.getProtocol() ?? 'unknown';
        socket.destroy();
        resolve(protocol);
      });
      socket.on('error', (error) => resolve(`refused: ${error.message}`));
    });

  it('serves HTTPS on the same routes', async () => {
    expect(server.url).toMatch(/^https:\/\//);
    const protocol = await handshake({ maxVersion: 'TLSv1.3' });
    expect(protocol).toBe('TLSv1.3');
  });

  it('accepts TLS 1.2', async () => {
    expect(await handshake({ maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');
  });

  it('refuses TLS 1.0 and 1.1', async () => {
    expect(await handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1' })).toMatch(/^refused: /);
  });
});
