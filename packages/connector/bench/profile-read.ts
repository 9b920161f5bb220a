/**
 * Ad-hoc: the connector under the read section's remote reads (24,000 samples each) with
 * `--cpu-prof`, to find where its CPU goes.
 *
 *   npx esbuild packages/connector/bench/profile-read.ts --bundle --platform=node --format=esm \
 *     --target=node24 --packages=external --outfile=packages/connector/.bench/profile-read.mjs
 *   node packages/connector/.bench/profile-read.mjs [reads per type=40] [SAMPLES|STREAMED_XOR_CHUNKS|both] [profile dir]
 *
 * Without a profile dir it only measures: the connector's CPU per read, median and mean over the reads.
 */
import type { ResponseType } from '@prometheus-timestream/codec';
import { startConnectorProcess, startEmulatorProcess } from '../support/cli-processes.js';
import { Workspace } from '../support/peers.js';
import { BASIC_AUTH, cpuSeconds, median, postBodies } from './lib.js';
import { HOUR_MS, READ_HEADERS, readRequestBody, SERIES, STEP_MS, writeBodies } from './read.js';

const reads = Number(process.argv[2] ?? 40);
const which = process.argv[3] ?? 'both';
const profileDir = process.argv[4];
const types: ResponseType[] = which === 'both' ? ['SAMPLES', 'STREAMED_XOR_CHUNKS'] : [which as ResponseType];
const workspace = new Workspace('bench-profile-read');
const emulator = await startEmulatorProcess(workspace);
const connector = await startConnectorProcess(workspace, emulator, [], {
  nodeArgs: profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
});
const pid = connector.process.pid as number;
const end = Math.floor(Date.now() / STEP_MS) * STEP_MS;
const bodies = writeBodies(end);
await postBodies(
  `${connector.url}/write`,
  { bodies, samplesPerBody: (SERIES / bodies.length) * (HOUR_MS / STEP_MS), series: SERIES },
  { concurrency: 1, headers: { authorization: BASIC_AUTH } },
);
const cpu: Record<string, number[]> = Object.fromEntries(types.map((type) => [type, []]));
for (let i = 0; i < reads; i++)
  for (const type of types) {
    const cpu0 = cpuSeconds(pid);
    const response = await fetch(`${connector.url}/read`, {
      method: 'POST',
      headers: READ_HEADERS,
      body: readRequestBody(end, type),
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`read ${type}: ${response.status}`);
    cpu[type]?.push((cpuSeconds(pid) - cpu0) * 1000);
  }
// /proc counts CPU in 10 ms ticks: the mean over many reads resolves what one read's median cannot.
const mean = (values: readonly number[]): number =>
  values.reduce((sum, value) => sum + value, 0) / values.length;
console.log(
  Object.fromEntries(
    Object.entries(cpu).map(([type, ms]) => [type, { medianCpuMs: median(ms), meanCpuMs: mean(ms) }]),
  ),
);
// SIGINT lets Node write the profile; SIGTERM (the workspace's stop) would not.
connector.process.signal('SIGINT');
await new Promise((resolve) => setTimeout(resolve, 2_000));
await workspace.stop();
