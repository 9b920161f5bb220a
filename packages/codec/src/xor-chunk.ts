/**
 * Prometheus's Gorilla XOR chunk (`tsdb/chunkenc/xor.go`, `bstream.go`), the chunk encoding of
 * STREAMED_XOR_CHUNKS remote-read responses.
 *
 * Layout: a 2-byte big-endian sample count, then a bit stream written most-significant bit first
 * and zero-padded to a whole byte:
 *
 * - sample 0: timestamp as a zigzag varint (Go `binary.PutVarint`), value as its raw 64 bits;
 * - sample 1: timestamp delta as a uvarint, value XORed with the previous one;
 * - later samples: delta-of-delta in one of five buckets (`0`, `10`+14 bits, `110`+17 bits,
 *   `1110`+20 bits, `1111`+64 bits), value XORed with the previous one.
 *
 * An XORed value is `0` when the bits repeat, else `1` then either `0` and the meaningful bits
 * inside the previous leading/trailing-zero window, or `1`, 5 bits of leading zeros, 6 bits of
 * meaningful-bit count (64 written as 0) and the meaningful bits.
 *
 * Values are handled as two uint32 halves of their IEEE 754 bits, never as arithmetic on numbers,
 * so Prometheus's StaleNaN (0x7ff0000000000002) survives bit-exact and no BigInt is needed.
 */
import { CodecError } from './errors.js';
import { checkSafeTimestamp } from './messages.js';
import type { FloatSample } from './model.js';

/** Prometheus's TSDB cuts a head chunk at 120 samples (`samplesPerChunk`); remote read reuses that size. */
export const MAX_SAMPLES_PER_XOR_CHUNK = 120;

/** The sample count is a big-endian uint16 in the first two bytes. */
const MAX_SAMPLES_IN_HEADER = 0xffff;

const STALE_NAN_HI = 0x7ff00000;
const STALE_NAN_LO = 0x00000002;

/** Prometheus marks "no leading/trailing window yet" with 0xff on a fresh appender. */
const NO_WINDOW = 0xff;

const TWO_POW_32 = 4294967296;

/**
 * Worst-case bytes per sample: a later sample needs at most 4+64 bits of timestamp and 2+5+6+64
 * bits of value (145 bits); the first two need at most 10+8 and 10+10 bytes. Sizing the buffer
 * once from this bound means the bit writer never checks capacity.
 */
const WORST_CASE_BYTES_PER_SAMPLE = 19;
const WORST_CASE_EXTRA_BYTES = 40;

/** Count of trailing zero bits of a non-zero uint32. */
const ctz32 = (x: number): number => 31 - Math.clz32(x & -x);

/** Appends bits MSB-first to a preallocated buffer, as Prometheus's `bstream` does. */
class BitWriter {
  public readonly buf: Uint8Array;
  private bitPos: number;

  public constructor(capacityBytes: number, startBit: number) {
    this.buf = new Uint8Array(capacityBytes);
    this.bitPos = startBit;
  }

  public writeBit(bit: number): void {
    if (bit) {
      const pos = this.bitPos;
      this.buf[pos >>> 3] = (this.buf[pos >>> 3] as number) | (0x80 >>> (pos & 7));
    }
    this.bitPos++;
  }

  /** Writes the `count` (0..32) right-most bits of `value`, left to right. */
  public writeBits(value: number, count: number): void {
    const buf = this.buf;
    let pos = this.bitPos;
    let left = count;
    while (left > 0) {
      const free = 8 - (pos & 7);
      const take = Math.min(left, free);
      const bits = (value >>> (left - take)) & ((1 << take) - 1);
      buf[pos >>> 3] = (buf[pos >>> 3] as number) | (bits << (free - take));
      pos += take;
      left -= take;
    }
    this.bitPos = pos;
  }

  /** Writes the `count` (1..64) right-most bits of the 64-bit value `hi:lo`. */
  public writeBits64(hi: number, lo: number, count: number): void {
    if (count > 32) {
      this.writeBits(hi, count - 32);
      this.writeBits(lo, 32);
    } else {
      this.writeBits(lo, count);
    }
  }

  /** Writes a uvarint byte by byte; `value` is a non-negative integer below 2^64. */
  public writeUvarint(value: number): void {
    // Division by 128 is exact on doubles, so this stays exact for every integer a number holds.
    let v = value;
    while (v >= 0x80) {
      this.writeBits((v % 0x80) | 0x80, 8);
      v = Math.floor(v / 0x80);
    }
    this.writeBits(v, 8);
  }

