/**
 * Figure 6, cost: Timestream write units per million samples, from the emulator's metering (AWS's
 * formula: per call, CommonAttributes once plus each record's own fields, rounded up to KiB), for
 * the connector's batching and for the Go connector's: every sample a record with its full
 * dimension list and measure name, 100 records per call in arrival order, no CommonAttributes.
 * The same bodies go to both, each into an emulator of its own. Write units do not vary between
 * runs, so one run is the figure.
 */
import { type _Record, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import { decodeWriteRequest, seriesWithSamples } from '@prometheus-timestream/codec';
import {
  DATABASE,
  type Emulator,
  startConnectorProcess,
  startEmulatorProcess,
  TABLE,
} from '../support/cli-processes.js';
import { capturedLabelSets } from '../support/load.js';
import { Workspace } from '../support/peers.js';
import { BASIC_AUTH, emulatorWriteClient, postBodies, type RequestBodies, requestBodies } from './lib.js';

interface WriteMetering {
  readonly calls: number;
  readonly recordsIngested: number;
  readonly writeUnits: number;
  readonly writeBytes: number;
}

const writeMetering = async (emulator: Emulator): Promise<WriteMetering> =>
  ((await emulator.admin('/__admin/metering')) as { writes: WriteMetering }).writes;

/** The Go connector's records (go-connector.md §3): full dimensions, value with 6 fixed decimals. */
const goConnectorRecords = (body: Uint8Array): _Record[] =>
  seriesWithSamples(decodeWriteRequest(body)).flatMap((series) => {
    const measureName = series.labels.find((label) => label.name === '__name__')?.value;
    const dimensions = series.labels
      .filter((label) => label.name !== '__name__')
      .map(({ name, value }) => ({ Name: name, Value: value }));
    return series.samples.map((sample) => ({
      Dimensions: dimensions,
      MeasureName: measureName,
      MeasureValue: sample.value.toFixed(6),
      MeasureValueType: 'DOUBLE' as const,
      Time: String(sample.timestampMs),
      TimeUnit: 'MILLISECONDS' as const,
    }));
  });

const GO_BATCH_RECORDS = 100;

const writeLikeGoConnector = async (emulator: Emulator, bodies: RequestBodies): Promise<void> => {
  const client = emulatorWriteClient(emulator);
  try {
    for (const body of bodies.bodies) {
      const records = goConnectorRecords(body);
      for (let i = 0; i < records.length; i += GO_BATCH_RECORDS) {
        await client.send(
          new WriteRecordsCommand({
            DatabaseName: DATABASE,
            TableName: TABLE,
            Records: records.slice(i, i + GO_BATCH_RECORDS),
          }),
        );
      }
    }
  } finally {
    client.destroy();
  }
};

export interface CostSide {
  readonly calls: number;
  readonly records: number;
  readonly writeUnits: number;
  readonly writeUnitsPerMillionSamples: number;
  readonly bytesPerSample: number;
}

export interface CostFigures {
  readonly samplesPerRequest: number;
  readonly samples: number;
  readonly connector: CostSide;
  readonly goConnector: CostSide;
  /** 1 − connector / Go connector write units. */
  readonly saving: number;
}

const sideOf = (metering: WriteMetering, samples: number): CostSide => ({
  calls: metering.calls,
  records: metering.recordsIngested,
  writeUnits: metering.writeUnits,
  writeUnitsPerMillionSamples: (metering.writeUnits * 1_000_000) / samples,
  bytesPerSample: metering.writeBytes / samples,
});

export const benchCost = async (
  samplesPerRequest: number,
  options: { readonly quick: boolean },
): Promise<CostFigures> => {
  const samples = options.quick ? 10_000 : 200_000;
  const bodies = requestBodies(
    Math.ceil(samples / samplesPerRequest),
    samplesPerRequest,
    capturedLabelSets(),
  );
  const sent = bodies.bodies.length * samplesPerRequest;
  const workspace = new Workspace('bench-cost');
  try {
    const connectorEmulator = await startEmulatorProcess(workspace);
    const connector = await startConnectorProcess(workspace, connectorEmulator);
    const load = await postBodies(`${connector.url}/write`, bodies, {
      concurrency: 4,
      headers: { authorization: BASIC_AUTH },
    });
    if (load.samplesAccepted !== sent)
      throw new Error(`the connector refused requests: ${JSON.stringify(load.failures)}`);
    const goEmulator = await startEmulatorProcess(workspace);
    await writeLikeGoConnector(goEmulator, bodies);
    const connectorSide = sideOf(await writeMetering(connectorEmulator), sent);
    const goSide = sideOf(await writeMetering(goEmulator), sent);
    for (const side of [connectorSide, goSide]) {
      if (side.records !== sent) throw new Error(`${side.records} of ${sent} records were stored`);
    }
    return {
      samplesPerRequest,
      samples: sent,
      connector: connectorSide,
      goConnector: goSide,
      saving: 1 - connectorSide.writeUnits / goSide.writeUnits,
    };
  } finally {
    await workspace.stop();
  }
};
