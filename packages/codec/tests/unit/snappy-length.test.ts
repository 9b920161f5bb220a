/**
 * `decodedLengthOfSnappyBlock`: the decoded size a block declares, read from its length preamble
 * (a little-endian base-128 uvarint, at most 5 bytes for 32 bits) without decompressing.
 */
import { compressSnappyBlock, decodedLengthOfSnappyBlock } from '../../src/index.js';

interface LengthCase {
  readonly description: string;
  readonly body: Uint8Array;
  readonly expected: number | undefined;
}

const cases: LengthCase[] = [
  { description: 'empty body: no preamble', body: new Uint8Array(), expected: undefined },
  // 0x00: length 0, nothing follows (the block of an empty message).
  { description: 'one-byte preamble of 0', body: new Uint8Array([0x00]), expected: 0 },
  // 0x7f: the largest one-byte uvarint; the bytes after it are not looked at.
  { description: 'one-byte preamble of 127', body: new Uint8Array([0x7f, 0xff, 0xff]), expected: 127 },
  // 0x80 0x01: low 7 bits 0, continuation, then 1 × 128.
  { description: 'two-byte preamble of 128', body: new Uint8Array([0x80, 0x01]), expected: 128 },
  // 0x80 0x80 0x80 0x10: 0x10 × 2^21 = 32 MiB.
  {
    description: 'four-byte preamble of 32 MiB',
    body: new Uint8Array([0x80, 0x80, 0x80, 0x10, 0x00]),
    expected: 32 * 1024 * 1024,
  },
  // Five bytes, the last 0x0f: 2^32 - 1, the largest 32-bit length.
  {
    description: 'five-byte preamble of 2^32 - 1',
    body: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]),
    expected: 0xffffffff,
  },
  // Five bytes, the last 0x10: 2^32, over 32 bits.
  {
    description: 'preamble over 32 bits',
    body: new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x10]),
    expected: undefined,
  },
  // Five continuation bytes: the uvarint does not end within 5 bytes.
  {
    description: 'preamble longer than 5 bytes',
    body: new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
    expected: undefined,
  },
  // The body ends on a continuation byte.
  { description: 'preamble cut short', body: new Uint8Array([0x80, 0x80]), expected: undefined },
  // The stream identifier chunk of the framed format: its first bytes would read as 895.
  {
    description: 'framed snappy (stream identifier chunk)',
    body: new Uint8Array([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59, 0x01]),
    expected: undefined,
  },
];

describe('decodedLengthOfSnappyBlock', () => {
  it.each(cases)('$description', ({ body, expected }) => {
    // Act
    const length = decodedLengthOfSnappyBlock(body);

    // Assess
    expect(length).toBe(expected);
  });

  it.each([0, 1, 1000, 70_000])(
    'gives the length of a block compressSnappyBlock made of %i bytes',
    (size) => {
      // Prepare
      const block = compressSnappyBlock(new Uint8Array(size).fill(7));

      // Act
      const length = decodedLengthOfSnappyBlock(block);

      // Assess
      expect(length).toBe(size);
    },
  );
});
