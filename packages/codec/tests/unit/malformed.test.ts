import {
  CodecError,
  compressSnappyBlock,
  decodeReadRequest,
  decodeWriteRequest,
  decodeWriteRequestV1,
  decodeWriteRequestV2,
  decompressSnappyBlock,
} from '../../src/index.js';

const V2 = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';

/** `name="__name__" value="up"` as a v1 Label message body (14 bytes). */
const LABEL_NAME_UP = [0x0a, 0x08, ...Buffer.from('__name__'), 0x12, 0x02, ...Buffer.from('up')];
/** A v1 TimeSeries holding that label, then `sampleBytes` as one Sample. */
const seriesWithSample = (sampleBytes: number[]): number[] => {
  const series = [0x0a, LABEL_NAME_UP.length, ...LABEL_NAME_UP, 0x12, sampleBytes.length, ...sampleBytes];
  return [0x0a, series.length, ...series];
};
/** Sample.timestamp (field 2, varint) with the given varint bytes, after value 1.0. */
const sampleWithTimestamp = (varint: number[]): number[] => [
  0x09,
  0,
  0,
  0,
  0,
  0,
  0,
  0xf0,
  0x3f,
  0x10,
  ...varint,
];

/** A v2 Request with symbols ["", "__name__", "up"] (or `symbols`) and one series with `refs` packed. */
const v2Request = (refs: number[], symbols = ['', '__name__', 'up']): number[] => {
  const symbolBytes = symbols.flatMap((s) => [0x22, Buffer.byteLength(s), ...Buffer.from(s)]);
  const series = [0x0a, refs.length, ...refs];
  return [...symbolBytes, 0x2a, series.length, ...series];
};

interface MalformedCase {
  readonly description: string;
  readonly decode: () => unknown;
  readonly kind: CodecError['kind'];
  readonly message: string;
}

