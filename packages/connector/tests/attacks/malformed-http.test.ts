/**
 * Attack: requests Node's HTTP parser refuses before they reach the connector. They get Node's
 * status (400, or 431 for headers over its limit), which nothing resent could change, with the
 * reason in the body and a log line; the server goes on serving.
 */
import type { RunningServer } from '../../src/server.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { rawExchange, serve } from './helpers.js';

describe('requests the HTTP parser refuses', () => {
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

  it.each([
    {
      description: 'a request line that is no HTTP',
      bytes: 'HELLO\r\n\r\n',
      status: 400,
      code: 'HPE_INVALID_METHOD',
    },
    {
      description: 'a header with a control character in its value',
      bytes: 'POST /write HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n',
      status: 400,
      code: 'HPE_INVALID_HEADER_TOKEN',
    },
    {
      description: 'headers over Node’s 16 KiB limit',
      bytes: `POST /write HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`,
      status: 431,
      code: 'HPE_HEADER_OVERFLOW',
    },
  ])('answers $status with the reason for $description', async ({ bytes, status, code }) => {
    // Act
    const answer = await rawExchange(server.port, bytes);

    // Assess
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answer).toMatch(/\r\nConnection: close\r\n/);
    expect(answer).toContain(`malformed HTTP request (${code})`);
    expect(h.logs).toContainEqual(
      expect.objectContaining({
        msg: 'malformed HTTP request answered',
        status,
        error: expect.stringContaining(code),
      }),
    );
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`^timestream_connector_http_requests_total\\{handler="none",code="${status}"\\} [1-9]`, 'm'),
    );
  });
});
