import { readFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import {
  type ChunkedReadSeries,
  DEFAULT_MAX_BYTES_IN_FRAME,
  decodeChunkedReadResponse,
  encodeChunkedReadResponse,
  STREAMED_CONTENT_TYPE,
} from '../../src/chunked-read.js';
import { crc32c } from '../../src/crc32c.js';
import type { FloatSample, Label } from '../../src/model.js';
import { decompressSnappyBlock } from '../../src/snappy.js';
import { encodeXorChunk } from '../../src/xor-chunk.js';

// protobufjs reads the fixtures independently of the codec's own protobuf reader.
const root = protobuf.loadSync(path.join(__dirname, '../../proto/prometheus.proto'));
const ReadResponse = root.lookupType('prometheus.ReadResponse');
const ChunkedReadResponse = root.lookupType('prometheus.ChunkedReadResponse');
const PbLabel = root.lookupType('prometheus.Label');
const PbChunk = root.lookupType('prometheus.Chunk');
const TO_OBJECT = { longs: Number, defaults: true } as const;

interface PbLabelObject {
  name: string;
  value: string;
}
interface PbReadResponseObject {
  results: { timeseries: { labels: PbLabelObject[]; samples: { value: number; timestamp: number }[] }[] }[];
}
interface PbChunkObject {
  minTimeMs: number;
  maxTimeMs: number;
  type: number;
  data: Uint8Array;
}
interface PbChunkedReadResponseObject {
  chunkedSeries: { labels: PbLabelObject[]; chunks: PbChunkObject[] }[];
  queryIndex: number;
}

const FIXTURES = path.join(__dirname, '../fixtures/prometheus-2.42-read-server');
const readFixture = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(FIXTURES, name)));

const concat = (frames: readonly Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(frames));

/** Splits a streamed body into frame data by hand (uvarint length, big-endian CRC, data). */
const splitFrames = (body: Uint8Array): { raw: Uint8Array; data: Uint8Array; crc: number }[] => {
  const frames: { raw: Uint8Array; data: Uint8Array; crc: number }[] = [];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let pos = 0;
  while (pos < body.length) {
    const start = pos;
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const b = body[pos++] as number;
      length += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    const crc = view.getUint32(pos, false);
    const data = body.subarray(pos + 4, pos + 4 + length);
    pos += 4 + length;
    frames.push({ raw: body.subarray(start, pos), data, crc });
  }
  return frames;
};

const decodeFrameWithProtobufjs = (data: Uint8Array): PbChunkedReadResponseObject =>
  ChunkedReadResponse.toObject(
    ChunkedReadResponse.decode(data),
    TO_OBJECT,
  ) as unknown as PbChunkedReadResponseObject;

/**
 * The series of a SAMPLES fixture as the codec's model. protobufjs hands doubles back as JS
 * numbers, whose NaN payload the engine may or may not keep, so staleness is not read from the
 * bits here: every NaN in these fixtures is a staleness marker (node_exporter was stopped during
 * the capture, see the byte-pattern test below), so `stale` is `isNaN`.
 */
const loadSamplesFixture = (selector: string): { series: ChunkedReadSeries[]; decompressed: Uint8Array } => {
  const decompressed = decompressSnappyBlock(readFixture(`read-${selector}-samples.response.bin`));
  const response = ReadResponse.toObject(
    ReadResponse.decode(decompressed),
    TO_OBJECT,
  ) as unknown as PbReadResponseObject;
  expect(response.results).toHaveLength(1);
  const series = (response.results[0]?.timeseries ?? []).map((ts) => ({
    labels: ts.labels.map(({ name, value }) => ({ name, value })),
    samples: ts.samples.map(
      (s): FloatSample => ({
        timestampMs: s.timestamp,
        value: s.value,
        stale: Number.isNaN(s.value),
        startTimestampMs: 0,
      }),
    ),
  }));
  return { series, decompressed };
};

const SELECTORS = [
  { selector: 'up', series: 2, staleMarkers: 0 },
  { selector: 'goroutines', series: 2, staleMarkers: 1 },
  { selector: 'cpu', series: 16, staleMarkers: 16 },
];

