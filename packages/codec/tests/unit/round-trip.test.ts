import {
  compressSnappyBlock,
  decodeChunkedReadResponse,
  decodeReadRequest,
  decodeReadResponse,
  decodeWriteRequest,
  decompressSnappyBlock,
  encodeChunkedReadResponse,
  encodeReadRequest,
  encodeReadResponse,
  encodeWriteRequestV1,
  encodeWriteRequestV2,
  type ReadRequestInput,
  seriesWithSamples,
} from '../../src/index.js';
import { doubleBits, reflectDecode } from '../helpers/fixtures.js';
import {
  generator,
  type RandomSeries,
  randomLabels,
  randomMetadata,
  randomSeries,
} from '../helpers/random.js';

const V2_CONTENT_TYPE = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';
const SEEDS = Array.from({ length: 40 }, (_, i) => 0x5eed + i * 7919);

/** Values compared by their bits, so a StaleNaN that came back as an ordinary NaN fails. */
const sampleBits = (series: { samples: readonly { timestampMs: number; value: number; stale: boolean }[] }) =>
  series.samples.map((s) => [s.timestampMs, s.stale ? '7ff0000000000002' : doubleBits(s.value), s.stale]);

const sampleBitsAsSent = (series: RandomSeries) =>
  series.samples.map((s) => [s.timestampMs, s.stale ? '7ff0000000000002' : doubleBits(s.value), s.stale]);

describe('remote write 1.0 round trip (seeded property test)', () => {
  it.each(SEEDS)('seed %i: encode → snappy → decode gives back every series', (seed) => {
    // Prepare
    const g = generator(seed);
    const series = Array.from({ length: g.int(0, 30) }, () => randomSeries(g, false));
    const metadata = Array.from({ length: g.int(0, 3) }, () => randomMetadata(g));

    // Act
    const body = compressSnappyBlock(encodeWriteRequestV1({ series, metadata }));
    const decoded = decodeWriteRequest(body, {
      contentType: 'application/x-protobuf',
      contentEncoding: 'snappy',
    });

    // Assess
    expect(decoded.version).toBe('1.0');
    expect(decoded.metadata).toEqual(metadata);
    expect(decoded.series).toHaveLength(series.length);
    seriesWithSamples(decoded).forEach((got, i) => {
      const sent = series[i] as RandomSeries;
      expect(got.labels).toEqual(sent.labels);
      expect(got.invalidLabels).toBeNull();
      expect(sampleBits(got)).toEqual(sampleBitsAsSent(sent));
      expect(got.histograms).toEqual(sent.histograms);
      expect(got.exemplars).toEqual(sent.exemplars);
    });
    expect(decoded.counts.samples).toBe(series.reduce((n, s) => n + s.samples.length, 0));
    expect(decoded.counts.staleMarkers).toBe(
      series.reduce((n, s) => n + s.samples.filter((x) => x.stale).length, 0),
    );
  });

  it.each(SEEDS.slice(0, 10))('seed %i: protobufjs reflection reads what the encoder wrote', (seed) => {
    // Prepare
    const g = generator(seed);
    const series = Array.from({ length: g.int(1, 20) }, () => randomSeries(g, false));

    // Act
    const reflected = reflectDecode('prometheus.WriteRequest', encodeWriteRequestV1({ series })) as {
      timeseries: {
        labels: unknown[];
        samples: { value: number; timestamp: number }[];
        histograms: { countInt?: number; countFloat?: number; count: string }[];
      }[];
    };

    // Assess
    expect(reflected.timeseries.map((s) => s.labels)).toEqual(series.map((s) => s.labels));
    expect(reflected.timeseries.map((s) => s.samples.map((x) => [x.timestamp, doubleBits(x.value)]))).toEqual(
      series.map((s) =>
        s.samples.map((x) => [x.timestampMs, x.stale ? '7ff0000000000002' : doubleBits(x.value)]),
      ),
    );
    expect(reflected.timeseries.map((s) => s.histograms.map((h) => h.count))).toEqual(
      series.map((s) => s.histograms.map((h) => (h.kind === 'integer' ? 'countInt' : 'countFloat'))),
    );
  });
});

