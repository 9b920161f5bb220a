/**
 * The encoders write, byte for byte, what protobufjs (an independent encoder) writes for the same
 * message once proto3's implicit-presence rule is applied: a scalar at its default (+0, '', false)
 * and an empty repeated field are left off the wire, as Go's protobuf leaves them off.
 */
import {
  decompressSnappyBlock,
  encodeReadResponse,
  encodeWriteRequestV1,
  encodeWriteRequestV2,
  type Label,
  type MetricMetadata,
  type SampleInput,
} from '../../src/index.js';
import { schema } from '../helpers/fixtures.js';
import { histogramObject, sampleValue } from '../helpers/proto-objects.js';
import {
  type Generator,
  generator,
  type RandomSeries,
  randomMetadata,
  randomSeries,
} from '../helpers/random.js';

const SEEDS = Array.from({ length: 20 }, (_, i) => 0xb17e5 + i * 6007);

/** Oneof members have explicit presence: a count of 0 is still written. */
const EXPLICIT_PRESENCE = new Set(['countInt', 'countFloat', 'zeroCountInt', 'zeroCountFloat']);

/** Drops the fields proto3 leaves off the wire, recursing into sub-messages (not into packed numbers). */
const withoutDefaults = (message: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message)) {
    if (EXPLICIT_PRESENCE.has(key)) out[key] = value;
    else if (Array.isArray(value)) {
      if (value.length > 0)
        out[key] = value.map((item) => (typeof item === 'object' ? withoutDefaults(item) : item));
    } else if (typeof value === 'object' && value !== null)
      out[key] = withoutDefaults(value as Record<string, unknown>);
    else if (value !== '' && value !== false && !Object.is(value, 0)) out[key] = value;
  }
  return out;
};

const protobufjsEncode = (typeName: string, message: Record<string, unknown>): string => {
  const type = schema.lookupType(typeName);
  return Buffer.from(type.encode(type.fromObject(withoutDefaults(message))).finish()).toString('hex');
};

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * Some samples in the input form the encoders accept, `stale` and `startTimestampMs` left out
 * where they hold their defaults, so both spellings of a sample are pinned.
 */
const asInput = (g: Generator, samples: RandomSeries['samples']): SampleInput[] =>
  samples.map((sample) => {
    if (g.int(0, 1) === 0) return sample;
    const { stale, startTimestampMs, ...rest } = sample;
    return { ...rest, ...(stale ? { stale } : {}), ...(startTimestampMs !== 0 ? { startTimestampMs } : {}) };
  });

const sampleObjectV1 = (sample: SampleInput) => ({
  value: sampleValue(sample),
  timestamp: sample.timestampMs,
});

describe('encoders write the bytes protobufjs writes for the same message', () => {
  it.each(SEEDS)('remote write 1.0 WriteRequest, seed %i', (seed) => {
    // Prepare
    const g = generator(seed);
    const series = Array.from({ length: g.int(0, 20) }, () => {
      const s = randomSeries(g, false);
      return { ...s, samples: asInput(g, s.samples) };
    });
    const metadata = Array.from({ length: g.int(0, 3) }, () => randomMetadata(g));
    const MetricType = schema.lookupEnum('prometheus.MetricMetadata.MetricType');

    // Act
    const encoded = hex(encodeWriteRequestV1({ series, metadata }));

    // Assess
    expect(encoded).toBe(
      protobufjsEncode('prometheus.WriteRequest', {
        timeseries: series.map((s) => ({
          labels: s.labels,
          samples: s.samples.map(sampleObjectV1),
          exemplars: s.exemplars.map((e) => ({ labels: e.labels, value: e.value, timestamp: e.timestampMs })),
          histograms: s.histograms.map((h) => histogramObject(h, false)),
        })),
        metadata: metadata.map((m) => ({ ...m, type: MetricType.values[m.type.toUpperCase()] })),
      }),
    );
  });

  it.each(SEEDS)('remote write 2.0 Request, seed %i', (seed) => {
    // Prepare: the symbol table as Prometheus's writev2.SymbolsTable builds it, "" then first use.
    const g = generator(seed);
    const series = Array.from({ length: g.int(0, 20) }, () => {
      const s = randomSeries(g, true);
      const metadata: Omit<MetricMetadata, 'metricFamilyName'> | undefined =
        g.int(0, 1) === 0 ? undefined : randomMetadata(g);
      return { ...s, samples: asInput(g, s.samples), ...(metadata === undefined ? {} : { metadata }) };
    });
    const symbols = [''];
    const ref = (text: string) => {
      const at = symbols.indexOf(text);
      return at >= 0 ? at : symbols.push(text) - 1;
    };
    const refs = (labels: readonly Label[]) => labels.flatMap((l) => [ref(l.name), ref(l.value)]);
    const MetricType = schema.lookupEnum('io.prometheus.write.v2.Metadata.MetricType');
    const timeseries = series.map((s) => ({
      labelsRefs: refs(s.labels),
      samples: s.samples.map((x) => ({ ...sampleObjectV1(x), startTimestamp: x.startTimestampMs ?? 0 })),
      histograms: s.histograms.map((h) => histogramObject(h, true)),
      exemplars: s.exemplars.map((e) => ({
        labelsRefs: refs(e.labels),
        value: e.value,
        timestamp: e.timestampMs,
      })),
      ...(s.metadata === undefined
        ? {}
        : {
            metadata: {
              type:
                s.metadata.type === 'unknown'
                  ? 0
                  : MetricType.values[`METRIC_TYPE_${s.metadata.type.toUpperCase()}`],
              helpRef: ref(s.metadata.help),
              unitRef: ref(s.metadata.unit),
            },
          }),
    }));

    // Act
    const encoded = hex(encodeWriteRequestV2({ series }));

    // Assess
    expect(encoded).toBe(protobufjsEncode('io.prometheus.write.v2.Request', { symbols, timeseries }));
  });

  it.each(SEEDS)('remote read SAMPLES ReadResponse, seed %i', (seed) => {
    // Prepare
    const g = generator(seed);
    const results = Array.from({ length: g.int(1, 3) }, () => ({
      series: Array.from({ length: g.int(0, 10) }, () => {
        const { labels, samples } = randomSeries(g, false);
        return { labels, samples: asInput(g, samples) };
      }),
    }));

    // Act
    const encoded = hex(decompressSnappyBlock(encodeReadResponse(results)));

    // Assess
    expect(encoded).toBe(
      protobufjsEncode('prometheus.ReadResponse', {
        results: results.map((r) => ({
          timeseries: r.series.map((s) => ({ labels: s.labels, samples: s.samples.map(sampleObjectV1) })),
        })),
      }),
    );
  });
});
