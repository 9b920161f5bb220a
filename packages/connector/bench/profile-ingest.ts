/** Ad-hoc: the connector under ingest load with `--cpu-prof`, to find where its CPU goes. */
import { join } from 'node:path';
import { Workspace } from '../tests/e2e/helpers/peers.js';
import { freePort, waitForHttp } from '../tests/e2e/helpers/processes.js';
import {
  BASIC_AUTH,
  capturedLabelSets,
  cpuSeconds,
  DATABASE,
  postBodies,
  REPO,
  requestBodies,
  startEmulatorProcess,
  TABLE,
} from './lib.js';

const samples = Number(process.argv[2] ?? 200_000);
const size = Number(process.argv[3] ?? 500);
const workspace = new Workspace('bench-profile');
const emulator = await startEmulatorProcess(workspace);
const port = await freePort();
const child = workspace.start('connector', process.execPath, [
  '--cpu-prof',
  `--cpu-prof-dir=${process.argv[4] ?? '/tmp/prof'}`,
  join(REPO, 'packages', 'connector', 'bin', 'timestream-prometheus-connector.js'),
  `--default-database=${DATABASE}`,
  `--default-table=${TABLE}`,
  `--write-base-endpoint=${emulator.endpoint}`,
  `--web.listen-address=127.0.0.1:${port}`,
  '--log.level=error',
]);
await waitForHttp(child, `http://127.0.0.1:${port}/metrics`);
const all = requestBodies(Math.ceil(samples / size), size, capturedLabelSets());
const cpu0 = cpuSeconds(child.pid as number);
const emu0 = cpuSeconds(emulator.process.pid as number);
const result = await postBodies(`http://127.0.0.1:${port}/write`, all, {
  concurrency: 4,
  headers: { authorization: BASIC_AUTH },
});
const cpu = cpuSeconds(child.pid as number) - cpu0;
console.log({
  samples: result.samplesAccepted,
  seconds: result.seconds,
  cpu,
  perCpuSecond: result.samplesAccepted / cpu,
  emulatorCpu: cpuSeconds(emulator.process.pid as number) - emu0,
  failures: result.failures,
});
child.signal('SIGINT');
emulator.process.signal('SIGINT');
await new Promise((r) => setTimeout(r, 2000));
await workspace.stop();
