/**
 * Structured logs, one line per event: JSON by default, logfmt on request. Callers pass counts,
 * sizes and durations; label values and bodies only at debug; credentials never.
 */
import { LOG_LEVELS, type LogFormat, type LogLevel } from './options.js';

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  readonly debug: (message: string, fields?: LogFields) => void;
  readonly info: (message: string, fields?: LogFields) => void;
  readonly warn: (message: string, fields?: LogFields) => void;
  readonly error: (message: string, fields?: LogFields) => void;
  readonly isDebugEnabled: boolean;
}

/** Each level's rank: LOG_LEVELS lists them least severe first. */
const SEVERITY = Object.fromEntries(LOG_LEVELS.map((level, rank) => [level, rank])) as Readonly<
  Record<LogLevel, number>
>;

const logfmtValue = (value: string | number | boolean): string => {
  const text = String(value);
  return /^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text);
};

export const formatLine = (
  format: LogFormat,
  level: LogLevel,
  message: string,
  fields: LogFields,
  time: Date,
): string => {
  const entries: [string, string | number | boolean][] = [
    ['time', time.toISOString()],
    ['level', level],
    ['msg', message],
  ];
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) entries.push([key, value]);
  if (format === 'json') return JSON.stringify(Object.fromEntries(entries));
  return entries.map(([key, value]) => `${key}=${logfmtValue(value)}`).join(' ');
};

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly format: LogFormat;
  readonly enabled: boolean;
  /** Where lines go. @default process.stderr */
  readonly write?: (line: string) => void;
}

export const createLogger = (options: LoggerOptions): Logger => {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const threshold = options.enabled ? SEVERITY[options.level] : Number.POSITIVE_INFINITY;
  const at =
    (level: LogLevel) =>
    (message: string, fields: LogFields = {}): void => {
      if (SEVERITY[level] >= threshold) write(formatLine(options.format, level, message, fields, new Date()));
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    isDebugEnabled: threshold <= SEVERITY.debug,
  };
};
