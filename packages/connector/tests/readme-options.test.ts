/**
 * The README's configuration tables against the option tables the parser uses (options.ts, and
 * cli-options.ts for the command's own options): the same options in the same order, each with
 * its flag, Lambda variable and default, so the documentation cannot drift from the code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_OPTIONS, DEFAULT_EMULATOR_PORT } from '../src/cli-options.js';
import { CONFIG_OPTIONS } from '../src/options.js';

const README = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

interface Row {
  /** The flags the row documents, without `--` (one row may name two, as the TLS pair). */
  readonly flags: readonly string[];
  readonly cells: readonly string[];
}

/** The rows of the first table after the line `heading` (header and separator left out). */
const tableAfter = (heading: string): Row[] => {
  const lines = README.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`README.md has no line "${heading}"`);
  const first = lines.findIndex((line, i) => i > start && line.startsWith('|'));
  const end = lines.findIndex((line, i) => i > first && !line.startsWith('|'));
  return lines.slice(first + 2, end).map((line) => {
    const cells = line
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim());
    const flags = [...(cells[0] ?? '').matchAll(/`--([^`]+)`/g)].map((match) => match[1] as string);
    return { flags, cells };
  });
};

/** A cell as the reader sees it: without code marks; a default's note after `;` left out. */
const plain = (cell: string | undefined): string =>
  (cell ?? '').replaceAll('`', '').split(';')[0]?.trim() ?? '';

describe('README.md, Reference › Configuration', () => {
  const rows = tableAfter('### Configuration');
  const documented = rows.flatMap((row) => row.flags.map((flag) => ({ flag, row })));
  const options = Object.values(CONFIG_OPTIONS);

  it('lists every option of the option table once, in its order, and no other', () => {
    expect(documented.map(({ flag }) => flag)).toEqual(options.map((spec) => spec.flag));
  });

  it.each(options.map((spec) => [spec.flag, spec] as const))(
    '--%s: the Lambda variable and the default are the option table’s',
    (flag, spec) => {
      // Prepare
      const row = documented.find((entry) => entry.flag === flag)?.row;
      const [, variable, defaultText] = row?.cells ?? [];

      // Assess: "—" where Lambda does not read it; "required", or the default as typed ("none" for empty).
      expect(plain(variable)).toBe(spec.env ?? '—');
      if ('required' in spec) expect(plain(defaultText)).toBe('required');
      else if (spec.defaultValue !== undefined)
        expect(plain(defaultText)).toBe(spec.defaultValue === '' ? 'none' : spec.defaultValue);
      else expect(plain(defaultText)).not.toBe('required');
    },
  );
});

describe('README.md, options of the command only', () => {
  const rows = tableAfter('Options of the command only (not of Lambda):');

  it('lists the CLI’s own options, in order, then --help', () => {
    expect(rows.flatMap((row) => row.flags)).toEqual([
      ...Object.values(CLI_OPTIONS).map((spec) => spec.flag),
      'help',
    ]);
  });

  it('gives the emulator port the CLI defaults to', () => {
    const row = rows.find((entry) => entry.flags.includes(CLI_OPTIONS.emulatorPort.flag));
    expect(plain(row?.cells[1])).toBe(String(DEFAULT_EMULATOR_PORT));
  });
});