  /** Writes a uvarint of a non-negative BigInt below 2^64. */
  public writeUvarintBig(value: bigint): void {
    let v = value;
    while (v >= 0x80n) {
      this.writeBits(Number(v & 0x7fn) | 0x80, 8);
      v >>= 7n;
    }
    this.writeBits(Number(v), 8);
  }

  /** The bytes written, zero-padded to a whole byte (a copy, sized exactly). */
  public finish(): Uint8Array {
    return this.buf.slice(0, (this.bitPos + 7) >>> 3);
  }
}

/** Reads bits MSB-first; reading past the end throws instead of padding with zeros. */
class BitReader {
  /** The sample being decoded, for error messages. */
  public sample = 0;
  private readonly buf: Uint8Array;
  private readonly endBit: number;
  private readonly count: number;
  private bitPos: number;

  public constructor(buf: Uint8Array, startBit: number, count: number) {
    this.buf = buf;
    this.bitPos = startBit;
    this.endBit = buf.length * 8;
    this.count = count;
  }

  private truncated(): never {
    throw new CodecError(
      'invalid_data',
      `XOR chunk truncated: sample ${this.sample + 1} of ${this.count} runs past the end of its ${this.buf.length} bytes`,
    );
  }

  public readBit(): number {
    const pos = this.bitPos;
    if (pos >= this.endBit) this.truncated();
    this.bitPos = pos + 1;
    return ((this.buf[pos >>> 3] as number) >>> (7 - (pos & 7))) & 1;
  }

  /** Reads `count` (0..32) bits as an unsigned number. */
  public readBits(count: number): number {
    let pos = this.bitPos;
    if (pos + count > this.endBit) this.truncated();
    const buf = this.buf;
    let result = 0;
    let left = count;
    while (left > 0) {
      const avail = 8 - (pos & 7);
      const take = Math.min(left, avail);
      const bits = ((buf[pos >>> 3] as number) >>> (avail - take)) & ((1 << take) - 1);
      // At most 32 bits are ever accumulated, so the shift never drops a set bit.
      result = ((result << take) | bits) >>> 0;
      pos += take;
      left -= take;
    }
    this.bitPos = pos;
    return result;
  }

  /**
   * Reads a varint (Go `binary.ReadUvarint`) as its 64-bit halves `[lo, hi]`. Varints only occur
   * in the first two samples, so the array allocation is off the hot path.
   */
  public readUvarintHalves(): [number, number] {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      const b = this.readBits(8);
      const payload = b & 0x7f;
      // Bits 0..27 go to lo, byte 4 straddles the halves, bits 35..63 go to hi.
      if (i < 4) lo |= payload << (7 * i);
      else if (i === 4) {
        lo |= payload << 28;
        hi = payload >>> 4;
      } else hi |= payload << (7 * i - 32);
      if (b < 0x80) {
        // Go rejects a 10th byte above 1: it would overflow 64 bits.
        if (i === 9 && b > 1) break;
        return [lo >>> 0, hi >>> 0];
      }
    }
    throw new CodecError('invalid_data', `XOR chunk sample ${this.sample + 1}: varint overflows 64 bits`);
  }
}

/**
 * Encodes samples as one Prometheus XOR chunk, byte for byte what Prometheus's `xorAppender`
 * produces for the same samples.
 *
 * @param samples - at most 65535 samples with strictly ascending timestamps; `stale` samples are
 *   written as StaleNaN regardless of `value`; `startTimestampMs` is not part of the format
 * @returns the chunk bytes, starting with the 2-byte sample count
 * @throws CodecError `invalid_data` for more than 65535 samples or timestamps that do not
 *   strictly ascend; `timestamp_out_of_range` for a negative or unsafe timestamp
 * @example
 * ```ts
 * const data = encodeXorChunk([{ timestampMs: 1000, value: 1, stale: false, startTimestampMs: 0 }]);
 * ```
 */
