import { CodecError } from './errors.js';

/** Protobuf wire types (https://protobuf.dev/programming-guides/encoding/#structure). */
export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  StartGroup: 3,
  EndGroup: 4,
  Fixed32: 5,
} as const;

const TWO_POW_32 = 4294967296;

/** Deepest nesting of (deprecated) groups skipped before giving up; bounds recursion on crafted input. */
const MAX_GROUP_DEPTH = 32;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * A cursor over one protobuf message. Every read checks bounds against the buffer and throws a
 * `CodecError` of kind `protobuf` whose message names the byte offset.
 */
export class ProtoReader {
  public readonly buf: Uint8Array;
  public pos = 0;
  /** Set when a string was not valid UTF-8; the caller decides whether that invalidates a series. */
  public sawInvalidUtf8 = false;
  private readonly view: DataView;
  /** The same bytes as a Buffer, for Node's native string decoding. */
  private readonly text: Buffer;

  public constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.text = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  public fail(message: string): never {
    throw new CodecError('protobuf', `${message} at byte ${this.pos}`);
  }

  /** Reads a field tag; returns `fieldNumber << 3 | wireType`. */
  public tag(): number {
    // Fast path: fields 1–15 have one-byte tags, which is every field Prometheus sends.
    const first = this.buf[this.pos];
    if (first !== undefined && first < 0x80 && first >= 0x08) {
      this.pos++;
      return first;
    }
    // A longer tag would alias another field if only its low 32 bits were read.
    const tag = this.strictUint32('tag');
    if (tag >>> 3 === 0) this.fail('invalid field number 0');
    return tag;
  }

  /** Reads a varint that must fit in 32 bits (a tag or a length), failing instead of truncating it. */
  private strictUint32(what: string): number {
    const start = this.pos;
    const value = this.uint32();
    if (this.pos - start > 4 && (this.pos - start > 5 || (this.buf[start + 4] as number) > 0x0f)) {
      this.pos = start;
      this.fail(`${what} varint exceeds 32 bits`);
    }
    return value;
  }

