import { createLogger, formatLine } from '../src/logger.js';

const TIME = new Date('2026-11-21T07:00:00.000Z');

describe('formatLine', () => {
  it.each([
    {
      format: 'json' as const,
      line: '{"time":"2026-11-21T07:00:00.000Z","level":"info","msg":"request","status":204,"skipped":"a=1, b=2","ok":true}',
    },
    {
      format: 'logfmt' as const,
      line: 'time=2026-11-21T07:00:00.000Z level=info msg=request status=204 skipped="a=1, b=2" ok=true',
    },
  ])('$format', ({ format, line }) => {
    expect(
      formatLine(
        format,
        'info',
        'request',
        { status: 204, skipped: 'a=1, b=2', ok: true, absent: undefined },
        TIME,
      ),
    ).toBe(line);
  });

  it('quotes logfmt values with quotes, spaces, equals signs and backslashes', () => {
    expect(formatLine('logfmt', 'warn', 'a "b"', { path: 'c:\\d', empty: '' }, TIME)).toBe(
      'time=2026-11-21T07:00:00.000Z level=warn msg="a \\"b\\"" path="c:\\\\d" empty=""',
    );
  });
});

describe('createLogger', () => {
  it.each([
    { level: 'debug' as const, enabled: true, expected: ['debug', 'info', 'warn', 'error'] },
    { level: 'warn' as const, enabled: true, expected: ['warn', 'error'] },
    { level: 'debug' as const, enabled: false, expected: [] },
  ])('level $level, enabled $enabled writes $expected', ({ level, enabled, expected }) => {
    const lines: string[] = [];
    const logger = createLogger({ level, format: 'json', enabled, write: (line) => lines.push(line) });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(lines.map((line) => JSON.parse(line).level)).toEqual(expected);
    expect(logger.isDebugEnabled).toBe(expected.includes('debug'));
  });
});
