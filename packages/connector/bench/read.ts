/**
 * Figure 5, read: a remote read of 100 series × 1 hour at 15 s (24,000 samples; half counters,
 * half gauges) from the emulator through the connector's standalone server, answered as SAMPLES
 * and as STREAMED_XOR_CHUNKS: wall time, the connector's and the emulator's CPU per read, the
 * connector's peak RSS (VmHWM of its process, started for the section), response bytes per sample, and how many samples fit one Lambda response (6 MB of JSON holding the body in base64).
 */
import {
  compressSnappyBlock,
  decodeChunkedReadResponse,
  decodeReadResponse,
  encodeReadRequest,
  encodeWriteRequestV1,
  type ResponseType,
} from '@prometheus-timestream/codec';
import { startConnectorProcess, startEmulatorProcess } from '../support/cli-processes.js';
import { Workspace } from '../support/peers.js';
import { BASIC_AUTH, cpuSeconds, median, peakRssBytes, postBodies } from './lib.js';

const mean = (values: readonly number[]): number =>
  values.reduce((sum, value) => sum + value, 0) / values.length;

export const SERIES = 100;
export const STEP_MS = 15_000;
export const HOUR_MS = 3_600_000;
const METRIC = 'bench_read';
/** Lambda's synchronous response limit, and the share of it a base64 body can use. */
const LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024;
const BASE64_EXPANSION = 4 / 3;

/** Deterministic values: counters rise by uneven steps, gauges wander (what XOR chunks meet). */
const sampleValue = (series: number, step: number): number => {
  const noise = Math.sin(series * 7.3 + step * 1.7) * 0.5 + 0.5;
  return series % 2 === 0
    ? Math.floor(step * (10 + series) + noise * 40)
    : Math.round((50 + 30 * Math.sin(step / 20 + series) + noise * 5) * 1000) / 1000;
};

/** The section's data as remote-write bodies, the last sample at `end` (also the read profile's). */
export const writeBodies = (end: number): Uint8Array[] => {
  const steps = HOUR_MS / STEP_MS;
  const bodies: Uint8Array[] = [];
  // 20 series per body: 4,800 samples a request.
  for (let first = 0; first < SERIES; first += 20) {
    const series = Array.from({ length: 20 }, (_, i) => ({
      labels: [
        { name: '__name__', value: METRIC },
        { name: 'instance', value: 'bench:9100' },
        { name: 'job', value: 'bench' },
        { name: 'series', value: String(first + i).padStart(3, '0') },
      ],
      samples: Array.from({ length: steps }, (_, step) => ({
        timestampMs: end - HOUR_MS + (step + 1) * STEP_MS,
        value: sampleValue(first + i, step),
      })),
    }));
    bodies.push(compressSnappyBlock(encodeWriteRequestV1({ series })));
  }
  return bodies;
};

export interface ReadRun {
  readonly responseType: ResponseType;
  readonly samples: number;
  readonly responseBytes: number;
  readonly bytesPerSample: number;
  readonly wallMs: number;
  /**
   * Mean over the reads, not median: /proc counts CPU in 10 ms ticks, so one read's figure is a
   * multiple of 10 ms and a median of them moves in 10 ms steps; the mean converges on the truth.
   */
  readonly connectorCpuMs: number;
  readonly emulatorCpuMs: number;
  /** The most samples one Lambda response could carry at this density. */
  readonly samplesPerLambdaResponse: number;
}

export interface ReadFigures {
  readonly series: number;
  readonly samples: number;
  readonly reads: number;
  /** Peak RSS of the connector over the section (the writes that load the data included), bytes. */
  readonly connectorPeakRssBytes: number;
  readonly runs: Record<ResponseType, ReadRun>;
}

/** The read of every series over the hour before `end` (also the read profile's). */
export const readRequestBody = (end: number, responseType: ResponseType): Uint8Array =>
  encodeReadRequest({
    queries: [
      {
        startTimestampMs: end - HOUR_MS,
        endTimestampMs: end,
        matchers: [{ type: 'EQ', name: '__name__', value: METRIC }],
      },
    ],
    acceptedResponseTypes: [responseType],
  });