  /** Reads a varint and returns its low 32 bits as an unsigned number. */
  public uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    // Fast path: one-byte varints (tags, small lengths, refs) are the common case.
    if (pos < buf.length) {
      const b = buf[pos] as number;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= buf.length) this.fail('truncated varint');
      const b = buf[pos++] as number;
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return result >>> 0;
      }
    }
    // Bytes 6..10 only carry bits above 32 (negative int32s are sign-extended to 10 bytes).
    for (let i = 5; i < 10; i++) {
      if (pos >= buf.length) this.fail('truncated varint');
      if ((buf[pos++] as number) < 0x80) {
        this.pos = pos;
        return result >>> 0;
      }
    }
    this.pos = pos;
    return this.fail('varint longer than 10 bytes');
  }

  /**
   * Reads an int64 varint as a number. Values beyond ±2^53 come back rounded and fail
   * `Number.isSafeInteger`, which is how callers detect them.
   */
  public int64(): number {
    const buf = this.buf;
    let pos = this.pos;
    // Fast path: a millisecond timestamp of this century is a 6-byte varint; up to 7 bytes
    // (49 bits) the value is accumulated exactly in a double without splitting into halves.
    let value = 0;
    let factor = 1;
    for (let i = 0; i < 7; i++) {
      if (pos >= buf.length) this.fail('truncated varint');
      const b = buf[pos++] as number;
      value += (b & 0x7f) * factor;
      if (b < 0x80) {
        this.pos = pos;
        return value;
      }
      factor *= 128;
    }
    // Longer varints (far-future or negative values) take the exact 64-bit path from the start.
    const [lo, hi] = this.varint64Halves();
    return hi & 0x80000000 ? -((~hi >>> 0) * TWO_POW_32 + (~lo >>> 0) + 1) : hi * TWO_POW_32 + lo;
  }

  /** Reads a uint64 varint as a number (rounded beyond 2^53, like `int64`). */
  public uint64(): number {
    const [lo, hi] = this.varint64Halves();
    return hi * TWO_POW_32 + lo;
  }

  /** Reads a zigzag-encoded sint64 as a number. */
  public sint64(): number {
    const [lo, hi] = this.varint64Halves();
    // Undo zigzag on the 64-bit halves: n = (z >>> 1) ^ -(z & 1).
    const negative = lo & 1;
    const l = ((lo >>> 1) | (hi << 31)) >>> 0;
    const h = hi >>> 1;
    return negative ? -(h * TWO_POW_32 + l) - 1 : h * TWO_POW_32 + l;
  }

  /** Reads a zigzag-encoded sint32. */
  public sint32(): number {
    const z = this.uint32();
    return (z >>> 1) ^ -(z & 1);
  }

  /** Reads an int32 (negative values are sign-extended 10-byte varints). */
  public int32(): number {
    return this.uint32() | 0;
  }

  /** Reads a bool; any non-zero 64-bit varint is true, as in Go. */
  public bool(): boolean {
    const [lo, hi] = this.varint64Halves();
    return lo !== 0 || hi !== 0;
  }

  /** Reads a little-endian IEEE 754 double; NaN payloads survive (see `lastDoubleIsStaleNaN`). */
  public double(): number {
    const pos = this.pos;
    if (pos + 8 > this.buf.length) this.fail('truncated fixed64');
    this.pos = pos + 8;
    return this.view.getFloat64(pos, true);
  }

  /**
   * True when the 8 bytes just read by `double()` are exactly Prometheus's StaleNaN
   * (0x7ff0000000000002). The bits are compared raw because arithmetic on a NaN may rewrite its
   * payload.
   */
  public lastDoubleIsStaleNaN(): boolean {
    const pos = this.pos - 8;
    return this.view.getUint32(pos, true) === 0x00000002 && this.view.getUint32(pos + 4, true) === 0x7ff00000;
  }

  /** Reads a length prefix and returns the end offset of the payload, checked against the buffer. */
  public lengthDelimitedEnd(): number {
    // Fast path: labels, samples and most series are shorter than 128 bytes.
    const first = this.buf[this.pos];
    if (first !== undefined && first < 0x80) {
      const end = this.pos + 1 + first;
      if (end <= this.buf.length) {
        this.pos += 1;
        return end;
      }
    }
    // A longer length must fail, not wrap to a small one.
    const length = this.strictUint32('length');
    const end = this.pos + length;
    if (end > this.buf.length) this.fail(`length ${length} runs past the end of the buffer`);
    return end;
  }

  /** Reads a length-delimited field as a view (no copy). */
  public bytes(): Uint8Array {
    const end = this.lengthDelimitedEnd();
    const view = this.buf.subarray(this.pos, end);
    this.pos = end;
    return view;
  }

  /** Reads a UTF-8 string; invalid UTF-8 is replaced with U+FFFD and flagged in `sawInvalidUtf8`. */
  public string(): string {
    const end = this.lengthDelimitedEnd();
    const start = this.pos;
    this.pos = end;
    return this.utf8(start, end);
  }

  /** Decodes bytes [start, end) as UTF-8 without moving the cursor; flags invalid UTF-8. */
  public utf8(start: number, end: number): string {
    // Node's native UTF-8 slice measured ~25% faster than building short strings in JS. It
    // replaces invalid sequences with U+FFFD, so only a string containing U+FFFD (rare: it may
    // also be genuine) is checked again with the strict decoder.
    const text = this.text.toString('utf8', start, end);
    if (text.includes('\ufffd')) {
      try {
        utf8Decoder.decode(this.buf.subarray(start, end));
      } catch {
        this.sawInvalidUtf8 = true;
      }
    }
    return text;
  }

  /**
   * A cheap hash of bytes [start, end): the length and up to twelve bytes taken from the start,
   * middle and end. Not a content hash; callers must confirm a match with `rangesEqual`.
   */
  public sampleHash(start: number, end: number): number {
    const length = end - start;
    const view = this.view;
    if (length < 4) {
      let hash = length;
      for (let i = start; i < end; i++) hash = hash * 31 + (this.buf[i] as number);
      return hash;
    }
    // Masked to 30 bits so the result is a small integer (Smi) on every platform, never boxed.
    let hash = Math.imul(length, 0x9e3779b1) ^ view.getUint32(start, true);
    hash = Math.imul(hash, 0x85ebca6b) ^ view.getUint32(end - 4, true);
    hash = Math.imul(hash, 0xc2b2ae35) ^ view.getUint32(start + ((length - 4) >>> 1), true);
    return hash & 0x3fffffff;
  }

  /** Whether two ranges of the buffer hold the same `length` bytes, compared four at a time. */
  public rangesEqual(a: number, b: number, length: number): boolean {
    const view = this.view;
    let i = 0;
    for (; i + 4 <= length; i += 4)
      if (view.getUint32(a + i, true) !== view.getUint32(b + i, true)) return false;
    for (; i < length; i++) if (this.buf[a + i] !== this.buf[b + i]) return false;
    return true;
  }

  /**
   * Skips the field whose tag was just read. Groups (deprecated, unused by Prometheus) are skipped
   * up to their matching end tag, as Go's decoders do, nested at most MAX_GROUP_DEPTH deep.
   */
  public skip(tag: number, depth = 0): void {
    const wireType = tag & 7;
    switch (wireType) {
      case WireType.Varint:
        this.varint64Halves();
        return;
      case WireType.Fixed64:
        if (this.pos + 8 > this.buf.length) this.fail('truncated fixed64');
        this.pos += 8;
        return;
      case WireType.LengthDelimited:
        this.pos = this.lengthDelimitedEnd();
        return;
      case WireType.Fixed32:
        if (this.pos + 4 > this.buf.length) this.fail('truncated fixed32');
        this.pos += 4;
        return;
      case WireType.StartGroup: {
        if (depth >= MAX_GROUP_DEPTH) this.fail(`groups nested deeper than ${MAX_GROUP_DEPTH}`);
        const endTag = (tag & ~7) | WireType.EndGroup;
        for (;;) {
          if (this.pos >= this.buf.length) this.fail('unterminated group');
          const inner = this.tag();
          if (inner === endTag) return;
          this.skip(inner, depth + 1);
        }
      }
      case WireType.EndGroup:
        this.fail(`unexpected end of group ${tag >>> 3}`);
        break;
      default:
        this.fail(`invalid wire type ${wireType}`);
    }
  }

  /** Fails unless the wire type just read is the one the schema declares for the field. */
  public expect(wireType: number, expected: number, field: string): void {
    if (wireType !== expected) this.fail(`wrong wire type ${wireType} for ${field}`);
  }

  /** Asserts a sub-message ended exactly at its declared end. */
  public assertEnd(end: number, message: string): void {
    if (this.pos !== end) this.fail(`${message} overruns its length`);
  }

  /** Reads a full 64-bit varint as [low 32 bits, high 32 bits], both unsigned. */
  private varint64Halves(): [number, number] {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= buf.length) this.fail('truncated varint');
      b = buf[pos++] as number;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return [lo >>> 0, 0];
      }
    }
    // Byte 5 straddles the halves: 4 bits go to lo, 3 bits to hi.
    if (pos >= buf.length) this.fail('truncated varint');
    b = buf[pos++] as number;
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x70) >> 4;
    if (b < 0x80) {
      this.pos = pos;
      return [lo >>> 0, hi >>> 0];
    }
    for (let shift = 3; shift <= 31; shift += 7) {
      if (pos >= buf.length) this.fail('truncated varint');
      b = buf[pos++] as number;
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return [lo >>> 0, hi >>> 0];
      }
    }
    this.pos = pos;
    return this.fail('varint longer than 10 bytes');
  }
}

