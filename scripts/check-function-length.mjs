#!/usr/bin/env node
/**
 * No function in packages/<name>/src is longer than MAX_LINES lines (from the line its
 * declaration starts on to the line its body ends on), checked on every `npm run lint`: a longer
 * one holds several steps that deserve names of their own. Counts every function form (declared,
 * arrow, method, constructor, accessor), nested ones too, each on its own. Prints each offender
 * as file:line, its name and length, and exits 1 if there is any; nothing is exempt.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAX_LINES = 150;

const sourceFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });

/** The name a reader would search for: the declaration's own, or what it is assigned to. */
const nameOf = (node) => {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name !== undefined) return node.name.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
    return parent.name.getText();
  return '(anonymous)';
};

const offenders = [];
for (const src of readdirSync(join(REPO, 'packages')).map((name) => join(REPO, 'packages', name, 'src'))) {
  let files;
  try {
    files = sourceFiles(src);
  } catch {
    continue;
  }
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
        const line = (position) => source.getLineAndCharacterOfPosition(position).line + 1;
        const start = line(node.getStart(source));
        const length = line(node.getEnd()) - start + 1;
        if (length > MAX_LINES)
          offenders.push(`${relative(REPO, file)}:${start}: ${nameOf(node)} is ${length} lines`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
}

if (offenders.length > 0) {
  process.stderr.write(
    `functions longer than ${MAX_LINES} lines (split them into named steps):\n${offenders.map((line) => `  ${line}`).join('\n')}\n`,
  );
  process.exit(1);
}
process.stdout.write(`every function in packages/*/src is at most ${MAX_LINES} lines\n`);
