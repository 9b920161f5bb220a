import {
  compressSnappyBlock,
  type DecodedSeries,
  decodeReadRequest,
  decodeWriteRequestV1,
  decodeWriteRequestV2,
  encodeWriteRequestV1,
  encodeWriteRequestV2,
  seriesWithSamples,
} from '../../src/index.js';
import { bytes, dfield, ffield, lfield, vfield } from '../helpers/bytes.js';
import { doubleBits, schema } from '../helpers/fixtures.js';
import { histogramObject, STALE_NAN, sampleValue } from '../helpers/proto-objects.js';
import { generator, type RandomSeries, randomMetadata, randomSeries } from '../helpers/random.js';

const SEEDS = Array.from({ length: 20 }, (_, i) => 0xc0dec + i * 104729);
// The proto enums' numbering, stated here independently of the codec: index = enum value.
const METRIC_TYPES = [
  'unknown',
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
];

const expectSameSeries = (got: readonly DecodedSeries[], sent: readonly RandomSeries[]) => {
  expect(got.map((s) => s.labels)).toEqual(sent.map((s) => s.labels));
  expect(got.map((s) => s.samples.map((x) => [x.timestampMs, doubleBits(x.value), x.stale]))).toEqual(
    sent.map((s) => s.samples.map((x) => [x.timestampMs, doubleBits(sampleValue(x)), x.stale])),
  );
  expect(got.map((s) => s.histograms)).toEqual(sent.map((s) => s.histograms));
  expect(got.map((s) => s.exemplars)).toEqual(sent.map((s) => s.exemplars));
};

describe('decoding what protobufjs (an independent encoder) writes', () => {
  it('keeps the StaleNaN payload in the constructed test value', () => {
    expect(doubleBits(STALE_NAN)).toBe('7ff0000000000002');
  });

  it.each(SEEDS)('remote write 1.0, seed %i', (seed) => {
    // Prepare
    const g = generator(seed);
    const series = Array.from({ length: g.int(1, 25) }, () => randomSeries(g, false));
    const metadata = Array.from({ length: g.int(0, 3) }, () => randomMetadata(g));
    const WriteRequest = schema.lookupType('prometheus.WriteRequest');
    const message = WriteRequest.fromObject({
      timeseries: series.map((s) => ({
        labels: s.labels,
        samples: s.samples.map((x) => ({ value: sampleValue(x), timestamp: x.timestampMs })),
        exemplars: s.exemplars.map((e) => ({ labels: e.labels, value: e.value, timestamp: e.timestampMs })),
        histograms: s.histograms.map((h) => histogramObject(h, false)),
      })),
      metadata: metadata.map((m) => ({ ...m, type: METRIC_TYPES.indexOf(m.type) })),
    });

    // Act
    const decoded = decodeWriteRequestV1(WriteRequest.encode(message).finish());

    // Assess
    expectSameSeries(seriesWithSamples(decoded), series);
    expect(decoded.metadata).toEqual(metadata);
  });

  it.each(SEEDS)('remote write 2.0, seed %i', (seed) => {
    // Prepare: a symbol table built here, in first-use order after "".
    const g = generator(seed);
    const series = Array.from({ length: g.int(1, 25) }, () => randomSeries(g, true));
    const symbols = [''];
    const ref = (text: string) => {
      const at = symbols.indexOf(text);
      return at >= 0 ? at : symbols.push(text) - 1;
    };
    const refs = (labels: readonly { name: string; value: string }[]) =>
      labels.flatMap((l) => [ref(l.name), ref(l.value)]);
    const Request = schema.lookupType('io.prometheus.write.v2.Request');
    const timeseries = series.map((s) => ({
      labelsRefs: refs(s.labels),
      samples: s.samples.map((x) => ({
        value: sampleValue(x),
        timestamp: x.timestampMs,
        startTimestamp: x.startTimestampMs,
      })),
      histograms: s.histograms.map((h) => histogramObject(h, true)),
      exemplars: s.exemplars.map((e) => ({
        labelsRefs: refs(e.labels),
        value: e.value,
        timestamp: e.timestampMs,
      })),
      metadata: { type: 2, helpRef: ref('help text'), unitRef: ref('bytes') },
    }));
    const message = Request.fromObject({ symbols, timeseries });

    // Act
    const decoded = decodeWriteRequestV2(Request.encode(message).finish());

    // Assess
    expectSameSeries(seriesWithSamples(decoded), series);
    expect(seriesWithSamples(decoded).map((s) => s.samples.map((x) => x.startTimestampMs))).toEqual(
      series.map((s) => s.samples.map((x) => x.startTimestampMs)),
    );
    expect(decoded.metadata).toEqual(
      series.map((s) => ({
        metricFamilyName: s.labels.find((l) => l.name === '__name__')?.value,
        type: 'gauge',
        help: 'help text',
        unit: 'bytes',
      })),
    );
  });
});