const cases: MalformedCase[] = [
  {
    description: 'empty body',
    decode: () => decodeWriteRequest(new Uint8Array()),
    kind: 'snappy',
    message: 'snappy: empty body',
  },
  {
    description: 'framed snappy (stream identifier chunk)',
    decode: () =>
      decodeWriteRequest(
        new Uint8Array([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59, 0x01, 0x05]),
      ),
    kind: 'snappy',
    message: 'snappy: framed format is not supported, send a snappy block',
  },
  {
    description: 'huge declared snappy length (uvarint 0xffffffff), refused before allocating',
    decode: () => decodeWriteRequest(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00])),
    kind: 'too_large',
    message: 'snappy: decoded length 4294967295 bytes exceeds the limit of 33554432 bytes',
  },
  {
    description: 'declared snappy length just over a configured cap of 1024',
    decode: () => decodeWriteRequest(new Uint8Array([0x81, 0x08, 0x00]), {}, { maxDecodedBytes: 1024 }),
    kind: 'too_large',
    message: 'snappy: decoded length 1025 bytes exceeds the limit of 1024 bytes',
  },
  {
    description: 'snappy length preamble longer than 5 bytes',
    decode: () => decompressSnappyBlock(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])),
    kind: 'snappy',
    message: 'snappy: corrupt input (invalid length preamble)',
  },
  {
    description: 'uncompressed protobuf sent as the body',
    decode: () => decodeWriteRequest(new Uint8Array(seriesWithSample(sampleWithTimestamp([0x01])))),
    kind: 'snappy',
    message: 'snappy: corrupt input',
  },
  {
    description: 'snappy copy element pointing before the start of the output',
    // length 4, then a 1-byte-offset copy (tag 0b001_000_01) of 4 bytes at offset 1 with nothing written yet
    decode: () => decompressSnappyBlock(new Uint8Array([0x04, 0x01, 0x01])),
    kind: 'snappy',
    message: 'snappy: corrupt input',
  },
  {
    description: 'snappy block shorter than its declared length',
    // declares 8 bytes, holds one 2-byte literal (tag 0b000001_00)
    decode: () => decompressSnappyBlock(new Uint8Array([0x08, 0x04, 0x61, 0x62])),
    kind: 'snappy',
    message: 'snappy: corrupt input',
  },
  {
    description: 'truncated varint (length prefix cut after a continuation byte)',
    decode: () => decodeWriteRequestV1(new Uint8Array([0x0a, 0x80])),
    kind: 'protobuf',
    message: 'truncated varint at byte 1',
  },
  {
    description: 'varint overflow (11-byte length prefix)',
    decode: () => decodeWriteRequestV1(new Uint8Array([0x0a, ...Array(10).fill(0xff), 0x01])),
    kind: 'protobuf',
    message: 'varint longer than 10 bytes at byte 11',
  },
  {
    description: 'field number 0',
    decode: () => decodeWriteRequestV1(new Uint8Array([0x00, 0x00])),
    kind: 'protobuf',
    message: 'invalid field number 0 at byte 1',
  },
  {
    description: 'wrong wire type: WriteRequest.timeseries as fixed64',
    decode: () => decodeWriteRequestV1(new Uint8Array([0x09, 1, 2, 3, 4, 5, 6, 7, 8])),
    kind: 'protobuf',
    message: 'wrong wire type 1 for WriteRequest field 1',
  },
  {
    description: 'wrong wire type: Sample.value as varint',
    decode: () => decodeWriteRequestV1(new Uint8Array(seriesWithSample([0x08, 0x01]))),
    kind: 'protobuf',
    message: 'wrong wire type 0 for Sample field 1 at byte 21',
  },
  {
    description: 'unterminated group in an unknown field',
    decode: () => decodeWriteRequestV1(new Uint8Array([0x3b])),
    kind: 'protobuf',
    message: 'unterminated group at byte 1',
  },
  {
    description: 'end group without a start',
    decode: () => decodeWriteRequestV1(new Uint8Array([0x44])),
    kind: 'protobuf',
    message: 'unexpected end of group 8 at byte 1',
  },
  {
    description: 'invalid wire type 6',
    decode: () => decodeWriteRequestV1(new Uint8Array([0x3e])),
    kind: 'protobuf',
    message: 'invalid wire type 6 at byte 1',
  },
  {
    description: 'length prefix of 2^32 + 14 (must not wrap to 14)',
    decode: () => decodeWriteRequestV1(new Uint8Array([0x0a, 0x8e, 0x80, 0x80, 0x80, 0x10, 0x0a, 0x0e])),
    kind: 'protobuf',
    message: 'length varint exceeds 32 bits at byte 1',
  },
  {
    description: 'tag varint longer than 32 bits (must not alias field 1)',
    decode: () => decodeWriteRequestV1(new Uint8Array([0x8a, 0x80, 0x80, 0x80, 0x10, 0x00])),
    kind: 'protobuf',
    message: 'tag varint exceeds 32 bits at byte 0',
  },
  {
    description: 'length past the end of the buffer',
    decode: () => decodeWriteRequestV1(new Uint8Array([0x0a, 0x05, 0x0a])),
    kind: 'protobuf',
    message: 'length 5 runs past the end of the buffer at byte 2',
  },
  {
    description: 'Label whose name runs past the Label but not past the buffer',
    // TimeSeries(len 7) { Label(len 2) { name(len 3) "abc" } }: the name ends 3 bytes after the Label
    decode: () =>
      decodeWriteRequestV1(new Uint8Array([0x0a, 0x07, 0x0a, 0x02, 0x0a, 0x03, 0x61, 0x62, 0x63])),
    kind: 'protobuf',
    message: 'Label overruns its length at byte 9',
  },
  {
    description: 'truncated fixed64 sample value',
    decode: () => decodeWriteRequestV1(new Uint8Array(seriesWithSample([0x09, 0x00, 0x00, 0x00]))),
    kind: 'protobuf',
    message: 'truncated fixed64 at byte 21',
  },
  {
    description: 'negative sample timestamp (-1 as a 10-byte varint)',
    decode: () =>
      decodeWriteRequestV1(
        new Uint8Array(seriesWithSample(sampleWithTimestamp([...Array(9).fill(0xff), 0x01]))),
      ),
    kind: 'timestamp_out_of_range',
    message: 'sample timestamp -1 ms is negative',
  },
  {
    description: 'sample timestamp of 2^53 + 1 ms (not exactly representable)',
    // 2^53 + 1 = 0x20000000000001 as a uvarint
    decode: () =>
      decodeWriteRequestV1(
        new Uint8Array(
          seriesWithSample(sampleWithTimestamp([0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10])),
        ),
      ),
    kind: 'timestamp_out_of_range',
    message: 'sample timestamp is outside ±2^53 ms',
  },
  {
    description: 'sample timestamp of -2^60 ms',
    decode: () =>
      decodeWriteRequestV1(
        new Uint8Array(
          seriesWithSample(sampleWithTimestamp([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0xf0, 0x01])),
        ),
      ),
    kind: 'timestamp_out_of_range',
    message: 'sample timestamp is outside ±2^53 ms',
  },
  {
    description: 'v2: labels_refs of odd length',
    decode: () => decodeWriteRequestV2(new Uint8Array(v2Request([1, 2, 1]))),
    kind: 'invalid_data',
    message: 'series labels_refs has odd length 3',
  },
  {
    description: 'v2: symbol ref out of range',
    decode: () => decodeWriteRequestV2(new Uint8Array(v2Request([1, 7]))),
    kind: 'invalid_data',
    message: 'series labels_refs references symbol 7, but the table has 3 symbols',
  },
  {
    description: 'v2: symbols[0] is not the empty string',
    decode: () => decodeWriteRequestV2(new Uint8Array(v2Request([1, 2], ['x', '__name__', 'up']))),
    kind: 'invalid_data',
    message: 'symbols[0] must be the empty string',
  },
  {
    description: 'v2: refs but no symbol table at all',
    decode: () => decodeWriteRequestV2(new Uint8Array([0x2a, 0x04, 0x0a, 0x02, 0x01, 0x02])),
    kind: 'invalid_data',
    message: 'series labels_refs references symbol 1, but the table has 0 symbols',
  },
  {
    description: 'v2 Content-Type on a remote write 1.0 body',
    decode: () =>
      decodeWriteRequest(compressSnappyBlock(new Uint8Array(seriesWithSample(sampleWithTimestamp([0x01])))), {
        contentType: V2,
      }),
    kind: 'invalid_data',
    message: 'field 1 is reserved in io.prometheus.write.v2.Request (is this a remote write 1.0 body?)',
  },
  {
    description: 'v1 Content-Type on a remote write 2.0 body',
    decode: () => decodeWriteRequest(compressSnappyBlock(new Uint8Array(v2Request([1, 2])))),
    kind: 'invalid_data',
    message:
      'body holds only io.prometheus.write.v2.Request fields (4, 5); send it with Content-Type ' +
      '"application/x-protobuf;proto=io.prometheus.write.v2.Request"',
  },
  {
    description: 'read request: unknown matcher type 4',
    // Query { matchers: LabelMatcher { type: 4 } }
    decode: () =>
      decodeReadRequest(compressSnappyBlock(new Uint8Array([0x0a, 0x04, 0x1a, 0x02, 0x08, 0x04]))),
    kind: 'invalid_data',
    message: 'unknown label matcher type 4',
  },
  {
    description: 'histogram: packed double counts whose length is not a multiple of 8',
    // TimeSeries { histograms: Histogram { positive_counts (13, packed): 3 bytes } }
    decode: () =>
      decodeWriteRequestV1(new Uint8Array([0x0a, 0x07, 0x22, 0x05, 0x6a, 0x03, 0x00, 0x00, 0x00])),
    kind: 'protobuf',
    message: 'packed double field length is not a multiple of 8 at byte 6',
  },
];

describe('malformed input', () => {
  it.each(cases.map((c) => [c.description, c] as const))('%s', (_, c) => {
    // Act
    let thrown: unknown;
    try {
      c.decode();
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(CodecError);
    expect(thrown).toMatchObject({ kind: c.kind, message: c.message });
  });
});
