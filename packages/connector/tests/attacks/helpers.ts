/**
 * Sockets-level helpers shared by the attack suites and the standalone server's feature tests: the
 * real server in front of a harness, raw HTTP exchanges, TLS handshakes with a chosen version.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { readFlags } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { basicAuth, type Harness } from '../../support/harness.js';

export const TLS_DIR = join(__dirname, '../fixtures/tls');

/** What Prometheus 2.42 sends with a remote-write 1.0 body, with the harness's default caller. */
export const PROMETHEUS_HEADERS = {
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
  Authorization: basicAuth(),
};

/** The standalone server on a free loopback port, in front of the harness's connector. */
export const serve = (h: Harness, flags: readonly string[] = []): Promise<RunningServer> =>
  startServer(
    readFlags(
      ['--default-database=prom', '--default-table=metrics', '--web.listen-address=127.0.0.1:0', ...flags],
      {},
    ),
    { connector: h.connector, logger: h.logger, metrics: h.metrics },
  );

/** Opens a plain TCP connection to the loopback port and resolves once it is connected. */
export const connectRaw = (port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });

/** Sends raw bytes on a fresh connection and resolves with everything the server answered. */
export const rawExchange = (port: number, bytes: string, waitMs = 3_000): Promise<string> =>
  new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });

export interface HandshakeVersions {
  readonly minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2';
  readonly maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
}

/** A TLS handshake with the server: the protocol agreed on, or `refused: <reason>`. */
export const tlsHandshake = (port: number, versions: HandshakeVersions): Promise<string> =>
  new Promise((resolve) => {
    const socket = tlsConnect({
      port,
      host: '127.0.0.1',
      rejectUnauthorized: false,
      // Lets this client offer TLS 1.0/1.1 at all, so a refusal is the server's.
      ciphers: 'DEFAULT@SECLEVEL=0',
      ...versions,
    });
    socket.on('secureConnect', () => {
      const protocol = socket.getProtocol() ?? 'unknown';
      socket.destroy();
      resolve(protocol);
    });
    socket.on('error', (error) => resolve(`refused: ${error.message}`));
  });