describe('crc32c', () => {
  const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

  it.each([
    { description: 'the empty input', data: new Uint8Array(0), expected: 0x00000000 },
    {
      description: '"123456789" (the CRC catalogue check value)',
      data: ascii('123456789'),
      expected: 0xe3069283,
    },
    { description: '"a"', data: ascii('a'), expected: 0xc1d04330 },
    { description: '32 zero bytes (RFC 3720 B.4)', data: new Uint8Array(32), expected: 0x8a9136aa },
    {
      description: '32 0xff bytes (RFC 3720 B.4)',
      data: new Uint8Array(32).fill(0xff),
      expected: 0x62a8ab43,
    },
    {
      description: 'bytes 0..31 ascending (RFC 3720 B.4)',
      data: Uint8Array.from({ length: 32 }, (_, i) => i),
      expected: 0x46dd794e,
    },
    {
      description: 'bytes 31..0 descending (RFC 3720 B.4)',
      data: Uint8Array.from({ length: 32 }, (_, i) => 31 - i),
      expected: 0x113fdb5c,
    },
  ])('computes $description', ({ data, expected }) => {
    // Act
    const crc = crc32c(data);

    // Assess
    expect(crc).toBe(expected);
  });

  it('matches a bit-by-bit reference for every length and offset around the 8-byte blocks', () => {
    // Prepare
    const reference = (data: Uint8Array): number => {
      let crc = 0xffffffff;
      for (const byte of data) {
        crc ^= byte;
        for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
      }
      return (crc ^ 0xffffffff) >>> 0;
    };
    const buffer = Uint8Array.from({ length: 80 }, (_, i) => (i * 151 + 7) & 0xff);
    const mismatches: string[] = [];

    // Act
    for (let offset = 0; offset < 8; offset++) {
      for (let length = 0; offset + length <= 72; length++) {
        const view = buffer.subarray(offset, offset + length);
        if (crc32c(view) !== reference(view)) mismatches.push(`offset ${offset} length ${length}`);
      }
    }

    // Assess
    expect(mismatches).toEqual([]);
  });
});

describe('Prometheus 2.42 golden responses', () => {
  it('uses the streamed Content-Type Prometheus answers with', () => {
    // Prepare
    const headers = JSON.parse(
      readFileSync(path.join(FIXTURES, 'read-up-chunks.response.headers.json'), 'utf8'),
    ) as { contentType: string; contentEncoding: string | null };

    // Assess
    expect(STREAMED_CONTENT_TYPE).toBe(headers.contentType);
    expect(headers.contentEncoding).toBeNull();
  });

  describe.each(SELECTORS)('selector $selector', ({ selector, series: seriesCount, staleMarkers }) => {
    const { series, decompressed } = loadSamplesFixture(selector);
    const chunksBody = readFixture(`read-${selector}-chunks.response.bin`);
    const fixtureFrames = splitFrames(chunksBody);

    it('holds the expected series and staleness markers', () => {
      // Prepare: count StaleNaN's little-endian bytes (02 00 00 00 00 00 f0 7f) in the raw message.
      let staleNaNPatterns = 0;
      const view = new DataView(decompressed.buffer, decompressed.byteOffset, decompressed.byteLength);
      for (let i = 0; i + 8 <= decompressed.length; i++) {
        if (view.getUint32(i, true) === 0x00000002 && view.getUint32(i + 4, true) === 0x7ff00000)
          staleNaNPatterns++;
      }

      // Act
      const nanSamples = series.flatMap((s) => s.samples).filter((s) => Number.isNaN(s.value)).length;

      // Assess: every NaN is a StaleNaN on the wire, which justifies `stale = isNaN` above.
      expect(series).toHaveLength(seriesCount);
      expect(fixtureFrames).toHaveLength(seriesCount);
      expect(nanSamples).toBe(staleMarkers);
      expect(staleNaNPatterns).toBe(staleMarkers);
    });

    it('encodes each series to the XOR chunk bytes Prometheus sent', () => {
      // Prepare: Prometheus sent one frame per series, each with one chunk, in the same order as
      // the SAMPLES response.
      const fixtureSeries = fixtureFrames.map(({ data }) => decodeFrameWithProtobufjs(data));

      // Act
      const encoded = series.map((s) => encodeXorChunk(s.samples));

      // Assess
      series.forEach((s, i) => {
        const response = fixtureSeries[i];
        expect(response?.queryIndex).toBe(0);
        expect(response?.chunkedSeries).toHaveLength(1);
        const [chunkedSeries] = response?.chunkedSeries ?? [];
        expect(chunkedSeries?.labels).toEqual(s.labels);
        expect(chunkedSeries?.chunks).toHaveLength(1);
        const [chunk] = chunkedSeries?.chunks ?? [];
        expect(chunk?.type).toBe(1);
        expect(chunk?.minTimeMs).toBe(s.samples[0]?.timestampMs);
        expect(chunk?.maxTimeMs).toBe(s.samples.at(-1)?.timestampMs);
        expect(Buffer.from(encoded[i] ?? []).toString('hex')).toBe(
          Buffer.from(chunk?.data ?? []).toString('hex'),
        );
      });
    });

    it('reproduces the streamed response body byte for byte', () => {
      // Act
      const frames = encodeChunkedReadResponse(0, series);

      // Assess: frame by frame first (clearer failures), then the whole body.
      expect(frames.map((f) => Buffer.from(f).toString('hex'))).toEqual(
        fixtureFrames.map((f) => Buffer.from(f.raw).toString('hex')),
      );
      expect(Buffer.from(concat(frames)).equals(Buffer.from(chunksBody))).toBe(true);
    });

    it('decodes the streamed response to the samples of the SAMPLES response', () => {
      // Act
      const decoded = decodeChunkedReadResponse(chunksBody);

      // Assess
      expect(decoded).toEqual(series.map(({ labels, samples }) => ({ queryIndex: 0, labels, samples })));
    });
  });
});