const NAME_UP = lfield(1, [...lfield(1, '__name__'), ...lfield(2, 'up')]);

describe('the sample columns', () => {
  it.each([
    { version: '1.0', encode: encodeWriteRequestV1, decode: decodeWriteRequestV1 },
    { version: '2.0', encode: encodeWriteRequestV2, decode: decodeWriteRequestV2 },
  ])(
    '$version: hold every sample once, series after series, each series naming its range',
    ({ encode, decode }) => {
      // Prepare
      const up = [{ name: '__name__', value: 'up' }];
      const message = encode({
        series: [
          {
            labels: up,
            samples: [
              { timestampMs: 1, value: 1 },
              { timestampMs: 2, value: STALE_NAN, stale: true },
            ],
          },
          { labels: [{ name: '__name__', value: 'h' }] },
          { labels: up, samples: [{ timestampMs: 3, value: -0 }] },
        ],
      });

      // Act
      const decoded = decode(message);

      // Assess: sized exactly, no start-time column when none is set.
      expect(decoded.series.map((s) => [s.sampleStart, s.sampleCount])).toEqual([
        [0, 2],
        [2, 0],
        [2, 1],
      ]);
      expect([...decoded.samples.timestampsMs]).toEqual([1, 2, 3]);
      expect([...decoded.samples.stale]).toEqual([0, 1, 0]);
      expect(Object.is(decoded.samples.values[2], -0)).toBe(true);
      expect(decoded.samples.startTimestampsMs).toBeUndefined();
      expect(decoded.counts).toMatchObject({ samples: 3, staleMarkers: 1 });
    },
  );

  it('2.0: a start time allocates the start-time column, unset rows stay 0', () => {
    const message = encodeWriteRequestV2({
      series: [
        {
          labels: [{ name: '__name__', value: 'up' }],
          samples: [
            { timestampMs: 5, value: 1 },
            { timestampMs: 6, value: 1, startTimestampMs: 4 },
          ],
        },
      ],
    });
    expect([...(decodeWriteRequestV2(message).samples.startTimestampsMs ?? [])]).toEqual([0, 4]);
  });
});

describe('proto3 defaults', () => {
  it.each([
    [
      'a sample without a value field (value 0 is omitted on the wire)',
      lfield(2, vfield(2, 1000)),
      { timestampMs: 1000, value: 0 },
    ],
    ['a sample without a timestamp field', lfield(2, dfield(1, 2.5)), { timestampMs: 0, value: 2.5 }],
    ['an empty sample', lfield(2, []), { timestampMs: 0, value: 0 }],
  ])('%s decodes with defaults', (_, sample, expected) => {
    const decoded = decodeWriteRequestV1(bytes(lfield(1, [...NAME_UP, ...sample])));
    expect(seriesWithSamples(decoded)[0]?.samples).toEqual([
      { ...expected, stale: false, startTimestampMs: 0 },
    ]);
  });

  it('a label without a value is treated as absent, and one without a name is invalid', () => {
    const noValue = lfield(1, lfield(1, 'job'));
    const noName = lfield(1, lfield(2, 'x'));
    expect(decodeWriteRequestV1(bytes(lfield(1, [...NAME_UP, ...noValue]))).series[0]?.labels).toEqual([
      { name: '__name__', value: 'up' },
    ]);
    expect(decodeWriteRequestV1(bytes(lfield(1, [...NAME_UP, ...noName]))).series[0]?.invalidLabels).toBe(
      'empty_label_name',
    );
  });

  it('an empty body is an empty request, not an error', () => {
    expect(decodeWriteRequestV1(new Uint8Array()).counts).toEqual({
      series: 0,
      samples: 0,
      staleMarkers: 0,
      histograms: 0,
      exemplars: 0,
      invalidSeries: 0,
    });
  });
});