export const encodeXorChunk = (samples: readonly FloatSample[]): Uint8Array => {
  const count = samples.length;
  if (count > MAX_SAMPLES_IN_HEADER) {
    throw new CodecError(
      'invalid_data',
      `an XOR chunk holds at most ${MAX_SAMPLES_IN_HEADER} samples, got ${count}`,
    );
  }
  const writer = new BitWriter(WORST_CASE_EXTRA_BYTES + WORST_CASE_BYTES_PER_SAMPLE * count, 16);
  writer.buf[0] = count >>> 8;
  writer.buf[1] = count & 0xff;
  const scratch = new DataView(new ArrayBuffer(8));
  let prevT = 0;
  let prevDelta = 0;
  let prevHi = 0;
  let prevLo = 0;
  let leading = NO_WINDOW;
  let trailing = 0;
  for (let i = 0; i < count; i++) {
    const sample = samples[i] as FloatSample;
    const t = checkSafeTimestamp(sample.timestampMs, 'sample');
    let hi: number;
    let lo: number;
    if (sample.stale) {
      hi = STALE_NAN_HI;
      lo = STALE_NAN_LO;
    } else {
      scratch.setFloat64(0, sample.value);
      hi = scratch.getUint32(0);
      lo = scratch.getUint32(4);
    }
    if (i === 0) {
      // Zigzag: 2t for t >= 0, exact in a double; -2t - 1 for t < 0, which is odd and may exceed
      // 2^53, so it is computed in BigInt (once per chunk).
      if (t >= 0) writer.writeUvarint(2 * t);
      else writer.writeUvarintBig(-2n * BigInt(t) - 1n);
      writer.writeBits(hi, 32);
      writer.writeBits(lo, 32);
    } else {
      if (t <= prevT) {
        throw new CodecError(
          'invalid_data',
          `XOR chunk sample ${i + 1} has timestamp ${t} ms, not after the previous ${prevT} ms; timestamps must strictly ascend`,
        );
      }
      // Both timestamps are safe non-negative integers, so deltas and their differences are exact.
      const delta = t - prevT;
      if (i === 1) {
        writer.writeUvarint(delta);
      } else {
        const dod = delta - prevDelta;
        // Buckets follow Go's bitRange(x, n): -(2^(n-1) - 1) <= x <= 2^(n-1); the 14..20-bit
        // payloads are the low bits of the two's complement, which `&` computes exactly.
        if (dod === 0) writer.writeBit(0);
        else if (dod >= -8191 && dod <= 8192) {
          writer.writeBits(0b10, 2);
          writer.writeBits(dod & 0x3fff, 14);
        } else if (dod >= -65535 && dod <= 65536) {
          writer.writeBits(0b110, 3);
          writer.writeBits(dod & 0x1ffff, 17);
        } else if (dod >= -524287 && dod <= 524288) {
          writer.writeBits(0b1110, 4);
          writer.writeBits(dod & 0xfffff, 20);
        } else {
          writer.writeBits(0b1111, 4);
          // Floor division by 2^32 is exact and yields the sign-extended high half.
          writer.writeBits(Math.floor(dod / TWO_POW_32) >>> 0, 32);
          writer.writeBits(dod >>> 0, 32);
        }
      }
      prevDelta = delta;

      const xorHi = (hi ^ prevHi) >>> 0;
      const xorLo = (lo ^ prevLo) >>> 0;
      if (xorHi === 0 && xorLo === 0) {
        writer.writeBit(0);
      } else {
        writer.writeBit(1);
        let lead = xorHi !== 0 ? Math.clz32(xorHi) : 32 + Math.clz32(xorLo);
        const trail = xorLo !== 0 ? ctz32(xorLo) : 32 + ctz32(xorHi);
        // Only 5 bits hold the leading-zero count, so Prometheus clamps it to 31.
        if (lead >= 32) lead = 31;
        let shift: number;
        let bits: number;
        if (leading !== NO_WINDOW && lead >= leading && trail >= trailing) {
          // The new meaningful bits fit the previous window: reuse it.
          writer.writeBit(0);
          shift = trailing;
          bits = 64 - leading - trailing;
        } else {
          leading = lead;
          trailing = trail;
          writer.writeBit(1);
          writer.writeBits(lead, 5);
          bits = 64 - lead - trail;
          // 64 meaningful bits do not fit 6 bits; 0 is never needed (that is the "same value"
          // case), so it stands for 64.
          writer.writeBits(bits & 0x3f, 6);
          shift = trail;
        }
        // The XOR shifted right by `shift`, computed on halves (JS shifts are mod 32).
        let outHi = xorHi;
        let outLo = xorLo;
        if (shift >= 32) {
          outLo = xorHi >>> (shift - 32);
          outHi = 0;
        } else if (shift > 0) {
          outLo = ((xorLo >>> shift) | (xorHi << (32 - shift))) >>> 0;
          outHi = xorHi >>> shift;
        }
        writer.writeBits64(outHi, outLo, bits);
      }
    }
    prevT = t;
    prevHi = hi;
    prevLo = lo;
  }
  return writer.finish();
};

