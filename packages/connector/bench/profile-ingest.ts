/**
 * Ad-hoc: the connector (and, with a fifth argument, the emulator) under ingest load with
 * `--cpu-prof`, to find where its CPU goes.
 *
 *   node .bench/profile.mjs [samples=200000] [samples per request=500] [profile dir] [emulator profile dir]
 */

import { startConnectorProcess, startEmulatorProcess } from '../support/cli-processes.js';
import { capturedLabelSets } from '../support/load.js';
import { Workspace } from '../support/peers.js';
import { BASIC_AUTH, cpuSeconds, postBodies, requestBodies } from './lib.js';

const [samples = 200_000, size = 500] = process.argv.slice(2, 4).map(Number);
const profileArgs = (dir: string | undefined) =>
  dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
const workspace = new Workspace('bench-profile');
const emulator = await startEmulatorProcess(workspace, [], { nodeArgs: profileArgs(process.argv[5]) });
const connector = await startConnectorProcess(workspace, emulator, [], {
  nodeArgs: profileArgs(process.argv[4] ?? '/tmp/prof'),
});
const pid = connector.process.pid as number;
const emulatorPid = emulator.process.pid as number;
const bodies = requestBodies(Math.ceil(samples / size), size, capturedLabelSets());
const cpu0 = cpuSeconds(pid);
const emulator0 = cpuSeconds(emulatorPid);
const result = await postBodies(`${connector.url}/write`, bodies, {
  concurrency: 4,
  headers: { authorization: BASIC_AUTH },
});
const cpu = cpuSeconds(pid) - cpu0;
console.log({
  samples: result.samplesAccepted,
  seconds: result.seconds,
  cpu,
  perCpuSecond: result.samplesAccepted / cpu,
  emulatorCpu: cpuSeconds(emulatorPid) - emulator0,
  failures: result.failures,
});
// SIGINT lets Node write the profiles; SIGTERM (the workspace's stop) would not.
connector.process.signal('SIGINT');
emulator.process.signal('SIGINT');
await new Promise((resolve) => setTimeout(resolve, 2_000));
await workspace.stop();
