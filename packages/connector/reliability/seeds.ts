/**
 * The fuzzer's seeds: the bodies a real Prometheus 2.42 sent (packages/codec/tests/fixtures), as
 * sent and decompressed, plus remote write 2.0 bodies made from them. Prometheus 2.42 sent no
 * native histograms or exemplars, so one body of each version gets some added to a copy of its
 * series, which takes the decoders' histogram and exemplar paths into the mutations.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  compressSnappyBlock,
  type DecodedSeries,
  decodeWriteRequestV1,
  decompressSnappyBlock,
  encodeWriteRequestV1,
  encodeWriteRequestV2,
  type MetricMetadata,
  type NativeHistogram,
  type SeriesInput,
  seriesWithSamples,
} from '@prometheus-timestream/codec';
import { REPO } from '../support/cli-processes.js';
import type { LayeredSeed } from './mutate.js';

export const FIXTURES = join(REPO, 'packages', 'codec', 'tests', 'fixtures');

export interface BodySeed extends LayeredSeed {
  /** The fixture it comes from, and how it was changed. */
  readonly name: string;
}

export interface Seeds {
  readonly write1: readonly BodySeed[];
  readonly write2: readonly BodySeed[];
  readonly read: readonly BodySeed[];
  /** The newest sample timestamp of the captured writes, ms: the emulator's clock is set just after it. */
  readonly newestTimestampMs: number;
}

const readBody = (directory: string, file: string): BodySeed => {
  const compressed = new Uint8Array(readFileSync(join(FIXTURES, directory, file)));
  return { name: `${directory}/${file}`, compressed, message: decompressSnappyBlock(compressed) };
};

const fromMessage = (name: string, message: Uint8Array): BodySeed => ({
  name,
  message,
  compressed: compressSnappyBlock(message),
});

const histogram = (timestampMs: number, kind: NativeHistogram['kind']): NativeHistogram => ({
  kind,
  count: kind === 'integer' ? 12 : 7.5,
  sum: 18.25,
  stale: false,
  schema: 3,
  zeroThreshold: 1e-128,
  zeroCount: kind === 'integer' ? 2 : 0.5,
  negativeSpans: [{ offset: -2, length: 1 }],
  negativeDeltas: kind === 'integer' ? [1] : [],
  negativeCounts: kind === 'float' ? [1.5] : [],
  positiveSpans: [
    { offset: 0, length: 2 },
    { offset: 3, length: 1 },
  ],
  positiveDeltas: kind === 'integer' ? [4, -1, 2] : [],
  positiveCounts: kind === 'float' ? [2, 1.5, 2.5] : [],
  resetHint: 'no',
  timestampMs,
  startTimestampMs: 0,
  customValues: [],
});

/** The first 20 series of a request, each with a native histogram and an exemplar added. */
const withHistograms = (series: readonly DecodedSeries[]): SeriesInput[] =>
  series.slice(0, 20).map((s, i) => {
    const timestampMs = s.samples[0]?.timestampMs ?? 1_700_000_000_000;
    return {
      labels: s.labels,
      samples: s.samples,
      histograms: [histogram(timestampMs, i % 2 === 0 ? 'integer' : 'float')],
      exemplars: [
        { labels: [{ name: 'trace_id', value: `4bf92f3577b34da6a3ce929d0e0e${i}` }], value: i, timestampMs },
      ],
    };
  });

/**
 * The series of a 1.0 request in 2.0 form: metadata moves onto the series of its metric family,
 * and a metadata-only request becomes series that carry only metadata.
 */
const toV2Series = (series: readonly DecodedSeries[], metadata: readonly MetricMetadata[]): SeriesInput[] => {
  const byFamily = new Map(metadata.map((m) => [m.metricFamilyName, m]));
  if (series.length === 0) {
    return metadata.map((m) => ({
      labels: [{ name: '__name__', value: m.metricFamilyName }],
      metadata: { type: m.type, help: m.help, unit: m.unit },
    }));
  }
  return series.map((s) => {
    const family = byFamily.get(s.labels.find((label) => label.name === '__name__')?.value ?? '');
    return {
      labels: s.labels,
      samples: s.samples,
      ...(family === undefined
        ? {}
        : { metadata: { type: family.type, help: family.help, unit: family.unit } }),
    };
  });
};

/** Reads every seed from the repository's fixtures (never from outside the repository). */
export const loadSeeds = (): Seeds => {
  const captured = 'prometheus-2.42';
  const files = readdirSync(join(FIXTURES, captured)).sort();
  const write1 = files
    .filter((file) => /^write-\d+\.bin$/.test(file))
    .map((file) => readBody(captured, file));
  const read = [
    ...files.filter((file) => /^read-\d+\.bin$/.test(file)).map((file) => readBody(captured, file)),
    // Requests of a newer client that lists accepted_response_types (the captures list none).
    ...readdirSync(join(FIXTURES, 'prometheus-2.42-read-server'))
      .filter((file) => file.endsWith('.request.bin'))
      .sort()
      .map((file) => readBody('prometheus-2.42-read-server', file)),
  ];
  let newestTimestampMs = 0;
  const write2: BodySeed[] = [];
  for (const seed of write1) {
    const message = decodeWriteRequestV1(seed.message);
    const decoded = { ...message, series: seriesWithSamples(message) };
    for (const series of decoded.series)
      for (const sample of series.samples)
        newestTimestampMs = Math.max(newestTimestampMs, sample.timestampMs);
    write2.push(
      fromMessage(
        `${seed.name} as 2.0`,
        encodeWriteRequestV2({ series: toV2Series(decoded.series, decoded.metadata) }),
      ),
    );
  }
  const first = { series: seriesWithSamples(decodeWriteRequestV1((write1[0] as BodySeed).message)) };
  const histograms = withHistograms(first.series);
  write1.push(
    fromMessage(
      `${(write1[0] as BodySeed).name} with histograms`,
      encodeWriteRequestV1({ series: histograms }),
    ),
  );
  write2.push(
    fromMessage(
      `${(write1[0] as BodySeed).name} as 2.0 with histograms`,
      encodeWriteRequestV2({ series: histograms }),
    ),
  );
  return { write1, write2, read, newestTimestampMs };
};
