/**
 * createConnector with fake clients: every answer, early refusals included, has one log line and
 * one count, whichever runtime asked; a bug is logged with its stack. No emulator.
 */
import type { ClientPool } from '../src/clients.js';
import { createConnector } from '../src/handler.js';
import { createLambdaHandler } from '../src/lambda.js';
import { createMetrics } from '../src/metrics.js';
import { capturingLogger } from '../support/logs.js';
import { configOf, context, head, request, series, writeBody } from './helpers/fakes.js';

const failingClients: ClientPool = {
  acquire: () => {
    throw new Error('no client for you');
  },
  size: () => 0,
  destroy: () => undefined,
};

const connectorWith = () => {
  const { logger, logs } = capturingLogger();
  const metrics = createMetrics();
  const connector = createConnector(configOf('--max-body-bytes=1024'), {
    clients: failingClients,
    logger,
    metrics,
  });
  const count = (handler: string, code: number): number =>
    Number(
      new RegExp(
        `^timestream_connector_http_requests_total\\{handler="${handler}",code="${code}"\\} (\\d+)$`,
        'm',
      ).exec(metrics.render())?.[1] ?? 0,
    );
  return { connector, logs, count };
};

describe('Connector.admit', () => {
  it.each([
    {
      description: 'an oversized body',
      checks: 'all' as const,
      overrides: { bodyLength: 1025 },
      status: 413,
    },
    {
      description: 'an oversized body, size alone',
      checks: 'body-size' as const,
      overrides: { bodyLength: 1025 },
      status: 413,
    },
    { description: 'no credentials', checks: 'all' as const, overrides: { headers: {} }, status: 401 },
  ])('refuses $description with $status, logged and counted', ({ checks, overrides, status }) => {
    // Prepare
    const { connector, logs, count } = connectorWith();

    // Act
    const refusal = connector.admit(head(overrides), context, checks);

    // Assess
    expect(refusal?.status).toBe(status);
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'request refused',
        requestId: 'unit',
        route: 'write',
        status,
        error: expect.any(String),
      }),
    ]);
    expect(count('write', status)).toBe(1);
  });

  it.each([
    { description: 'a request it admits', checks: 'all' as const, overrides: {} },
    // The server asks for the size alone before reading: credentials wait for the body, as before.
    { description: 'no credentials, size alone', checks: 'body-size' as const, overrides: { headers: {} } },
  ])('lets $description go on, unlogged', ({ checks, overrides }) => {
    const { connector, logs } = connectorWith();
    expect(connector.admit(head(overrides), context, checks)).toBeUndefined();
    expect(logs).toEqual([]);
  });
});

describe('Connector.handle', () => {
  it('answers a bug 500, logs its stack as an error, then the request line', async () => {
    // Prepare: the client pool throws a plain Error, as a bug would.
    const { connector, logs, count } = connectorWith();

    // Act
    const response = await connector.handle(request(writeBody(series(2, 'up'))), context);

    // Assess
    expect(response.status).toBe(500);
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'unexpected error',
        route: 'write',
        samples: 2,
        error: expect.stringMatching(/no client for you/),
      }),
      expect.objectContaining({
        level: 'warn',
        msg: 'request failed, Prometheus will retry',
        samples: 2,
        status: 500,
      }),
    ]);
    expect(logs[1]?.error).toBeUndefined();
    expect(count('write', 500)).toBe(1);
  });
});

describe('the Lambda adapter refuses through the same admission', () => {
  it('logs and counts an oversized event, without handling it', async () => {
    // Prepare
    const { connector, logs, count } = connectorWith();
    let handled = 0;
    const lambda = createLambdaHandler({
      admit: connector.admit,
      handle: (coreRequest, requestContext) => {
        handled++;
        return connector.handle(coreRequest, requestContext);
      },
    });
    const body = Buffer.alloc(1025).toString('base64');

    // Act
    const result = await lambda(
      {
        rawPath: '/write',
        requestContext: { http: { method: 'POST' } },
        headers: head().headers,
        body,
        isBase64Encoded: true,
      },
      { awsRequestId: 'lambda', getRemainingTimeInMillis: () => 30_000 },
    );

    // Assess
    expect([result.statusCode, result.body]).toEqual([413, 'request body of 1025 bytes exceeds 1024\n']);
    expect(handled).toBe(0);
    expect(logs).toEqual([
      expect.objectContaining({
        msg: 'request refused',
        requestId: 'lambda',
        route: 'write',
        bytes: 1025,
        status: 413,
      }),
    ]);
    expect(count('write', 413)).toBe(1);
  });
});
