#!/usr/bin/env node
// Puts the Linux glibc builds of snappy's native binding for both Lambda architectures
// (x64 and arm64) into packages/infra/native/, from the npm registry, at the version the
// installed `snappy` expects. npm installs only the build machine's own binding, and a Lambda
// asset must carry its function's architecture (an x86 binary crashes an ARM_64 function). With
// these files the construct bundles offline for either architecture, and `npm pack` ships them.
// Run by `npm install` (root `prepare`); without network access it warns and leaves synth to
// name what is missing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NATIVE = join(dirname(fileURLToPath(import.meta.url)), '..', 'native');
const codec = createRequire(import.meta.url).resolve('@prometheus-timestream/codec');
const snappy = JSON.parse(readFileSync(createRequire(codec).resolve('snappy/package.json'), 'utf8'));

for (const arch of ['x64', 'arm64']) {
  const name = `@napi-rs/snappy-linux-${arch}-gnu`;
  const version = snappy.optionalDependencies?.[name];
  const target = join(NATIVE, name);
  const manifest = join(target, 'package.json');
  if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).version === version) continue;
  const work = mkdtempSync(join(tmpdir(), 'snappy-native-'));
  try {
    const file = execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', work, '--silent'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
    execFileSync('tar', ['-xzf', join(work, file.split('\n').pop()), '-C', work]);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(dirname(target), { recursive: true });
    renameSync(join(work, 'package'), target);
    process.stdout.write(`fetch-native-snappy: ${name}@${version} → ${target}\n`);
  } catch (error) {
    process.stderr.write(
      `fetch-native-snappy: could not fetch ${name}@${version} (${error.message.split('\n')[0]}); ` +
        'bundling the Lambda function for that architecture will fail until this script runs with network access\n',
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
