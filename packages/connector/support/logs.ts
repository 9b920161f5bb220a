/**
 * A logger for tests: debug and up, JSON, every line kept parsed. Imports nothing but the
 * connector's logger, so unit tests that use it load no emulator.
 */
import { createLogger, type Logger } from '../src/logger.js';

/** A debug logger that keeps every line it writes, parsed. */
export const capturingLogger = (): { readonly logger: Logger; readonly logs: Record<string, unknown>[] } => {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    format: 'json',
    enabled: true,
    write: (line) => logs.push(JSON.parse(line)),
  });
  return { logger, logs };
};
