/** The per-request interning of label bytes the label decoders share (see `ByteRangeInterner`). */
import type { Label } from './model.js';
import type { ProtoReader } from './wire.js';

/** Longest probe sequence walked before giving up on the table (bounds crafted input). */
const MAX_PROBES = 16;

/**
 * Maps byte ranges of one request buffer to values decoded from them. Prometheus repeats the same
 * label bytes (`job`, `instance`, metric names) hundreds of times per request; comparing raw bytes
 * with an earlier occurrence is much cheaper than decoding again, and equal labels then share one
 * object. Open addressing over an Int32Array keeps lookups free of allocation. Create one per
 * decoded request: it holds offsets into that request's buffer.
 */
export class ByteRangeInterner<T> {
  private slots: Int32Array;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly values: T[] = [];
  /** Where `remember` may store the range of the last `find` miss; -1 when the probe gave up. */
  private freeSlot = -1;

  /** @param initialSlots - a power of two; the table doubles when half full */
  public constructor(initialSlots: number) {
    this.slots = new Int32Array(initialSlots);
  }

  /** The value remembered for the bytes [start, end), if any. */
  public find(reader: ProtoReader, start: number, end: number): T | undefined {
    const length = end - start;
    const mask = this.slots.length - 1;
    // A sampled hash (length, first, middle and last bytes) is constant-time; the full byte
    // comparison makes any collision harmless.
    let slot = reader.sampleHash(start, end) & mask;
    for (let probe = 0; probe < MAX_PROBES; probe++, slot = (slot + 1) & mask) {
      const index = (this.slots[slot] as number) - 1;
      if (index < 0) {
        this.freeSlot = slot;
        return undefined;
      }
      const cachedStart = this.starts[index] as number;
      if (
        (this.ends[index] as number) - cachedStart === length &&
        reader.rangesEqual(cachedStart, start, length)
      ) {
        return this.values[index];
      }
    }
    this.freeSlot = -1;
    return undefined;
  }

  /** Remembers `value` for the bytes [start, end) that the last `find` missed. */
  public remember(reader: ProtoReader, start: number, end: number, value: T): void {
    if (this.freeSlot < 0) return;
    this.starts.push(start);
    this.ends.push(end);
    this.values.push(value);
    this.slots[this.freeSlot] = this.values.length;
    this.freeSlot = -1;
    if (this.values.length * 2 > this.slots.length) this.grow(reader);
  }

  /** Doubles the table once it is half full, re-inserting every entry. */
  private grow(reader: ProtoReader): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let index = 0; index < this.values.length; index++) {
      let slot = reader.sampleHash(this.starts[index] as number, this.ends[index] as number) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = index + 1;
    }
    this.slots = slots;
  }
}

/**
 * The per-request decoding state: interned whole labels, interned names for labels seen for the
 * first time, and a scratch array that collects one series' labels before they are copied out.
 */
export interface RequestDecodeState {
  readonly labels: ByteRangeInterner<Label>;
  readonly names: ByteRangeInterner<string>;
  readonly scratch: Label[];
}

/**
 * Sized from the captured Prometheus requests: at most 456 distinct labels and 42 distinct names
 * per 500-sample request, so both tables stay under half full and a typical request never rehashes.
 */
export const createRequestDecodeState = (): RequestDecodeState => ({
  labels: new ByteRangeInterner<Label>(1024),
  names: new ByteRangeInterner<string>(128),
  scratch: [],
});
