#!/usr/bin/env node
// Records, in package-lock.json, the optional platform binaries (`@swc/core-darwin-arm64`,
// `@biomejs/cli-win32-x64`, ...) that the package registry reachable here does not serve. npm
// leaves them out of the lock when it cannot fetch them, and `npm ci` then refuses the lock as
// out of sync. Each is added as an optional entry with the `os`/`cpu` (and `libc`) its name
// states, so `npm ci` skips it on other platforms exactly as it would with a complete lock.
// Run after every `npm install` that changes the lock: `node .ci/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const packages = lock.packages;

const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openharmony', 'sunos', 'netbsd', 'openbsd'];
const CPU = ['x64', 'arm64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'wasm32'];

/** `os`, `cpu` and `libc` from a platform package name such as `cli-linux-arm64-musl`. */
const platformOf = (name) => {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((part) => OS.includes(part));
  const cpu = parts.find((part) => CPU.includes(part));
  if (cpu === 'wasm32') return { cpu: ['wasm32'] };
  if (os === undefined || cpu === undefined) return undefined;
  return {
    os: [os],
    cpu: [cpu],
    ...(parts.includes('musl')
      ? { libc: ['musl'] }
      : parts.includes('gnu') && os === 'linux'
        ? { libc: ['glibc'] }
        : {}),
  };
};

let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path === '' ? '' : `${path}/`}node_modules/${name}`;
    if (packages[nested] !== undefined || packages[`node_modules/${name}`] !== undefined) continue;
    const platform = platformOf(name);
    if (platform === undefined) {
      console.error(`cannot tell the platform of ${name}; add it to the lock by hand`);
      process.exitCode = 1;
      continue;
    }
    packages[`node_modules/${name}`] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...platform,
    };
    added++;
  }
}

lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => a.localeCompare(b, 'en')));
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} optional platform entries to package-lock.json`);