describe('remote write 2.0 round trip (seeded property test)', () => {
  it.each(SEEDS)(
    'seed %i: encode → snappy → decode gives back every series, start timestamps included',
    (seed) => {
      // Prepare
      const g = generator(seed);
      const series = Array.from({ length: g.int(0, 30) }, () => ({
        ...randomSeries(g, true),
        metadata: { type: 'counter' as const, help: g.string(30), unit: g.pick(['', 'seconds']) },
      }));

      // Act
      const body = compressSnappyBlock(encodeWriteRequestV2({ series }));
      const decoded = decodeWriteRequest(body, { contentType: V2_CONTENT_TYPE, contentEncoding: 'snappy' });

      // Assess
      expect(decoded.version).toBe('2.0');
      seriesWithSamples(decoded).forEach((got, i) => {
        const sent = series[i] as RandomSeries;
        expect(got.labels).toEqual(sent.labels);
        expect(sampleBits(got)).toEqual(sampleBitsAsSent(sent));
        expect(got.samples.map((s) => s.startTimestampMs)).toEqual(
          sent.samples.map((s) => s.startTimestampMs),
        );
        expect(got.histograms).toEqual(sent.histograms);
        expect(got.exemplars).toEqual(sent.exemplars);
      });
      expect(decoded.metadata).toEqual(
        series.map((s) => ({
          ...s.metadata,
          metricFamilyName: s.labels.find((l) => l.name === '__name__')?.value,
        })),
      );
    },
  );

  it.each(SEEDS.slice(0, 10))(
    'seed %i: protobufjs reflection resolves the same labels from the symbol table',
    (seed) => {
      // Prepare
      const g = generator(seed);
      const series = Array.from({ length: g.int(1, 20) }, () => randomSeries(g, true));

      // Act
      const reflected = reflectDecode('io.prometheus.write.v2.Request', encodeWriteRequestV2({ series })) as {
        symbols: string[];
        timeseries: { labelsRefs: number[]; samples: { timestamp: number; startTimestamp: number }[] }[];
      };

      // Assess
      expect(reflected.symbols[0]).toBe('');
      expect(
        reflected.timeseries.map((s) =>
          Array.from({ length: s.labelsRefs.length / 2 }, (_, i) => ({
            name: reflected.symbols[s.labelsRefs[2 * i] as number],
            value: reflected.symbols[s.labelsRefs[2 * i + 1] as number],
          })),
        ),
      ).toEqual(series.map((s) => s.labels));
      expect(reflected.timeseries.map((s) => s.samples.map((x) => [x.timestamp, x.startTimestamp]))).toEqual(
        series.map((s) => s.samples.map((x) => [x.timestampMs, x.startTimestampMs])),
      );
    },
  );

  it('applies the 2.54–3.7 TimeSeries.created_timestamp (field 6) to samples without their own start', () => {
    // Prepare: symbols ["", "__name__", "up"]; series { refs [1,2], sample {value 1, ts 5000}, created_timestamp 1000 }
    const sample = [0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0x88, 0x27];
    const series = [0x0a, 0x02, 0x01, 0x02, 0x12, sample.length, ...sample, 0x30, 0xe8, 0x07];
    const symbols = [0x22, 0x00, 0x22, 0x08, ...Buffer.from('__name__'), 0x22, 0x02, ...Buffer.from('up')];
    const body = compressSnappyBlock(new Uint8Array([...symbols, 0x2a, series.length, ...series]));

    // Act
    const decoded = decodeWriteRequest(body, { contentType: V2_CONTENT_TYPE });

    // Assess
    expect(seriesWithSamples(decoded)[0]?.samples).toEqual([
      { timestampMs: 5000, value: 1, stale: false, startTimestampMs: 1000 },
    ]);
  });
});