/**
 * Appends protobuf fields to a growable buffer. Nested messages are written in place between
 * `fork()` and `join()`, which back-fills the length prefix.
 */
export class ProtoWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;
  private readonly forks: number[] = [];

  public constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let capacity = this.buf.length * 2;
    while (capacity < this.pos + extra) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  public tag(fieldNumber: number, wireType: number): this {
    return this.uint32(((fieldNumber << 3) | wireType) >>> 0);
  }

  public uint32(value: number): this {
    this.ensure(5);
    let v = value >>> 0;
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** Writes an integral number as a 64-bit two's-complement varint (10 bytes when negative). */
  public int64(value: number): this {
    let lo: number;
    let hi: number;
    if (value >= 0) {
      lo = (value % TWO_POW_32) >>> 0;
      hi = Math.floor(value / TWO_POW_32) >>> 0;
    } else {
      const magnitude = -value;
      lo = (magnitude % TWO_POW_32) >>> 0;
      hi = Math.floor(magnitude / TWO_POW_32) >>> 0;
      // Two's complement of the 64-bit magnitude.
      lo = (~lo + 1) >>> 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    }
    return this.varint64(lo, hi);
  }

  public sint32(value: number): this {
    return this.uint32(((value << 1) ^ (value >> 31)) >>> 0);
  }

  /** Writes a zigzag sint64 from an integral number within ±2^53. */
  public sint64(value: number): this {
    // zigzag(n) = 2n for n >= 0 and -2n - 1 for n < 0, computed on halves to stay exact.
    const magnitude = value < 0 ? -value - 1 : value;
    const lo = (magnitude % TWO_POW_32) >>> 0;
    const hi = Math.floor(magnitude / TWO_POW_32) >>> 0;
    const zlo = ((lo << 1) | (value < 0 ? 1 : 0)) >>> 0;
    const zhi = ((hi << 1) | (lo >>> 31)) >>> 0;
    return this.varint64(zlo, zhi);
  }

  private varint64(lo: number, hi: number): this {
    this.ensure(10);
    while (hi !== 0 || lo > 0x7f) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo;
    return this;
  }

  public double(value: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
    return this;
  }

  /** Writes Prometheus's StaleNaN bit-exact; going through a JS number could change the payload. */
  public staleNaN(): this {
    this.ensure(8);
    this.view.setUint32(this.pos, 0x00000002, true);
    this.view.setUint32(this.pos + 4, 0x7ff00000, true);
    this.pos += 8;
    return this;
  }

  public bytes(value: Uint8Array): this {
    this.uint32(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  public string(value: string): this {
    // Fast path: ASCII strings are copied byte by byte with a one-byte length prefix.
    const length = value.length;
    if (length < 0x80) {
      this.ensure(1 + length);
      const lengthAt = this.pos;
      let pos = lengthAt + 1;
      for (let i = 0; i < length; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) return this.bytes(utf8Encoder.encode(value));
        this.buf[pos++] = c;
      }
      this.buf[lengthAt] = length;
      this.pos = pos;
      return this;
    }
    return this.bytes(utf8Encoder.encode(value));
  }

  /** Starts a length-delimited sub-message; pair with `join()`. */
  public fork(): this {
    this.forks.push(this.pos);
    // Reserve one byte for the length, the common case for labels and samples.
    this.ensure(1);
    this.pos += 1;
    return this;
  }

  public join(): this {
    const start = this.forks.pop();
    if (start === undefined) throw new Error('ProtoWriter.join() without fork()');
    const contentStart = start + 1;
    const length = this.pos - contentStart;
    let lengthBytes = 1;
    for (let v = length >>> 7; v > 0; v >>>= 7) lengthBytes++;
    if (lengthBytes > 1) {
      this.ensure(lengthBytes - 1);
      this.buf.copyWithin(start + lengthBytes, contentStart, this.pos);
      this.pos += lengthBytes - 1;
    }
    let v = length;
    let at = start;
    while (v > 0x7f) {
      this.buf[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[at] = v;
    return this;
  }

  /** The bytes written so far (a view; copy it before writing more). */
  public finish(): Uint8Array {
    if (this.forks.length > 0) throw new Error('ProtoWriter.finish() with an unjoined fork()');
    return this.buf.subarray(0, this.pos);
  }
}
