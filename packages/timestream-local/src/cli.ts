/** The `timestream-local` command: starts the emulator and stops it cleanly on SIGINT/SIGTERM. */
import { parseArgs } from 'node:util';
import { type LogLevel, startTimestreamLocal } from './index.js';

const USAGE = `Usage: timestream-local [options]
  --host HOST            address to listen on (default 127.0.0.1)
  --port PORT            port (default 8000; 0 picks a free one)
  --data-dir DIR         persist data in DIR (default: in memory)
  --create DB.TABLE      create a database and table at start (repeatable)
  --latency-ms MS        delay every answer by MS milliseconds
  --throttle-rate R      answer a fraction R (0-1) of calls with ThrottlingException
  --error-rate R         answer a fraction R (0-1) of calls with InternalServerException
  --empty-first-page     answer the first page of every query empty, with a NextToken
  --page-rows N          rows per page when a query does not set MaxRows (default: pages
                         filled up to 1 MB, as the service does)
  --log-level LEVEL      error | warn | info | debug (default info)
Admin API: POST/GET/DELETE /__admin/faults, GET/DELETE /__admin/metering, GET /__admin/requests`;

const fail = (message: string): never => {
  process.stderr.write(`timestream-local: ${message}\n${USAGE}\n`);
  process.exit(2);
};

const number = (value: string | undefined, name: string, min: number, max: number): number | undefined => {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max)
    fail(`${name} must be a number from ${min} to ${max}, got "${value}"`);
  return parsed;
};

const main = async (): Promise<void> => {
  let values: ReturnType<typeof parseArgs>['values'];
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        create: { type: 'string', multiple: true },
        'latency-ms': { type: 'string' },
        'throttle-rate': { type: 'string' },
        'error-rate': { type: 'string' },
        'empty-first-page': { type: 'boolean' },
        'page-rows': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
    return;
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const logLevel = (values['log-level'] as string | undefined) ?? 'info';
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel))
    fail(`--log-level must be error, warn, info or debug, got "${logLevel}"`);
  const emulator = await startTimestreamLocal({
    host: (values.host as string | undefined) ?? '127.0.0.1',
    port: number(values.port as string | undefined, '--port', 0, 65535) ?? 8000,
    ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] as string }),
    create: (values.create as string[] | undefined) ?? [],
    faults: {
      latencyMs: number(values['latency-ms'] as string | undefined, '--latency-ms', 0, 60_000) ?? 0,
      throttleRate: number(values['throttle-rate'] as string | undefined, '--throttle-rate', 0, 1) ?? 0,
      errorRate: number(values['error-rate'] as string | undefined, '--error-rate', 0, 1) ?? 0,
    },
    emptyFirstPage: values['empty-first-page'] === true,
    pageRows: number(values['page-rows'] as string | undefined, '--page-rows', 1, 1000),
    logLevel: logLevel as LogLevel,
  });
  process.stdout.write(`timestream-local listening on ${emulator.endpoint}\n`);
  const stop = () => {
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
};

main().catch((error: unknown) => {
  process.stderr.write(`timestream-local: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