describe('remote read round trip', () => {
  it.each(SEEDS)(
    'seed %i: SAMPLES response encode → decode keeps labels, order and StaleNaN bits',
    (seed) => {
      // Prepare
      const g = generator(seed);
      const results = Array.from({ length: g.int(1, 3) }, () => ({
        series: Array.from({ length: g.int(0, 10) }, () => {
          const { labels, samples } = randomSeries(g, false);
          return { labels, samples };
        }),
      }));

      // Act
      const decoded = decodeReadResponse(encodeReadResponse(results));

      // Assess
      expect(decoded).toHaveLength(results.length);
      decoded.forEach((result, i) => {
        const sent = results[i]?.series ?? [];
        expect(result.series.map((s) => s.labels)).toEqual(sent.map((s) => s.labels));
        expect(result.series.map(sampleBits)).toEqual(sent.map((s) => sampleBitsAsSent(s as RandomSeries)));
      });
    },
  );

  it.each(SEEDS)(
    'seed %i: STREAMED_XOR_CHUNKS encode → decode keeps labels, order, every sample bit',
    (seed) => {
      // Prepare: series long enough for several 120-sample chunks, with frames small enough to split.
      const g = generator(seed);
      const series = Array.from({ length: g.int(1, 6) }, () => {
        let timestampMs = g.int(0, 2 ** 42);
        let value = g.int(-1000, 1000);
        const samples = Array.from({ length: g.int(1, 400) }, () => {
          timestampMs += g.pick([15_000, 15_000, 15_001, 14_999, g.int(1, 10_000_000)]);
          const stale = g.int(0, 30) === 0;
          value = g.pick([
            value,
            value + 1,
            value * 1.5,
            g.int(-1e9, 1e9) / 7,
            Number.NaN,
            Number.POSITIVE_INFINITY,
          ]);
          return { timestampMs, value: stale ? Number.NaN : value, stale, startTimestampMs: 0 };
        });
        return { labels: randomLabels(g), samples };
      });
      const queryIndex = g.int(0, 3);

      // Act
      const frames = encodeChunkedReadResponse(queryIndex, series, {
        maxBytesInFrame: g.pick([200, 1000, 1024 * 1024]),
      });
      const decoded = decodeChunkedReadResponse(Buffer.concat(frames));

      // Assess: frames of one series are consecutive; joined they give back the series.
      const joined: { labels: unknown; samples: unknown[] }[] = [];
      for (const frame of decoded) {
        expect(frame.queryIndex).toBe(queryIndex);
        const last = joined.at(-1);
        if (last !== undefined && JSON.stringify(last.labels) === JSON.stringify(frame.labels))
          last.samples.push(...sampleBits(frame));
        else joined.push({ labels: frame.labels, samples: sampleBits(frame) });
      }
      expect(joined).toEqual(
        series.map((s) => ({ labels: s.labels, samples: sampleBitsAsSent(s as RandomSeries) })),
      );
    },
  );

  it('writes a StaleNaN into the SAMPLES response as the exact bytes 02 00 00 00 00 00 f0 7f', () => {
    // Act
    const raw = Buffer.from(
      decompressSnappyBlock(
        encodeReadResponse([
          {
            series: [
              {
                labels: [{ name: '__name__', value: 'up' }],
                samples: [{ timestampMs: 1, value: Number.NaN, stale: true }],
              },
            ],
          },
        ]),
      ),
    );

    // Assess
    expect(raw.includes(Buffer.from([0x09, 0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]))).toBe(true);
  });

  it('read request encode → decode, with accepted_response_types packed as Prometheus ≥ 2.55 sends them', () => {
    // Prepare
    const request: ReadRequestInput = {
      queries: [
        {
          startTimestampMs: 1_700_000_000_000,
          endTimestampMs: 1_700_000_300_000,
          matchers: [
            { type: 'NEQ', name: 'mode', value: 'idle' },
            { type: 'RE', name: 'cpu', value: '0|1' },
            { type: 'EQ', name: '__name__', value: 'node_cpu_seconds_total' },
          ],
          hints: {
            stepMs: 15_000,
            func: 'rate',
            startMs: 1_700_000_000_000,
            endMs: 1_700_000_300_000,
            grouping: ['job'],
            by: true,
            rangeMs: 60_000,
          },
        },
        {
          startTimestampMs: -5,
          endTimestampMs: 10,
          matchers: [{ type: 'NRE', name: 'job', value: 'node.*' }],
        },
      ],
      acceptedResponseTypes: ['STREAMED_XOR_CHUNKS', 'SAMPLES'],
    };

    // Act
    const body = encodeReadRequest(request);
    const decoded = decodeReadRequest(body);

    // Assess
    expect(Buffer.from(decompressSnappyBlock(body)).subarray(-4)).toEqual(
      Buffer.from([0x12, 0x02, 0x01, 0x00]),
    );
    expect(decoded).toEqual({
      queries: [request.queries[0], { ...request.queries[1], hints: null }],
      acceptedResponseTypes: ['STREAMED_XOR_CHUNKS', 'SAMPLES'],
    });
  });

  it('clamps open-ended query bounds near ±2^63 to the safe integer range', () => {
    // Prepare: Query { start: -2^62 (10-byte varint), end: 2^62 }
    const minus = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0xc0, 0x01];
    const plus = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
    const query = [0x08, ...minus, 0x10, ...plus];
    const body = compressSnappyBlock(new Uint8Array([0x0a, query.length, ...query]));

    // Act
    const decoded = decodeReadRequest(body);

    // Assess
    expect(decoded.queries[0]).toMatchObject({
      startTimestampMs: Number.MIN_SAFE_INTEGER,
      endTimestampMs: Number.MAX_SAFE_INTEGER,
    });
  });
});