describe('unknown fields are skipped at every level', () => {
  // One unknown field of each wire type, with field numbers no schema here uses.
  const unknown = [...vfield(20, 1234567), ...dfield(21, 1.5), ...lfield(22, [1, 2, 3]), ...ffield(23, 7)];

  it('remote write 1.0: WriteRequest (including reserved field 2), TimeSeries, Label, Sample', () => {
    // Prepare
    const label = lfield(1, [...unknown, ...lfield(1, '__name__'), ...unknown, ...lfield(2, 'up')]);
    const sample = lfield(2, [...dfield(1, 3), ...unknown, ...vfield(2, 5000)]);
    const series = lfield(1, [...unknown, ...label, ...unknown, ...sample]);
    const body = bytes(lfield(2, [9, 9]), unknown, series, unknown);

    // Act
    const decoded = decodeWriteRequestV1(body);

    // Assess
    expect(seriesWithSamples(decoded)).toEqual([
      {
        labels: [{ name: '__name__', value: 'up' }],
        samples: [{ timestampMs: 5000, value: 3, stale: false, startTimestampMs: 0 }],
        histograms: [],
        exemplars: [],
        invalidLabels: null,
      },
    ]);
  });

  it('groups, as Go skips them', () => {
    // start group 30 { varint 1 } end group 30, inside the TimeSeries and at the top level
    const group = [0xf3, 0x01, 0x08, 0x01, 0xf4, 0x01];
    const series = lfield(1, [...group, ...NAME_UP, ...lfield(2, vfield(2, 1))]);
    expect(decodeWriteRequestV1(bytes(group, series, group)).series[0]?.labels).toEqual([
      { name: '__name__', value: 'up' },
    ]);
  });

  it('remote write 2.0: Request, TimeSeries, Sample', () => {
    const series = lfield(5, [
      ...unknown,
      ...lfield(1, [1, 2]),
      ...lfield(2, [...unknown, ...dfield(1, 4), ...vfield(2, 9)]),
    ]);
    const body = bytes(lfield(4, ''), unknown, lfield(4, '__name__'), lfield(4, 'up'), series, unknown);
    expect(seriesWithSamples(decodeWriteRequestV2(body))[0]?.samples).toEqual([
      { timestampMs: 9, value: 4, stale: false, startTimestampMs: 0 },
    ]);
  });
});

describe('fields of one version are unknown to the other', () => {
  const sample = [...dfield(1, 3), ...vfield(2, 5000)];

  it.each([
    ['Sample field 3 (v2 start_timestamp) as a varint', lfield(2, [...sample, ...vfield(3, 5)])],
    ['Sample field 3 with another wire type', lfield(2, [...sample, ...lfield(3, [])])],
    ['Sample field 3 holding -1', lfield(2, [...sample, ...vfield(3, -1)])],
  ])('v1 skips %s', (_, sampleField) => {
    const decoded = decodeWriteRequestV1(bytes(lfield(1, [...NAME_UP, ...sampleField])));
    expect(seriesWithSamples(decoded)[0]?.samples).toEqual([
      { timestampMs: 5000, value: 3, stale: false, startTimestampMs: 0 },
    ]);
  });

  it('v1 skips Histogram field 17 (v2 start_timestamp) of any wire type', () => {
    const histogram = [...vfield(1, 1), ...lfield(17, [0x00]), ...vfield(15, 9)];
    const decoded = decodeWriteRequestV1(bytes(lfield(1, [...NAME_UP, ...lfield(4, histogram)])));
    expect(decoded.series[0]?.histograms[0]).toMatchObject({ count: 1, timestampMs: 9, startTimestampMs: 0 });
  });

  it('v1 skips the unused MetricMetadata field 3, v2 the unused Metadata field 2', () => {
    const v1 = decodeWriteRequestV1(bytes(lfield(3, [...vfield(1, 1), ...vfield(3, 1), ...lfield(2, 'm')])));
    expect(v1.metadata).toEqual([{ metricFamilyName: 'm', type: 'counter', help: '', unit: '' }]);
    const series = lfield(5, [...lfield(1, [1, 2]), ...lfield(5, [...vfield(1, 2), ...lfield(2, 'x')])]);
    const v2 = decodeWriteRequestV2(bytes(lfield(4, ''), lfield(4, '__name__'), lfield(4, 'up'), series));
    expect(v2.metadata).toEqual([{ metricFamilyName: 'up', type: 'gauge', help: '', unit: '' }]);
  });

  it('accepts exemplar and start timestamps before 1970: they are not stored', () => {
    const exemplar = lfield(3, [
      ...lfield(1, [...lfield(1, 'trace_id'), ...lfield(2, 'a')]),
      ...vfield(3, -5),
    ]);
    const v1 = decodeWriteRequestV1(bytes(lfield(1, [...NAME_UP, ...exemplar])));
    expect(v1.series[0]?.exemplars[0]?.timestampMs).toBe(-5);
    const series = lfield(5, [...lfield(1, [1, 2]), ...lfield(2, [...vfield(2, 9), ...vfield(3, -7)])]);
    const v2 = decodeWriteRequestV2(bytes(lfield(4, ''), lfield(4, '__name__'), lfield(4, 'up'), series));
    expect(seriesWithSamples(v2)[0]?.samples[0]?.startTimestampMs).toBe(-7);
  });
});

