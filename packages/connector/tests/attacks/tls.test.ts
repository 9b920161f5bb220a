/**
 * Attack: downgrade the standalone server's TLS to a version with known weaknesses. The server
 * offers TLS 1.2 and 1.3 only (that it accepts them is in server.test.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { RunningServer } from '../../src/server.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { type HandshakeVersions, serve, TLS_DIR, tlsHandshake } from './helpers.js';

const CERTIFICATE = join(TLS_DIR, 'cert.pem');
const KEY = join(TLS_DIR, 'key.pem');
const OLD_VERSIONS: { description: string; versions: HandshakeVersions; protocol: string }[] = [
  {
    description: 'TLS 1.0 and 1.1',
    versions: { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' },
    protocol: 'TLSv1.1',
  },
  { description: 'TLS 1.0 only', versions: { minVersion: 'TLSv1', maxVersion: 'TLSv1' }, protocol: 'TLSv1' },
  {
    description: 'TLS 1.1 only',
    versions: { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' },
    protocol: 'TLSv1.1',
  },
];

describe('TLS downgrade', () => {
  let h: Harness;
  let server: RunningServer;
  beforeAll(async () => {
    h = await startHarness();
    server = await serve(h, [`--tls-certificate=${CERTIFICATE}`, `--tls-key=${KEY}`]);
  });
  afterAll(async () => {
    await server.close();
    await h.stop();
  });

  it.each(OLD_VERSIONS)('refuses a client offering $description', async ({ versions }) => {
    expect(await tlsHandshake(server.port, versions)).toMatch(/^refused: .*protocol version/);
  });

  it.each(OLD_VERSIONS)(
    '(control) the same client gets $protocol from a server that allows it',
    async ({ versions, protocol }) => {
      // Prepare: a deliberately weak server, so a refusal above is the connector's, not the client's.
      const weak = createServer({
        cert: readFileSync(CERTIFICATE),
        key: readFileSync(KEY),
        minVersion: 'TLSv1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      });
      await new Promise<void>((resolve) => weak.listen(0, '127.0.0.1', resolve));
      try {
        // Act + Assess
        expect(await tlsHandshake((weak.address() as AddressInfo).port, versions)).toBe(protocol);
      } finally {
        await new Promise((resolve) => weak.close(resolve));
      }
    },
  );
});
