import { CodecError } from '../../src/errors.js';
import type { FloatSample } from '../../src/model.js';
import { decodeXorChunk, encodeXorChunk, MAX_SAMPLES_PER_XOR_CHUNK } from '../../src/xor-chunk.js';

const sample = (timestampMs: number, value: number, stale = false): FloatSample => ({
  timestampMs,
  value,
  stale,
  startTimestampMs: 0,
});

/** The raw IEEE 754 bits of a sample as it must appear in the chunk. */
const rawBits = (s: FloatSample): bigint => {
  if (s.stale) return 0x7ff0000000000002n;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, s.value);
  return view.getBigUint64(0);
};

/** `width` bits of `value` in two's complement, MSB first. */
const bits = (value: bigint | number, width: number): string =>
  BigInt.asUintN(width, BigInt(value)).toString(2).padStart(width, '0');

/** Packs a string of '0'/'1' MSB-first into bytes, zero-padding the last byte like Prometheus's bstream. */
const bitsToBytes = (bitString: string): number[] => {
  const padded = bitString.padEnd(Math.ceil(bitString.length / 8) * 8, '0');
  const out: number[] = [];
  for (let i = 0; i < padded.length; i += 8) out.push(Number.parseInt(padded.slice(i, i + 8), 2));
  return out;
};

const bytesOfDouble = (value: bigint): number[] => bitsToBytes(bits(value, 64));

/** Asserts the decoded samples equal the input, comparing values by raw bits (NaN, -0). */
const expectSameSamples = (actual: FloatSample[], expected: readonly FloatSample[]): void => {
  expect(actual.map((s) => s.timestampMs)).toEqual(expected.map((s) => s.timestampMs));
  expect(actual.map((s) => s.stale)).toEqual(expected.map((s) => s.stale));
  expect(actual.map(rawBits)).toEqual(expected.map(rawBits));
  expect(actual.every((s) => s.startTimestampMs === 0)).toBe(true);
};

const ramp = (
  count: number,
  startMs: number,
  stepMs: number,
  valueAt: (i: number) => number,
): FloatSample[] => Array.from({ length: count }, (_, i) => sample(startMs + i * stepMs, valueAt(i)));