describe('packed and unpacked repeated scalars both decode', () => {
  it('histogram deltas, counts and custom values, unpacked', () => {
    // Prepare: positive_deltas 1, -2 (sint64) and positive_counts 0.5 (double) each as separate fields.
    const histogram = [
      ...vfield(1, 3),
      ...vfield(12, 2),
      ...vfield(12, 3),
      ...dfield(13, 0.5),
      ...dfield(16, 2.5),
      ...vfield(15, 77),
    ];
    const body = bytes(lfield(1, [...NAME_UP, ...lfield(4, histogram)]));

    // Act
    const h = decodeWriteRequestV1(body).series[0]?.histograms[0];

    // Assess
    expect(h).toMatchObject({
      kind: 'integer',
      count: 3,
      positiveDeltas: [1, -2],
      positiveCounts: [0.5],
      customValues: [2.5],
      timestampMs: 77,
    });
  });

  it('labels_refs, unpacked', () => {
    const series = lfield(5, [...vfield(1, 1), ...vfield(1, 2), ...lfield(2, vfield(2, 1))]);
    const body = bytes(lfield(4, ''), lfield(4, '__name__'), lfield(4, 'up'), series);
    expect(decodeWriteRequestV2(body).series[0]?.labels).toEqual([{ name: '__name__', value: 'up' }]);
  });

  it('accepted_response_types, unpacked and packed', () => {
    const unpacked = bytes(vfield(2, 1), vfield(2, 0));
    const packed = bytes(lfield(2, [1, 0]));
    expect(decodeReadRequest(compressSnappyBlock(unpacked)).acceptedResponseTypes).toEqual([
      'STREAMED_XOR_CHUNKS',
      'SAMPLES',
    ]);
    expect(decodeReadRequest(compressSnappyBlock(packed)).acceptedResponseTypes).toEqual([
      'STREAMED_XOR_CHUNKS',
      'SAMPLES',
    ]);
  });

  it('keeps each accepted type once, at its first position, however often it repeats', () => {
    const body = compressSnappyBlock(
      bytes(lfield(2, [...Array(10_000).fill(7), 1, ...Array(10_000).fill(1), 0, 1])),
    );
    expect(decodeReadRequest(body).acceptedResponseTypes).toEqual([
      'UNKNOWN',
      'STREAMED_XOR_CHUNKS',
      'SAMPLES',
    ]);
  });

  it('an accepted type from the future is kept as UNKNOWN, not dropped', () => {
    expect(decodeReadRequest(compressSnappyBlock(bytes(lfield(2, [7])))).acceptedResponseTypes).toEqual([
      'UNKNOWN',
    ]);
  });
});

describe('invalid UTF-8 in remote write 2.0 symbols', () => {
  it('flags the series that reference the symbol, and only those', () => {
    // Prepare: symbol 3 is the lone byte 0xff; series A uses it as a value, series B does not.
    const seriesA = lfield(5, [...lfield(1, [1, 3]), ...lfield(2, vfield(2, 1))]);
    const seriesB = lfield(5, [...lfield(1, [1, 2]), ...lfield(2, vfield(2, 1))]);
    const body = bytes(
      lfield(4, ''),
      lfield(4, '__name__'),
      lfield(4, 'up'),
      lfield(4, [0xff]),
      seriesA,
      seriesB,
    );

    // Act
    const decoded = decodeWriteRequestV2(body);

    // Assess
    expect(decoded.series.map((s) => s.invalidLabels)).toEqual(['invalid_utf8', null]);
    expect(decoded.counts.invalidSeries).toBe(1);
  });
});

describe('label interning within a request', () => {
  it('shares one label object between series with the same label bytes, and keeps distinct ones apart', () => {
    // Prepare: two series share __name__="up"; their job labels differ only in the middle byte.
    const series = (job: string) =>
      lfield(1, [
        ...NAME_UP,
        ...lfield(1, [...lfield(1, 'job'), ...lfield(2, job)]),
        ...lfield(2, vfield(2, 1)),
      ]);
    const body = bytes(series('node-a-exporter'), series('node-b-exporter'), series('node-a-exporter'));

    // Act
    const [a, b, c] = decodeWriteRequestV1(body).series;

    // Assess
    expect(a?.labels[0]).toBe(b?.labels[0]);
    expect(a?.labels[1]).toBe(c?.labels[1]);
    expect(a?.labels[1]?.value).toBe('node-a-exporter');
    expect(b?.labels[1]?.value).toBe('node-b-exporter');
  });

  it('stays correct when thousands of labels collide on the sampled hash', () => {
    // Prepare: values of equal length, equal first/middle/last bytes, differing elsewhere.
    const values = Array.from(
      { length: 3000 },
      (_, i) => `aaaa${String(i).padStart(4, '0')}bbbbXXXXcccc${String(i).padStart(4, '0')}dddd`,
    );
    const body = bytes(
      ...values.map((v) => lfield(1, [...NAME_UP, ...lfield(1, [...lfield(1, 'id'), ...lfield(2, v)])])),
    );

    // Act
    const decoded = decodeWriteRequestV1(body);

    // Assess
    expect(decoded.series.map((s) => s.labels[1]?.value)).toEqual(values);
  });
});
