import {
  decodeReadRequest,
  decodeWriteRequest,
  decompressSnappyBlock,
  negotiateResponseType,
  seriesWithSamples,
} from '../../src/index.js';
import { capturedRequests, doubleBits, reflectDecode } from '../helpers/fixtures.js';

interface ReflectedLabel {
  name: string;
  value: string;
}
interface ReflectedSeries {
  labels: ReflectedLabel[];
  samples: { value: number; timestamp: number }[];
  exemplars: unknown[];
  histograms: unknown[];
}

const STALE_NAN_BITS = '7ff0000000000002';
/** Stale markers per fixture, counted when the capture was made (see tests/fixtures/README.md). */
const EXPECTED_STALE_MARKERS: Record<string, number> = { 'write-0030.bin': 82, 'write-0031.bin': 425 };

describe('remote-write fixtures from Prometheus 2.42', () => {
  const writes = capturedRequests('write-');

  it('has the captured bodies', () => {
    expect(writes.length).toBeGreaterThanOrEqual(30);
  });

  it.each(writes.map((w) => [w.name, w] as const))(
    '%s decodes exactly as protobufjs reflection does',
    (_, w) => {
      // Prepare
      const reflected = reflectDecode('prometheus.WriteRequest', decompressSnappyBlock(w.body)) as {
        timeseries: ReflectedSeries[];
        metadata: unknown[];
      };

      // Act
      const decoded = decodeWriteRequest(w.body, {
        contentType: w.headers['content-type'],
        contentEncoding: w.headers['content-encoding'],
      });

      // Assess
      expect(decoded.version).toBe('1.0');
      expect(decoded.counts.series).toBe(reflected.timeseries.length);
      expect(decoded.counts.samples).toBe(reflected.timeseries.reduce((n, s) => n + s.samples.length, 0));
      expect(decoded.metadata).toHaveLength(reflected.metadata.length);
      expect(decoded.counts.invalidSeries).toBe(0);
      seriesWithSamples(decoded).forEach((series, i) => {
        const other = reflected.timeseries[i] as ReflectedSeries;
        const sortedLabels = [...other.labels].sort((a, b) => (a.name < b.name ? -1 : 1));
        expect(series.labels).toEqual(sortedLabels);
        expect(series.samples.map((s) => [s.timestampMs, doubleBits(s.value)])).toEqual(
          other.samples.map((s) => [s.timestamp, doubleBits(s.value)]),
        );
        expect(series.histograms).toHaveLength(other.histograms.length);
        expect(series.exemplars).toHaveLength(other.exemplars.length);
        series.samples.forEach((s) => {
          expect(s.stale).toBe(doubleBits(s.value) === STALE_NAN_BITS);
        });
      });
    },
  );

  it.each(Object.entries(EXPECTED_STALE_MARKERS))('%s carries %i staleness markers', (name, expected) => {
    // Prepare
    const w = writes.find((x) => x.name === name);
    if (w === undefined) throw new Error(`fixture ${name} missing`);
    // Independent count: the Sample.value tag (0x09) followed by the StaleNaN bytes, little-endian.
    const raw = Buffer.from(decompressSnappyBlock(w.body));
    const needle = Buffer.from([0x09, 0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);
    let rawCount = 0;
    for (let at = raw.indexOf(needle); at >= 0; at = raw.indexOf(needle, at + 1)) rawCount++;

    // Act
    const decoded = decodeWriteRequest(w.body);

    // Assess
    expect(rawCount).toBe(expected);
    expect(decoded.counts.staleMarkers).toBe(expected);
    const staleValues = seriesWithSamples(decoded).flatMap((s) =>
      s.samples.filter((x) => x.stale).map((x) => x.value),
    );
    expect(staleValues.every((v) => Number.isNaN(v))).toBe(true);
  });

  it('finds no staleness markers in the other bodies', () => {
    const others = writes.filter((w) => !(w.name in EXPECTED_STALE_MARKERS));
    expect(others.map((w) => decodeWriteRequest(w.body).counts.staleMarkers)).toEqual(others.map(() => 0));
  });
});

describe('remote-read fixtures from Prometheus 2.42', () => {
  const reads = capturedRequests('read-');

  it.each(reads.map((r) => [r.name, r] as const))(
    '%s decodes exactly as protobufjs reflection does',
    (_, r) => {
      // Prepare
      const reflected = reflectDecode('prometheus.ReadRequest', decompressSnappyBlock(r.body)) as {
        queries: {
          startTimestampMs: number;
          endTimestampMs: number;
          matchers: { type: string; name: string; value: string }[];
          hints: {
            stepMs: number;
            func: string;
            startMs: number;
            endMs: number;
            grouping: string[];
            by: boolean;
            rangeMs: number;
          };
        }[];
        acceptedResponseTypes: string[];
      };

      // Act
      const decoded = decodeReadRequest(r.body);

      // Assess
      expect(decoded.queries).toEqual(reflected.queries);
      // 2.42 sends no accepted_response_types, so the only acceptable answer is SAMPLES.
      expect(decoded.acceptedResponseTypes).toEqual([]);
      expect(negotiateResponseType(decoded.acceptedResponseTypes)).toBe('SAMPLES');
    },
  );

  it('keeps the matcher order and types Prometheus sent for rate(node_cpu_seconds_total{mode!="idle",cpu=~"0|1"}[1m])', () => {
    const request = reads.find((r) => r.name === 'read-0025.bin');
    if (request === undefined) throw new Error('fixture read-0025.bin missing');
    expect(decodeReadRequest(request.body).queries[0]?.matchers).toEqual([
      { type: 'NEQ', name: 'mode', value: 'idle' },
      { type: 'RE', name: 'cpu', value: '0|1' },
      { type: 'EQ', name: '__name__', value: 'node_cpu_seconds_total' },
    ]);
  });
});