describe('encodeXorChunk / decodeXorChunk', () => {
  it('exports the 120-sample cut Prometheus uses', () => {
    // Assess
    expect(MAX_SAMPLES_PER_XOR_CHUNK).toBe(120);
  });

  it.each([
    { description: 'no samples', samples: [] },
    { description: 'a single sample', samples: [sample(1_700_000_000_000, 42.5)] },
    { description: 'two samples', samples: [sample(1_700_000_000_000, 1), sample(1_700_000_015_000, 2)] },
    { description: 'timestamp 0', samples: [sample(0, 1), sample(1, 1), sample(3, 1)] },
    {
      description: '120 samples (one full chunk)',
      samples: ramp(120, 1_700_000_000_000, 15_000, (i) => i * 0.1),
    },
    { description: '121 samples', samples: ramp(121, 1_700_000_000_000, 15_000, (i) => Math.sin(i)) },
    { description: 'the 65535-sample maximum', samples: ramp(65535, 1_000, 7, (i) => i % 17) },
    {
      description: 'jittered scrape intervals (small positive and negative delta-of-deltas)',
      samples: [0, 15_003, 29_998, 45_001, 60_000, 74_990, 90_020].map((t, i) =>
        sample(1_700_000_000_000 + t, i),
      ),
    },
    {
      description: 'delta-of-deltas in every bucket, at and past each boundary',
      samples: [
        0, 10_000_000, 20_000_000, 30_008_192, 40_000_001, 50_008_194, 59_942_659, 69_942_659, 80_008_196,
        89_417_909, 100_000_000, 200_000_000, 200_000_001, 1_300_000_000_000, 1_300_000_000_001,
        9_007_199_254_740_991,
      ].map((t, i) => sample(t, i)),
    },
    {
      description: 'special values: StaleNaN, NaN, ±Inf, -0, subnormals, extremes',
      samples: [
        sample(1000, 0),
        sample(2000, -0),
        sample(3000, Number.NaN),
        sample(4000, Number.NaN, true),
        sample(5000, Number.POSITIVE_INFINITY),
        sample(6000, Number.NEGATIVE_INFINITY),
        sample(7000, 5e-324),
        sample(8000, -5e-324),
        sample(9000, Number.MAX_VALUE),
        sample(10000, -Number.MIN_VALUE),
        sample(11000, 0, true),
        sample(12000, 1),
      ],
    },
    {
      description: 'equal values (every XOR is 0)',
      samples: ramp(50, 1_700_000_000_000, 30_000, () => 123.456),
    },
    {
      description: 'a counter (window reuse) then a jump (new window)',
      samples: ramp(40, 1_700_000_000_000, 15_000, (i) => (i < 30 ? 1_000_000 + i * 8 : 2 ** 60 + i)),
    },
  ])('round-trips $description bit-exactly', ({ samples }) => {
    // Prepare
    const input: readonly FloatSample[] = samples;

    // Act
    const chunk = encodeXorChunk(input);
    const decoded = decodeXorChunk(chunk);

    // Assess
    expect((chunk[0] as number) * 256 + (chunk[1] as number)).toBe(input.length);
    expectSameSamples(decoded, input);
  });

  it('writes the first sample as a zigzag varint timestamp and the raw 64-bit value', () => {
    // Prepare: zigzag(1000) = 2000 = 0x7d0, as a varint d0 0f; 1.0 is 0x3ff0000000000000.
    const samples = [sample(1000, 1)];

    // Act
    const chunk = encodeXorChunk(samples);

    // Assess
    expect([...chunk]).toEqual([0x00, 0x01, 0xd0, 0x0f, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]);
  });

  it('writes StaleNaN as 0x7ff0000000000002 whatever the value field holds', () => {
    // Prepare: `stale` wins over `value`, so even 0 is written as StaleNaN.
    const samples = [sample(1000, 0, true)];

    // Act
    const chunk = encodeXorChunk(samples);
    const [decoded] = decodeXorChunk(chunk);

    // Assess
    expect([...chunk.subarray(4)]).toEqual([0x7f, 0xf0, 0, 0, 0, 0, 0, 0x02]);
    expect(decoded?.stale).toBe(true);
    expect(decoded?.value).toBeNaN();
  });

  it('does not mark an ordinary NaN stale', () => {
    // Act
    const [decoded] = decodeXorChunk(encodeXorChunk([sample(1000, Number.NaN)]));

    // Assess
    expect(decoded?.value).toBeNaN();
    expect(decoded?.stale).toBe(false);
  });

  // Three samples at 0, 10_000_000 and 20_000_000 + dod ms, all value 1: after the aligned
  // header (count, zigzag varint 0, 8 value bytes, uvarint 10_000_000) come sample 1's value bit
  // '0', sample 2's delta-of-delta, and its value bit '0'.
  it.each([
    { dod: 0, encoded: '0' },
    { dod: 1, encoded: `10${bits(1, 14)}` },
    { dod: 8192, encoded: `10${bits(8192, 14)}` },
    { dod: -8191, encoded: `10${bits(-8191, 14)}` },
    { dod: 8193, encoded: `110${bits(8193, 17)}` },
    { dod: -8192, encoded: `110${bits(-8192, 17)}` },
    { dod: 65536, encoded: `110${bits(65536, 17)}` },
    { dod: -65535, encoded: `110${bits(-65535, 17)}` },
    { dod: 65537, encoded: `1110${bits(65537, 20)}` },
    { dod: -65536, encoded: `1110${bits(-65536, 20)}` },
    { dod: 524288, encoded: `1110${bits(524288, 20)}` },
    { dod: -524287, encoded: `1110${bits(-524287, 20)}` },
    { dod: 524289, encoded: `1111${bits(524289, 64)}` },
    { dod: -524288, encoded: `1111${bits(-524288, 64)}` },
    { dod: 2 ** 45, encoded: `1111${bits(2 ** 45, 64)}` },
    { dod: -9_999_999, encoded: `1111${bits(-9_999_999, 64)}` },
  ])('puts delta-of-delta $dod in the bucket Prometheus picks', ({ dod, encoded }) => {
    // Prepare
    const samples = [sample(0, 1), sample(10_000_000, 1), sample(20_000_000 + dod, 1)];
    const header = [0x00, 0x03, 0x00, ...bytesOfDouble(0x3ff0000000000000n), 0x80, 0xad, 0xe2, 0x04];

    // Act
    const chunk = encodeXorChunk(samples);

    // Assess
    expect([...chunk]).toEqual([...header, ...bitsToBytes(`0${encoded}0`)]);
    expectSameSamples(decodeXorChunk(chunk), samples);
  });

  // Two or three samples at 0, 1000 (and 2000) ms: after the aligned header (count, varint 0,
  // first value, uvarint 1000 = e8 07) come the XOR-encoded values.
  it.each([
    { description: 'an unchanged value as a single 0 bit', values: [1, 1], encoded: '0' },
    {
      description: 'a new window: 5 bits leading, 6 bits length, then the meaningful bits',
      // 1 ^ 2 = 0x7ff0000000000000: 1 leading zero, 52 trailing, 11 meaningful bits.
      values: [1, 2],
      encoded: `11${bits(1, 5)}${bits(11, 6)}11111111111`,
    },
    {
      description: 'a reused window when the XOR fits inside the previous one',
      // 2 ^ 4 = 0x0010000000000000 fits the (1, 52) window: sample 3 is dod '0', then '10' and 11 bits.
      values: [1, 2, 4],
      encoded: `11${bits(1, 5)}${bits(11, 6)}11111111111${'0'}10${bits(1, 11)}`,
    },
    {
      description: 'leading zeros clamped to 31',
      // 0 ^ 5e-324 = 0x1: 63 leading zeros, clamped to 31, so 33 meaningful bits.
      values: [0, 5e-324],
      encoded: `11${bits(31, 5)}${bits(33, 6)}${bits(1, 33)}`,
    },
    {
      description: '64 meaningful bits written as a length of 0',
      // 1 ^ -5e-324 = 0xbff0000000000001: no leading or trailing zeros.
      values: [1, -5e-324],
      encoded: `11${bits(0, 5)}${bits(0, 6)}${bits(0xbff0000000000001n, 64)}`,
    },
  ])('encodes $description', ({ values, encoded }) => {
    // Prepare
    const samples = values.map((v, i) => sample(i * 1000, v));
    const first = rawBits(samples[0] as FloatSample);
    const header = [0x00, values.length, 0x00, ...bytesOfDouble(first), 0xe8, 0x07];

    // Act
    const chunk = encodeXorChunk(samples);

    // Assess
    expect([...chunk]).toEqual([...header, ...bitsToBytes(encoded)]);
    expectSameSamples(decodeXorChunk(chunk), samples);
  });

  it('encodes a StaleNaN after 0 with a 62-bit window', () => {
    // Prepare: 0 ^ 0x7ff0000000000002 has 1 leading and 1 trailing zero.
    const samples = [sample(0, 0), sample(1000, 0, true)];
    const header = [0x00, 0x02, 0x00, ...bytesOfDouble(0n), 0xe8, 0x07];
    const encoded = `11${bits(1, 5)}${bits(62, 6)}${bits(0x7ff0000000000002n >> 1n, 62)}`;

    // Act
    const chunk = encodeXorChunk(samples);

    // Assess
    expect([...chunk]).toEqual([...header, ...bitsToBytes(encoded)]);
    expectSameSamples(decodeXorChunk(chunk), samples);
  });

  it.each([
    {
      description: 'more than 65535 samples',
      samples: ramp(65536, 0, 1, () => 0),
      kind: 'invalid_data',
      message: 'an XOR chunk holds at most 65535 samples, got 65536',
    },
    {
      description: 'a repeated timestamp',
      samples: [sample(1000, 1), sample(2000, 2), sample(2000, 3)],
      kind: 'invalid_data',
      message:
        'XOR chunk sample 3 has timestamp 2000 ms, not after the previous 2000 ms; timestamps must strictly ascend',
    },
    {
      description: 'a timestamp going backwards',
      samples: [sample(5000, 1), sample(4000, 2)],
      kind: 'invalid_data',
      message:
        'XOR chunk sample 2 has timestamp 4000 ms, not after the previous 5000 ms; timestamps must strictly ascend',
    },
    {
      description: 'an unsafe timestamp',
      samples: [sample(2 ** 53, 1)],
      kind: 'timestamp_out_of_range',
      message: 'sample timestamp is outside ±2^53 ms',
    },
  ])('fails to encode $description', ({ samples, kind, message }) => {
    // Act
    const act = (): Uint8Array => encodeXorChunk(samples);

    // Assess
    expect(act).toThrow(CodecError);
    expect(act).toThrow(expect.objectContaining({ kind, message }));
  });

  const ONE = [0x3f, 0xf0, 0, 0, 0, 0, 0, 0];

  it.each([
    {
      description: 'an empty buffer',
      bytes: [],
      message: 'XOR chunk is 0 bytes, too short for its 2-byte sample count',
    },
    {
      description: 'half a sample count',
      bytes: [0x00],
      message: 'XOR chunk is 1 bytes, too short for its 2-byte sample count',
    },
    {
      description: 'a count with no sample data',
      bytes: [0x00, 0x01],
      message: 'XOR chunk truncated: sample 1 of 1 runs past the end of its 2 bytes',
    },
    {
      description: 'a first value cut short',
      // count 1, varint 0, then 3 of the 8 value bytes.
      bytes: [0x00, 0x01, 0x00, 0x3f, 0xf0, 0x00],
      message: 'XOR chunk truncated: sample 1 of 1 runs past the end of its 6 bytes',
    },
    {
      description: 'a timestamp varint that never ends',
      bytes: [0x00, 0x01, 0x80, 0x80, 0x80],
      message: 'XOR chunk truncated: sample 1 of 1 runs past the end of its 5 bytes',
    },
    {
      description: 'a timestamp varint longer than 10 bytes',
      bytes: [0x00, 0x01, ...Array<number>(10).fill(0xff), 0x01],
      message: 'XOR chunk sample 1: varint overflows 64 bits',
    },
    {
      description: 'a 10th varint byte above 1',
      bytes: [0x00, 0x01, ...Array<number>(9).fill(0xff), 0x02],
      message: 'XOR chunk sample 1: varint overflows 64 bits',
    },
    {
      description: 'more samples declared than present',
      // count 10; sample 1 at 0 ms, sample 2 at +1000 ms with the same value (bit '0'), then 7
      // zero padding bits. Like Prometheus's iterator, the decoder cannot tell padding from data:
      // samples 3-5 decode as '0' '0' (same delta, same value), sample 6 runs out.
      bytes: [0x00, 0x0a, 0x00, ...ONE, 0xe8, 0x07, 0x00],
      message: 'XOR chunk truncated: sample 6 of 10 runs past the end of its 14 bytes',
    },
    {
      description: 'a 64-bit delta-of-delta cut short',
      // count 3; sample 2's value bit '0', then sample 3's dod prefix '1111' with 3 of 64 bits.
      bytes: [0x00, 0x03, 0x00, ...ONE, 0xe8, 0x07, 0x7f],
      message: 'XOR chunk truncated: sample 3 of 3 runs past the end of its 14 bytes',
    },
    {
      description: 'a zero timestamp delta',
      // count 2; sample 2 has uvarint delta 0.
      bytes: [0x00, 0x02, 0x00, ...ONE, 0x00, 0x00],
      message: 'XOR chunk sample 2 of 2: timestamp delta 0 ms is not a positive safe integer',
    },
    {
      description: 'a delta-of-delta that makes the delta negative',
      // count 3; delta 1 ms, then '10' + 14-bit dod -2 ('11111111111110'), value bits '0' '0'.
      bytes: [0x00, 0x03, 0x00, ...ONE, 0x01, ...bitsToBytes(`0${'10'}${bits(-2, 14)}0`)],
      message: 'XOR chunk sample 3 of 3: timestamp delta -1 ms is not a positive safe integer',
    },
    {
      description: 'a timestamp past 2^53',
      // count 2; delta 2^53 as a uvarint (80 80 80 80 80 80 80 10).
      bytes: [0x00, 0x02, 0x00, ...ONE, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00],
      message: 'XOR chunk sample 2 of 2: timestamp delta 9007199254740992 ms is not a positive safe integer',
    },
    {
      description: 'a window wider than 64 bits',
      // count 2; delta 1 ms; value '1' '1', 31 leading zeros, 40 meaningful bits.
      bytes: [
        0x00,
        0x02,
        0x00,
        ...ONE,
        0x01,
        ...bitsToBytes(`11${bits(31, 5)}${bits(40, 6)}`),
        ...Array<number>(6).fill(0),
      ],
      message: 'XOR chunk sample 2 of 2: 31 leading zeros plus 40 significant bits exceed 64',
    },
  ])('rejects $description', ({ bytes, message }) => {
    // Prepare
    const data = Uint8Array.from(bytes);

    // Act
    const act = (): FloatSample[] => decodeXorChunk(data);

    // Assess
    expect(act).toThrow(expect.objectContaining({ name: 'CodecError', kind: 'invalid_data', message }));
  });

  it('decodes a first timestamp before 1970 (zigzag varint 1 = -1 ms), as Prometheus chunks allow', () => {
    // Prepare: count 1, zigzag varint 1 (= -1 ms), value 1.0.
    const data = Uint8Array.from([0x00, 0x01, 0x01, ...ONE]);

    // Act
    const samples = decodeXorChunk(data);

    // Assess
    expect(samples).toEqual([{ timestampMs: -1, value: 1, stale: false, startTimestampMs: 0 }]);
    expect([...encodeXorChunk(samples)]).toEqual([...data]);
  });

  it.each([-1, -2, -1_000, -(2 ** 31), -(2 ** 52) - 1, Number.MIN_SAFE_INTEGER])(
    'round-trips a first timestamp of %i ms',
    (timestampMs) => {
      // Prepare: expected first bytes are Go's binary.PutVarint, computed here with BigInt.
      const zigzag = -2n * BigInt(timestampMs) - 1n;
      const expected: number[] = [];
      for (let v = zigzag; ; v >>= 7n) {
        if (v < 0x80n) {
          expected.push(Number(v));
          break;
        }
        expected.push(Number(v & 0x7fn) | 0x80);
      }
      const samples = [
        { timestampMs, value: 2, stale: false, startTimestampMs: 0 },
        { timestampMs: timestampMs + 15_000, value: 3, stale: false, startTimestampMs: 0 },
      ];

      // Act
      const data = encodeXorChunk(samples);

      // Assess
      expect([...data.subarray(2, 2 + expected.length)]).toEqual(expected);
      expect(decodeXorChunk(data)).toEqual(samples);
    },
  );

  it('ignores bytes after the last declared sample, as Prometheus does', () => {
    // Prepare
    const chunk = encodeXorChunk([sample(1000, 1), sample(2000, 2)]);
    const padded = Uint8Array.from([...chunk, 0xff, 0xff]);

    // Act
    const decoded = decodeXorChunk(padded);

    // Assess
    expectSameSamples(decoded, [sample(1000, 1), sample(2000, 2)]);
  });

  it('never reads past the end of corrupt data', () => {
    // Prepare: every truncation of a real chunk must throw a CodecError, never crash or hang.
    const chunk = encodeXorChunk(ramp(120, 1_700_000_000_000, 15_000, (i) => Math.cos(i) * 1000));
    const failures: string[] = [];

    // Act
    for (let length = 0; length < chunk.length; length++) {
      try {
        decodeXorChunk(chunk.subarray(0, length));
        failures.push(`length ${length} decoded`);
      } catch (error) {
        if (!(error instanceof CodecError)) failures.push(`length ${length}: ${String(error)}`);
      }
    }

    // Assess
    expect(failures).toEqual([]);
  });
});