/**
 * Decodes one Prometheus XOR chunk. Every read is bounds-checked, so corrupt or truncated data
 * throws instead of yielding zero-padded samples; bytes after the last declared sample are
 * ignored, as Prometheus's iterator ignores them.
 *
 * @param data - the chunk bytes, starting with the 2-byte sample count
 * @returns the samples, with `stale` set when the raw value bits are StaleNaN and
 *   `startTimestampMs` 0 (the format has none)
 * @throws CodecError `invalid_data` for truncated or corrupt data and for timestamps that do
 *   not strictly ascend; `timestamp_out_of_range` for a negative or unsafe timestamp
 * @example
 * ```ts
 * const samples = decodeXorChunk(chunk.data);
 * ```
 */
export const decodeXorChunk = (data: Uint8Array): FloatSample[] => {
  if (data.length < 2) {
    throw new CodecError(
      'invalid_data',
      `XOR chunk is ${data.length} bytes, too short for its 2-byte sample count`,
    );
  }
  const count = ((data[0] as number) << 8) | (data[1] as number);
  const samples: FloatSample[] = [];
  if (count === 0) return samples;
  const reader = new BitReader(data, 16, count);
  const scratch = new DataView(new ArrayBuffer(8));
  let t = 0;
  let delta = 0;
  let hi = 0;
  let lo = 0;
  // A fresh Prometheus iterator starts with a 0/0 window, so a reused window before any explicit
  // one means all 64 bits.
  let leading = 0;
  let trailing = 0;
  for (let i = 0; i < count; i++) {
    reader.sample = i;
    if (i === 0) {
      const [zlo, zhi] = reader.readUvarintHalves();
      // Undo zigzag on the halves: n = (z >>> 1) ^ -(z & 1).
      const magnitude = (zhi >>> 1) * TWO_POW_32 + (((zlo >>> 1) | (zhi << 31)) >>> 0);
      t = checkSafeTimestamp(zlo & 1 ? -magnitude - 1 : magnitude, 'XOR chunk sample');
      hi = reader.readBits(32);
      lo = reader.readBits(32);
    } else {
      if (i === 1) {
        const [dlo, dhi] = reader.readUvarintHalves();
        delta = dhi * TWO_POW_32 + dlo;
      } else {
        let dod = 0;
        if (reader.readBit() === 1) {
          let size = 14;
          if (reader.readBit() === 1) {
            size = 17;
            if (reader.readBit() === 1) size = reader.readBit() === 1 ? 64 : 20;
          }
          if (size === 64) {
            const dodHi = reader.readBits(32);
            const dodLo = reader.readBits(32);
            dod = (dodHi | 0) * TWO_POW_32 + dodLo;
          } else {
            // Payloads above 2^(size-1) are negative two's-complement values (Go's bitRange).
            const bits = reader.readBits(size);
            dod = bits > 2 ** (size - 1) ? bits - 2 ** size : bits;
          }
        }
        delta += dod;
      }
      if (!Number.isSafeInteger(delta) || delta <= 0) {
        throw new CodecError(
          'invalid_data',
          `XOR chunk sample ${i + 1} of ${count}: timestamp delta ${delta} ms is not a positive safe integer`,
        );
      }
      t = checkSafeTimestamp(t + delta, 'XOR chunk sample');

      if (reader.readBit() === 1) {
        if (reader.readBit() === 1) {
          leading = reader.readBits(5);
          const significant = reader.readBits(6) || 64;
          if (leading + significant > 64) {
            throw new CodecError(
              'invalid_data',
              `XOR chunk sample ${i + 1} of ${count}: ${leading} leading zeros plus ${significant} significant bits exceed 64`,
            );
          }
          trailing = 64 - leading - significant;
        }
        const significant = 64 - leading - trailing;
        let xorHi = 0;
        let xorLo: number;
        if (significant > 32) {
          xorHi = reader.readBits(significant - 32);
          xorLo = reader.readBits(32);
        } else {
          xorLo = reader.readBits(significant);
        }
        // Shift the meaningful bits back into place, on halves (JS shifts are mod 32).
        if (trailing >= 32) {
          xorHi = xorLo << (trailing - 32);
          xorLo = 0;
        } else if (trailing > 0) {
          xorHi = (xorHi << trailing) | (xorLo >>> (32 - trailing));
          xorLo <<= trailing;
        }
        hi = (hi ^ xorHi) >>> 0;
        lo = (lo ^ xorLo) >>> 0;
      }
    }
    const stale = hi === STALE_NAN_HI && lo === STALE_NAN_LO;
    scratch.setUint32(0, hi);
    scratch.setUint32(4, lo);
    samples.push({ timestampMs: t, value: scratch.getFloat64(0), stale, startTimestampMs: 0 });
  }
  return samples;
};
