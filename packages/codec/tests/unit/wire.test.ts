import { CodecError } from '../../src/index.js';
import { ProtoReader, ProtoWriter } from '../../src/wire.js';
import { varint } from '../helpers/bytes.js';

const read = (bytes: number[], how: (reader: ProtoReader) => number): [number, number] => {
  const reader = new ProtoReader(new Uint8Array(bytes));
  return [how(reader), reader.pos];
};

// Expected bytes come from the protobuf encoding rules (protobuf.dev/programming-guides/encoding),
// computed with BigInt by `varint` in the test helper, not by the codec.
describe('varint vectors', () => {
  it.each([
    ['uint32', 0, [0x00]],
    ['uint32', 127, [0x7f]],
    ['uint32', 128, [0x80, 0x01]],
    ['uint32', 300, [0xac, 0x02]],
    ['uint32', 2 ** 32 - 1, [0xff, 0xff, 0xff, 0xff, 0x0f]],
    ['int64', 0, [0x00]],
    ['int64', 1_700_000_000_123, varint(1_700_000_000_123n)],
    ['int64', Number.MAX_SAFE_INTEGER, varint(2n ** 53n - 1n)],
    ['int64', -1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ['int64', Number.MIN_SAFE_INTEGER, varint(-(2n ** 53n) + 1n)],
    ['int64', -300, varint(-300n)],
    ['sint64', 0, [0x00]],
    ['sint64', -1, [0x01]],
    ['sint64', 1, [0x02]],
    ['sint64', -2, [0x03]],
    ['sint64', Number.MAX_SAFE_INTEGER, varint((2n ** 53n - 1n) * 2n)],
    ['sint64', Number.MIN_SAFE_INTEGER, varint((2n ** 53n - 1n) * 2n - 1n)],
    ['sint32', -1, [0x01]],
    ['sint32', 2 ** 31 - 1, [0xfe, 0xff, 0xff, 0xff, 0x0f]],
    ['sint32', -(2 ** 31), [0xff, 0xff, 0xff, 0xff, 0x0f]],
  ] as const)('%s %p ↔ %j', (kind, value, expected) => {
    // Act
    const writer = new ProtoWriter(4);
    if (kind === 'uint32') writer.uint32(value);
    else if (kind === 'int64') writer.int64(value);
    else if (kind === 'sint64') writer.sint64(value);
    else writer.sint32(value);
    const written = [...writer.finish()];
    const [decoded, consumed] = read([...expected], (r) => r[kind]());

    // Assess
    expect(written).toEqual([...expected]);
    expect(decoded).toBe(value);
    expect(consumed).toBe(expected.length);
  });

  it('reads a sign-extended 10-byte int32 as a negative number', () => {
    expect(read([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], (r) => r.int32())).toEqual([
      -2, 10,
    ]);
  });

  it('rounds int64 values beyond 2^53 to unsafe numbers, which callers reject', () => {
    const [value] = read(varint(2n ** 53n + 1n), (r) => r.int64());
    expect(Number.isSafeInteger(value)).toBe(false);
  });
});

describe('ProtoWriter', () => {
  it.each([
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [16_383, [0xff, 0x7f]],
    [16_384, [0x80, 0x80, 0x01]],
  ])('fork/join back-fills a %i-byte length as %j', (length, prefix) => {
    // Act
    const writer = new ProtoWriter(8);
    writer.fork();
    for (let i = 0; i < length; i++) writer.uint32(i % 100);
    writer.join();
    const out = writer.finish();

    // Assess
    expect([...out.subarray(0, prefix.length)]).toEqual(prefix);
    expect(out.length).toBe(prefix.length + length);
    // The last byte is the last value written (or the prefix itself when nothing was).
    expect(out.at(-1)).toBe(length === 0 ? 0 : (length - 1) % 100);
  });

  it('writes StaleNaN as the exact bytes 02 00 00 00 00 00 f0 7f', () => {
    expect([...new ProtoWriter(1).staleNaN().finish()]).toEqual([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);
  });

  it.each(['', 'a', 'x'.repeat(127), 'x'.repeat(128), 'größe', '日本語🙂'])(
    'writes string %p as length + UTF-8',
    (text) => {
      const out = new ProtoWriter(1).string(text).finish();
      const utf8 = Buffer.from(text);
      expect([...out]).toEqual([...varint(utf8.length), ...utf8]);
      const reader = new ProtoReader(out);
      expect(reader.string()).toBe(text);
      expect(reader.sawInvalidUtf8).toBe(false);
    },
  );

  it('refuses join() without fork() and finish() with an open fork()', () => {
    expect(() => new ProtoWriter().join()).toThrow('ProtoWriter.join() without fork()');
    expect(() => new ProtoWriter().fork().finish()).toThrow('ProtoWriter.finish() with an unjoined fork()');
  });
});

describe('ProtoReader.skip', () => {
  // Tags of field 1 with each wire type.
  it.each([
    ['varint', 0x08, [0x96, 0x01], 2],
    ['fixed64', 0x09, [1, 2, 3, 4, 5, 6, 7, 8], 8],
    ['length-delimited', 0x0a, [0x03, 0x61, 0x62, 0x63], 4],
    ['fixed32', 0x0d, [1, 2, 3, 4], 4],
    // start group 1 { field 2 varint 5, group 3 { } } end group 1, as Go's decoders skip them
    ['group, nested', 0x0b, [0x10, 0x05, 0x1b, 0x1c, 0x0c], 5],
  ])('skips a %s value', (_, tag, payload, length) => {
    const reader = new ProtoReader(new Uint8Array([...payload, 0xaa]));
    reader.skip(tag);
    expect(reader.pos).toBe(length);
  });

  it.each([
    ['an end group without a start', 0x0c, [], 'unexpected end of group 1 at byte 0'],
    ['a group ended by another field number', 0x0b, [0x14], 'unexpected end of group 2 at byte 1'],
    ['an unterminated group', 0x0b, [0x10, 0x05], 'unterminated group at byte 2'],
    ['wire type 6', 0x0e, [], 'invalid wire type 6 at byte 0'],
    ['wire type 7', 0x0f, [], 'invalid wire type 7 at byte 0'],
    ['groups nested 33 deep', 0x0b, Array(32).fill(0x0b), 'groups nested deeper than 32 at byte 32'],
  ])('rejects %s', (_, tag, payload, message) => {
    expect(() => new ProtoReader(new Uint8Array(payload)).skip(tag)).toThrow(
      new CodecError('protobuf', message),
    );
  });
});

describe('32-bit varints that are longer than 32 bits', () => {
  it.each([
    // length 2^32 + 14: keeping only the low 32 bits would read it as 14
    [
      'a length prefix of 2^32 + 14',
      [0x8e, 0x80, 0x80, 0x80, 0x10],
      (r: ProtoReader) => r.lengthDelimitedEnd(),
      'length varint exceeds 32 bits at byte 0',
    ],
    [
      'a tag of 2^32 + 10',
      [0x8a, 0x80, 0x80, 0x80, 0x10],
      (r: ProtoReader) => r.tag(),
      'tag varint exceeds 32 bits at byte 0',
    ],
  ])('rejects %s instead of wrapping it', (_, bytes, read, message) => {
    expect(() => read(new ProtoReader(new Uint8Array(bytes)))).toThrow(new CodecError('protobuf', message));
  });

  it('accepts the largest 32-bit length and then finds it past the end', () => {
    expect(() =>
      new ProtoReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])).lengthDelimitedEnd(),
    ).toThrow(new CodecError('protobuf', 'length 4294967295 runs past the end of the buffer at byte 5'));
  });

  it('reads a bool from all 64 bits, as Go does', () => {
    expect(new ProtoReader(new Uint8Array(varint(2n ** 32n))).bool()).toBe(true);
    expect(new ProtoReader(new Uint8Array([0x00])).bool()).toBe(false);
  });
});