describe('encodeChunkedReadResponse', () => {
  const sample = (timestampMs: number, value: number, stale = false): FloatSample => ({
    timestampMs,
    value,
    stale,
    startTimestampMs: 0,
  });
  // Multi-byte UTF-8 so the frame budget must count bytes, not UTF-16 code units.
  const LABELS: Label[] = [
    { name: '__name__', value: 'requests_total' },
    { name: 'city', value: 'Zürich €😀' },
    { name: 'empty', value: '' },
  ];
  /** 360 samples, 15 s apart, constant value: three 120-sample chunks of identical size. */
  const REGULAR = Array.from({ length: 360 }, (_, i) => sample(1_700_000_000_000 + i * 15_000, 7));

  const pbSize = (type: protobuf.Type, object: object): number =>
    type.encode(type.fromObject(object)).finish().length;
  const labelsSize = LABELS.reduce((sum, label) => sum + pbSize(PbLabel, label), 0);
  const chunkSize = pbSize(PbChunk, {
    minTimeMs: REGULAR[0]?.timestampMs,
    maxTimeMs: REGULAR[119]?.timestampMs,
    type: 1,
    data: encodeXorChunk(REGULAR.slice(0, 120)),
  });

  const framesOf = (
    frames: readonly Uint8Array[],
  ): {
    chunks: { min: number; max: number; samples: number }[];
    labels: PbLabelObject[];
    queryIndex: number;
  }[] =>
    frames.map((frame) => {
      const [only] = splitFrames(frame);
      const response = decodeFrameWithProtobufjs(only?.data ?? new Uint8Array(0));
      expect(response.chunkedSeries).toHaveLength(1);
      const [series] = response.chunkedSeries;
      return {
        queryIndex: response.queryIndex,
        labels: series?.labels ?? [],
        chunks: (series?.chunks ?? []).map((c) => ({
          min: c.minTimeMs,
          max: c.maxTimeMs,
          samples: ((c.data[0] as number) << 8) | (c.data[1] as number),
        })),
      };
    });

  it('cuts samples into chunks of at most 120 and keeps them in one frame by default', () => {
    // Prepare
    const samples = REGULAR.slice(0, 300);

    // Act
    const frames = encodeChunkedReadResponse(0, [{ labels: LABELS, samples }]);

    // Assess
    expect(DEFAULT_MAX_BYTES_IN_FRAME).toBe(1024 * 1024);
    expect(framesOf(frames)).toEqual([
      {
        queryIndex: 0,
        // gogo omits the empty label value; protobufjs reads the absent field back as ''.
        labels: LABELS,
        chunks: [
          { min: 1_700_000_000_000, max: 1_700_000_000_000 + 119 * 15_000, samples: 120 },
          { min: 1_700_000_000_000 + 120 * 15_000, max: 1_700_000_000_000 + 239 * 15_000, samples: 120 },
          { min: 1_700_000_000_000 + 240 * 15_000, max: 1_700_000_000_000 + 299 * 15_000, samples: 60 },
        ],
      },
    ]);
  });

  // Prometheus subtracts the labels' size once per frame, then each chunk's size, and cuts the
  // frame when the budget is no longer positive or the series ends.
  it.each([
    { description: 'a budget smaller than the labels', budget: () => 1, chunksPerFrame: [1, 1, 1] },
    {
      description: 'labels + 1 chunk exactly (0 left cuts)',
      budget: () => labelsSize + chunkSize,
      chunksPerFrame: [1, 1, 1],
    },
    {
      description: 'labels + 1 chunk + 1 byte',
      budget: () => labelsSize + chunkSize + 1,
      chunksPerFrame: [2, 1],
    },
    {
      description: 'labels + 2 chunks exactly',
      budget: () => labelsSize + 2 * chunkSize,
      chunksPerFrame: [2, 1],
    },
    {
      description: 'labels + 2 chunks + 1 byte',
      budget: () => labelsSize + 2 * chunkSize + 1,
      chunksPerFrame: [3],
    },
  ])('splits a series over frames for $description', ({ budget, chunksPerFrame }) => {
    // Act
    const frames = encodeChunkedReadResponse(5, [{ labels: LABELS, samples: REGULAR }], {
      maxBytesInFrame: budget(),
    });

    // Assess: every frame repeats the labels and the query index; chunks stay in order.
    const decoded = framesOf(frames);
    expect(decoded.map((f) => f.chunks.length)).toEqual(chunksPerFrame);
    expect(decoded.every((f) => f.queryIndex === 5)).toBe(true);
    expect(decoded.every((f) => JSON.stringify(f.labels) === JSON.stringify(LABELS))).toBe(true);
    expect(decoded.flatMap((f) => f.chunks.map((c) => c.min))).toEqual(
      [0, 120, 240].map((i) => REGULAR[i]?.timestampMs),
    );
  });

  it('writes query_index only when it is not 0, after the series', () => {
    // Prepare
    const series = [{ labels: LABELS, samples: REGULAR.slice(0, 2) }];

    // Act
    const [zero] = splitFrames(concat(encodeChunkedReadResponse(0, series)));
    const [three] = splitFrames(concat(encodeChunkedReadResponse(3, series)));

    // Assess: field 2 varint is tag 0x10.
    expect([...(three?.data.subarray(-2) ?? [])]).toEqual([0x10, 0x03]);
    expect(three?.data.length).toBe((zero?.data.length ?? 0) + 2);
  });

  it('sends nothing for an empty series list or a series without samples', () => {
    // Act
    const none = encodeChunkedReadResponse(0, []);
    const empty = encodeChunkedReadResponse(0, [
      { labels: LABELS, samples: [] },
      { labels: [{ name: '__name__', value: 'x' }], samples: [sample(1, 1)] },
    ]);

    // Assess
    expect(none).toEqual([]);
    expect(framesOf(empty).map((f) => f.labels)).toEqual([[{ name: '__name__', value: 'x' }]]);
  });

  it('round-trips series split over frames, stale markers included', () => {
    // Prepare
    const samples = Array.from({ length: 250 }, (_, i) =>
      i % 50 === 49 ? sample(1_000 + i * 1_000, Number.NaN, true) : sample(1_000 + i * 1_000, i / 3),
    );
    const series = [
      { labels: LABELS, samples },
      { labels: [{ name: '__name__', value: 'b' }], samples: samples.slice(0, 3) },
    ];

    // Act
    const body = concat(encodeChunkedReadResponse(9, series, { maxBytesInFrame: 1 }));
    const decoded = decodeChunkedReadResponse(body);

    // Assess: labels with empty values are absent on the wire, so they come back as ''.
    expect(decoded.map((d) => [d.queryIndex, d.labels.length, d.samples.length])).toEqual([
      [9, 3, 120],
      [9, 3, 120],
      [9, 3, 10],
      [9, 1, 3],
    ]);
    expect(decoded.slice(0, 3).flatMap((d) => d.samples)).toEqual(samples);
    expect(decoded[0]?.samples[49]?.stale).toBe(true);
  });

  it.each([
    {
      description: 'timestamps out of order across a chunk cut',
      series: [{ labels: LABELS, samples: [...REGULAR.slice(0, 120), REGULAR[119] as FloatSample] }],
      queryIndex: 0,
      options: {},
      message:
        'sample 121 has timestamp 1700001785000 ms, not after the previous 1700001785000 ms; timestamps must strictly ascend',
    },
    {
      description: 'timestamps out of order inside a chunk',
      series: [{ labels: LABELS, samples: [sample(2000, 1), sample(1000, 1)] }],
      queryIndex: 0,
      options: {},
      message:
        'XOR chunk sample 2 has timestamp 1000 ms, not after the previous 2000 ms; timestamps must strictly ascend',
    },
    {
      description: 'a fractional query index',
      series: [],
      queryIndex: 1.5,
      options: {},
      message: 'query index 1.5 is not a safe integer',
    },
    {
      description: 'a zero frame budget',
      series: [],
      queryIndex: 0,
      options: { maxBytesInFrame: 0 },
      message: 'maxBytesInFrame must be a positive integer, got 0',
    },
  ])('fails on $description', ({ series, queryIndex, options, message }) => {
    // Act
    const act = (): Uint8Array[] => encodeChunkedReadResponse(queryIndex, series, options);

    // Assess
    expect(act).toThrow(expect.objectContaining({ name: 'CodecError', kind: 'invalid_data', message }));
  });
});

