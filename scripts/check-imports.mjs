#!/usr/bin/env node
/**
 * The packages' import rules (ARCHITECTURE.md, "The packages"), checked on every `npm run lint`:
 * what each package's src/ may import, that no relative import leaves its package's src/, and that
 * bench/ and reliability/ share helpers with the tests only through the declared support module,
 * never by importing tests/. Prints each breach as file:line and exits 1 if there is any.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Bare specifiers each package's shipped code may import (node: built-ins are always allowed). The
 * codec is wire formats only; the emulator is an independent model of the service, so it imports no
 * other package of ours; only the connector talks to AWS; infra takes the connector's options, not
 * its runtime.
 */
const ALLOWED = {
  codec: [/^snappy$/],
  'timestream-local': [/^@duckdb\/node-(api|bindings)$/],
  connector: [
    /^@prometheus-timestream\/codec$/,
    /^@prometheus-timestream\/timestream-local$/,
    /^@aws-sdk\/client-(timestream-write|timestream-query|secrets-manager)$/,
    /^@smithy\//,
  ],
  infra: [
    /^aws-cdk-lib(\/.*)?$/,
    /^constructs$/,
    /^cdk-nag$/,
    /^esbuild$/,
    /^@prometheus-timestream\/connector\/options$/,
  ],
};

/** Folders whose code may not import from tests/ (the support module is what they share). */
const NOT_FROM_TESTS = ['packages/connector/bench', 'packages/connector/reliability'];

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"`]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

const filesUnder = (dir) => {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : filesUnder(path);
    return /\.(ts|mts|mjs|cjs|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
};

const importsOf = (file) => {
  const text = readFileSync(file, 'utf8');
  const found = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2];
    const line = text.slice(0, match.index + match[0].search(/\S/)).split('\n').length;
    found.push({ specifier, line });
  }
  return found;
};

const breaches = [];
const breach = (file, line, message) => breaches.push(`${relative(REPO, file)}:${line}: ${message}`);

for (const [name, allowed] of Object.entries(ALLOWED)) {
  const src = join(REPO, 'packages', name, 'src');
  for (const file of filesUnder(src)) {
    for (const { specifier, line } of importsOf(file)) {
      if (specifier.startsWith('node:')) continue;
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (!target.startsWith(`${src}/`))
          breach(file, line, `relative import "${specifier}" leaves packages/${name}/src`);
        continue;
      }
      if (!allowed.some((rule) => rule.test(specifier)))
        breach(file, line, `packages/${name}/src may not import "${specifier}" (see ARCHITECTURE.md)`);
    }
  }
}

for (const folder of NOT_FROM_TESTS) {
  for (const file of filesUnder(join(REPO, folder))) {
    for (const { specifier, line } of importsOf(file)) {
      if (
        specifier.startsWith('.') &&
        /(^|\/)tests(\/|$)/.test(relative(REPO, resolve(dirname(file), specifier)))
      )
        breach(file, line, `"${specifier}" imports from tests/: shared helpers live in the support module`);
    }
  }
}

if (breaches.length > 0) {
  process.stderr.write(`import rules broken:\n${breaches.map((line) => `  ${line}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('import rules hold: packages import only what ARCHITECTURE.md allows\n');
