/**
 * The standalone server over real sockets: routes, metrics, TLS and graceful shutdown. Its
 * defences (body limits, slow clients, old TLS versions) are in tests/attacks.
 */
import { join } from 'node:path';
import type { RunningServer } from '../src/server.js';
import { type Harness, nodeSeries, startHarness, writeBody } from '../support/harness.js';
import {
  type HandshakeVersions,
  PROMETHEUS_HEADERS,
  serve,
  TLS_DIR,
  tlsHandshake,
} from './attacks/helpers.js';

describe('standalone server', () => {
  let h: Harness;
  let server: RunningServer;
  beforeAll(async () => {
    h = await startHarness();
    server = await serve(h);
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

  const handshake = (versions: HandshakeVersions) => tlsHandshake(server.port, versions);

  it('serves HTTPS on the same routes', async () => {
    expect(server.url).toMatch(/^https:\/\//);
    const protocol = await handshake({ maxVersion: 'TLSv1.3' });
    expect(protocol).toBe('TLSv1.3');
  });

  it('accepts TLS 1.2', async () => {
    expect(await handshake({ maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');
  });
});