describe('decodeChunkedReadResponse', () => {
  // A ChunkedReadResponse with one series {a="b"} and one XOR chunk holding (0 ms, 1.0):
  //   0a 19                      chunked_series, 25 bytes
  //     0a 06 0a 01 61 12 01 62  labels {name "a", value "b"}
  //     12 0f                    chunks, 15 bytes
  //       18 01                  type XOR
  //       22 0b                  data, 11 bytes: count 1, varint 0, 1.0
  const chunkData = (bytes: number[]): number[] => [0x18, 0x01, 0x22, bytes.length, ...bytes];
  const seriesData = (chunk: number[]): number[] => [
    0x0a,
    8 + 2 + chunk.length,
    ...[0x0a, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x62],
    ...[0x12, chunk.length, ...chunk],
  ];
  const ONE_SAMPLE_CHUNK = [0x00, 0x01, 0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0];
  const DATA = seriesData(chunkData(ONE_SAMPLE_CHUNK));
  const CRC = [0x91, 0x61, 0x06, 0x66];
  /** The valid frame: length 27, CRC-32C 0x91610666, data. */
  const FRAME = [DATA.length, ...CRC, ...DATA];
  /** Frames arbitrary data with its correct checksum. */
  const frameOf = (data: number[]): number[] => {
    const crc = crc32c(Uint8Array.from(data));
    return [data.length, crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff, ...data];
  };
  const EXPECTED = {
    queryIndex: 0,
    labels: [{ name: 'a', value: 'b' }],
    samples: [{ timestampMs: 0, value: 1, stale: false, startTimestampMs: 0 }],
  };

  it.each([
    { description: 'an empty body', bytes: [], expected: [] },
    { description: 'one hand-built frame', bytes: FRAME, expected: [EXPECTED] },
    { description: 'two frames', bytes: [...FRAME, ...FRAME], expected: [EXPECTED, EXPECTED] },
    {
      description: 'query_index before the series',
      bytes: frameOf([0x10, 0x07, ...DATA]),
      expected: [{ ...EXPECTED, queryIndex: 7 }],
    },
    {
      description: 'an unknown field, skipped',
      bytes: frameOf([...DATA, 0x1a, 0x01, 0xff]),
      expected: [EXPECTED],
    },
    { description: 'a frame without series', bytes: frameOf([0x10, 0x01]), expected: [] },
  ])('decodes $description', ({ bytes, expected }) => {
    // Act
    const decoded = decodeChunkedReadResponse(Uint8Array.from(bytes));

    // Assess
    expect(decoded).toEqual(expected);
  });

  it('checks the hand-built frame against crc32c', () => {
    // Assess: keeps the literal CRC above honest.
    expect(crc32c(Uint8Array.from(DATA))).toBe(0x91610666);
  });

  it.each([
    {
      description: 'a CRC mismatch',
      // The label value "b" (0x62) changed to "c" (0x63) after the CRC was computed.
      bytes: [DATA.length, ...CRC, ...DATA.slice(0, 9), 0x63, ...DATA.slice(10)],
      kind: 'protobuf',
      message: 'frame 0 at byte 0: CRC-32C mismatch (frame says 0x91610666, data has 0x9e08044d)',
    },
    {
      description: 'a CRC mismatch in the second frame',
      bytes: [...FRAME, DATA.length, ...CRC, ...DATA.slice(0, 9), 0x63, ...DATA.slice(10)],
      kind: 'protobuf',
      message: 'frame 1 at byte 32: CRC-32C mismatch (frame says 0x91610666, data has 0x9e08044d)',
    },
    {
      description: 'a frame length past the end of the body',
      // Declares 28 bytes; 27 follow the CRC.
      bytes: [28, ...CRC, ...DATA],
      kind: 'protobuf',
      message: 'frame 0 at byte 0 declares 28 bytes of data but only 27 remain',
    },
    {
      description: 'a truncated CRC',
      bytes: [27, 0x91, 0x61],
      kind: 'protobuf',
      message: 'frame 0 at byte 0 is truncated: its CRC-32C runs past the end of the body',
    },
    {
      description: 'a truncated frame length',
      // A continuation bit with nothing after it.
      bytes: [...FRAME, 0x80],
      kind: 'protobuf',
      message: 'truncated varint at byte 32',
    },
    {
      description: 'a frame length of 2^63 (10-byte uvarint)',
      bytes: [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
      kind: 'too_large',
      message: 'frame 0 at byte 0 declares 9223372036854776000 bytes, over the limit of 50000000 bytes',
    },
    {
      description: 'a chunk encoding other than XOR',
      bytes: frameOf(seriesData([0x18, 0x02, 0x22, 0x02, 0x00, 0x00])),
      kind: 'invalid_data',
      message: 'frame 0 at byte 0: chunk encoding 2 is not supported, only XOR (1)',
    },
    {
      description: 'a chunk without an encoding',
      bytes: frameOf(seriesData([0x22, 0x02, 0x00, 0x00])),
      kind: 'invalid_data',
      message: 'frame 0 at byte 0: chunk encoding 0 is not supported, only XOR (1)',
    },
    {
      description: 'a truncated XOR chunk',
      bytes: frameOf(seriesData(chunkData([0x00, 0x01, 0x00, 0x3f]))),
      kind: 'invalid_data',
      message: 'frame 0 at byte 0: XOR chunk truncated: sample 1 of 1 runs past the end of its 4 bytes',
    },
    {
      description: 'a series longer than its frame',
      bytes: frameOf([0x0a, 0x05, 0x0a]),
      kind: 'protobuf',
      message: 'frame 0 at byte 0: length 5 runs past the end of the buffer at byte 2',
    },
    {
      description: 'chunked_series with the wrong wire type',
      bytes: frameOf([0x08, 0x01]),
      kind: 'protobuf',
      message:
        'frame 0 at byte 0: wrong wire type 0 for ChunkedReadResponse.chunked_series field 1 at byte 1',
    },
  ])('rejects $description', ({ bytes, kind, message }) => {
    // Prepare
    const body = Uint8Array.from(bytes);

    // Act
    const act = (): unknown => decodeChunkedReadResponse(body);

    // Assess
    expect(act).toThrow(expect.objectContaining({ name: 'CodecError', kind, message }));
  });

  it('stops at maxSamples using the declared count of each chunk, before decoding it', () => {
    // Prepare: one series of 300 samples (chunks of 120, 120, 60).
    const samples = Array.from({ length: 300 }, (_, i) => ({
      timestampMs: 1000 + i,
      value: i,
      stale: false,
      startTimestampMs: 0,
    }));
    const body = Buffer.concat(
      encodeChunkedReadResponse(0, [{ labels: [{ name: '__name__', value: 'up' }], samples }]),
    );

    // Act
    const act = () => decodeChunkedReadResponse(body, { maxSamples: 299 });

    // Assess
    expect(act).toThrow(
      expect.objectContaining({
        kind: 'too_large',
        message: 'frame 0 at byte 0: the response holds more than 299 samples',
      }),
    );
    expect(decodeChunkedReadResponse(body, { maxSamples: 300 })[0]?.samples).toHaveLength(300);
  });

  it('checks the frame length against maxFrameBytes before reading the frame', () => {
    // Prepare: the limit is one byte under the frame's 27 bytes of data.
    const body = Uint8Array.from(FRAME);

    // Act
    const act = (): unknown => decodeChunkedReadResponse(body, { maxFrameBytes: 26 });

    // Assess
    expect(act).toThrow(
      expect.objectContaining({
        kind: 'too_large',
        message: 'frame 0 at byte 0 declares 27 bytes, over the limit of 26 bytes',
      }),
    );
    expect(decodeChunkedReadResponse(body, { maxFrameBytes: 27 })).toHaveLength(1);
  });
});
