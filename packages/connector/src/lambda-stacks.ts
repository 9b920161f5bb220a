/**
 * Stack traces of the bundled Lambda function in terms of the TypeScript sources, read from the
 * bundle's source maps only when a stack is formatted. `NODE_OPTIONS=--enable-source-maps` gives the
 * same traces but reads and indexes every loaded chunk's map at load, which cost ~13 ms of each
 * cold start (bench figure 4) for traces that only an unexpected error ever prints.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Each generated file's source map, or undefined when it has none (read once per file). */
const sourceMaps = new Map<string, SourceMap | undefined>();

const sourceMapOf = (file: string): SourceMap | undefined => {
  if (!sourceMaps.has(file)) {
    let map: SourceMap | undefined;
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = undefined;
    }
    sourceMaps.set(file, map);
  }
  return sourceMaps.get(file);
};

/** What V8's call sites give beyond @types/node's CallSite: where the frame's function starts. */
interface EnclosingSite {
  readonly getEnclosingLineNumber?: () => number | null;
  readonly getEnclosingColumnNumber?: () => number | null;
}

/** The original name at a 1-based generated position, if the map names one there. */
const originalName = (map: SourceMap, line: number | null | undefined, column: number | null | undefined) =>
  line === null || line === undefined || column === null || column === undefined
    ? undefined
    : // Node.js gives the name too, though @types/node's SourceMapping lacks it.
      (map.findEntry(line - 1, column - 1) as { name?: string }).name;

/**
 * One frame, `function (source:line:column)` in the original source when the map knows it. The
 * function's name is, as Node.js's own mapping finds it, the name mapped at the start of the
 * enclosing function, else the one at the caller's call.
 */
const mappedFrame = (site: NodeJS.CallSite, caller: NodeJS.CallSite | undefined): string => {
  const url = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (url?.startsWith('file:') !== true || line === null || column === null) return site.toString();
  const file = fileURLToPath(url);
  const map = sourceMapOf(file);
  const entry = map?.findEntry(line - 1, column - 1);
  if (map === undefined || entry === undefined || !('originalSource' in entry)) return site.toString();
  const source = entry.originalSource.startsWith('file:')
    ? fileURLToPath(entry.originalSource)
    : resolve(dirname(file), entry.originalSource);
  const enclosing = site as unknown as EnclosingSite;
  const name =
    originalName(map, enclosing.getEnclosingLineNumber?.(), enclosing.getEnclosingColumnNumber?.()) ??
    (caller?.getFileName() === url
      ? originalName(map, caller?.getLineNumber(), caller?.getColumnNumber())
      : undefined) ??
    site.getFunctionName() ??
    '<anonymous>';
  const location = `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  return `${site.isAsync() ? 'async ' : ''}${name} (${location})`;
};

const header = (error: Error): string => {
  try {
    return String(error);
  } catch {
    return 'Error';
  }
};

/**
 * Makes every stack trace formatted from now on name the original sources of the frames that have
 * a source map, reading each map at the first trace that needs it. Does nothing when Node.js maps
 * stacks itself (`--enable-source-maps`).
 */
export const mapStackTracesLazily = (): void => {
  if (process.sourceMapsEnabled) return;
  Error.prepareStackTrace = (error, sites) =>
    `${header(error)}${sites.map((site, i) => `\n    at ${mappedFrame(site, sites[i + 1])}`).join('')}`;
};