/** The headers Prometheus sends with a remote-read body, with the benchmark's credentials. */
export const READ_HEADERS = {
  authorization: BASIC_AUTH,
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-read-version': '0.1.0',
} as const;

const countSamples = (responseType: ResponseType, body: Uint8Array): number =>
  responseType === 'SAMPLES'
    ? decodeReadResponse(body).reduce(
        (n, result) => n + result.series.reduce((m, series) => m + series.samples.length, 0),
        0,
      )
    : decodeChunkedReadResponse(body).reduce((n, series) => n + series.samples.length, 0);

export const benchRead = async (options: { readonly quick: boolean }): Promise<ReadFigures> => {
  const reads = options.quick ? 2 : 40;
  const workspace = new Workspace('bench-read');
  try {
    const emulator = await startEmulatorProcess(workspace);
    const connector = await startConnectorProcess(workspace, emulator);
    const end = Math.floor(Date.now() / STEP_MS) * STEP_MS;
    const bodies = writeBodies(end);
    const written = await postBodies(
      `${connector.url}/write`,
      { bodies, samplesPerBody: (SERIES / bodies.length) * (HOUR_MS / STEP_MS), series: SERIES },
      { concurrency: 1, headers: { authorization: BASIC_AUTH } },
    );
    if (Object.keys(written.failures).length > 0)
      throw new Error(`writing the data failed: ${JSON.stringify(written.failures)}`);
    const pid = connector.process.pid as number;
    const emulatorPid = emulator.process.pid as number;
    const read = async (responseType: ResponseType) => {
      const started = performance.now();
      const cpu0 = cpuSeconds(pid);
      const emulatorCpu0 = cpuSeconds(emulatorPid);
      const response = await fetch(`${connector.url}/read`, {
        method: 'POST',
        headers: READ_HEADERS,
        body: readRequestBody(end, responseType),
      });
      const body = new Uint8Array(await response.arrayBuffer());
      const wallMs = performance.now() - started;
      const cpuMs = (cpuSeconds(pid) - cpu0) * 1000;
      const emulatorCpuMs = (cpuSeconds(emulatorPid) - emulatorCpu0) * 1000;
      if (response.status !== 200)
        throw new Error(`read ${responseType}: ${response.status} ${Buffer.from(body).toString('utf8')}`);
      return { body, wallMs, cpuMs, emulatorCpuMs };
    };
    const types: ResponseType[] = ['SAMPLES', 'STREAMED_XOR_CHUNKS'];
    for (const type of types) await read(type);
    type Measured = { wall: number[]; cpu: number[]; emulatorCpu: number[]; body: Uint8Array };
    const measured: Record<ResponseType, Measured> = {
      SAMPLES: { wall: [], cpu: [], emulatorCpu: [], body: new Uint8Array() },
      STREAMED_XOR_CHUNKS: { wall: [], cpu: [], emulatorCpu: [], body: new Uint8Array() },
    };
    // Alternated, so both types meet the same machine.
    for (let i = 0; i < reads; i++) {
      for (const type of types) {
        const { body, wallMs, cpuMs, emulatorCpuMs } = await read(type);
        measured[type].wall.push(wallMs);
        measured[type].cpu.push(cpuMs);
        measured[type].emulatorCpu.push(emulatorCpuMs);
        measured[type].body = body;
      }
    }
    const runs = Object.fromEntries(
      types.map((type) => {
        const { body, wall, cpu, emulatorCpu } = measured[type];
        const samples = countSamples(type, body);
        const bytesPerSample = body.length / samples;
        return [
          type,
          {
            responseType: type,
            samples,
            responseBytes: body.length,
            bytesPerSample,
            wallMs: median(wall),
            connectorCpuMs: mean(cpu),
            emulatorCpuMs: mean(emulatorCpu),
            samplesPerLambdaResponse: Math.floor(LAMBDA_RESPONSE_BYTES / BASE64_EXPANSION / bytesPerSample),
          },
        ];
      }),
    ) as Record<ResponseType, ReadRun>;
    return {
      series: SERIES,
      samples: SERIES * (HOUR_MS / STEP_MS),
      reads,
      connectorPeakRssBytes: peakRssBytes(pid),
      runs,
    };
  } finally {
    await workspace.stop();
  }
};
