/**
 * The fuzzer's randomness and mutation operators: one seeded PRNG per input, AFL-style byte
 * havoc, structure-aware protobuf mutations (the message parsed into a field tree, edited, and
 * written back with true or lying lengths), mutations of the snappy layer, and string mutations
 * for methods, paths and header values. Everything is a pure function of the `Random` it is given,
 * so input i of a target is the same bytes on every machine.
 */
import { compressSnappyBlock } from '@prometheus-timestream/codec';

/** A deterministic source of randomness for one input. */
export interface Random {
  /** A uniformly distributed unsigned 32-bit integer. */
  readonly uint32: () => number;
  /** An integer in [0, n); 0 when n ≤ 0. */
  readonly below: (n: number) => number;
  /** An integer in [min, max]. */
  readonly int: (min: number, max: number) => number;
  readonly chance: (probability: number) => boolean;
  readonly pick: <T>(items: readonly T[]) => T;
  readonly bytes: (length: number) => Uint8Array;
}

/** FNV-1a over UTF-16 code units: folds a target name into the seed. */
const hashText = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
};

/** MurmurHash3's finalizer: spreads every input bit over the whole word. */
const mix32 = (value: number): number => {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
};

/**
 * The PRNG of input `index` of `target` (mulberry32, seeded from all three), so any input is
 * rebuilt from (seed, target, index) alone, whatever ran before it.
 */
export const randomFor = (seed: number, target: string, index: number): Random => {
  let state = mix32(mix32(mix32(seed) ^ hashText(target)) ^ Math.imul(index >>> 0, 0x9e3779b9));
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const below = (n: number): number => (n <= 0 ? 0 : Math.floor((uint32() / 4294967296) * n));
  return {
    uint32,
    below,
    int: (min, max) => min + below(max - min + 1),
    chance: (probability) => uint32() < probability * 4294967296,
    pick: <T>(items: readonly T[]): T => items[below(items.length)] as T,
    bytes: (length) => {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = uint32() & 0xff;
      return out;
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Bytes

export const concatBytes = (...parts: readonly Uint8Array[]): Uint8Array => {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
};

/** The base-128 varint of an unsigned value (negative int64 values as their two's complement). */
export const encodeVarint = (value: bigint): Uint8Array => {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
};

/** AFL's interesting 8-bit values plus the bytes that matter in protobuf and snappy. */
const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x07, 0x08, 0x0a, 0x10, 0x12, 0x20, 0x40, 0x7f, 0x80, 0xff];
const INTERESTING_WORDS = [
  0, 1, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x4000, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
  0xffffffff,
];
/** Varint values at the edges: one byte, 32 bits, 2^53, int64 and uint64 limits. */
const INTERESTING_VARINTS = [
  0n,
  1n,
  0x7fn,
  0x80n,
  0x3fffn,
  0x4000n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 64n - 1n,
];
/** Varints no encoder writes: 11 bytes long, unterminated, and past 64 bits. */
const BROKEN_VARINTS = [
  Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
  Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
  Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
  Uint8Array.from([0x80]),
  Uint8Array.from([0x80, 0x00]),
];

const interestingVarint = (random: Random): Uint8Array =>
  random.chance(0.15) ? random.pick(BROKEN_VARINTS) : encodeVarint(random.pick(INTERESTING_VARINTS));

/** Doubles with meaning: NaN payloads (Prometheus's stale marker is 0x7ff0000000000002), infinities, -0, limits. */
const INTERESTING_DOUBLES = [
  0x7ff0000000000002n,
  0x7ff8000000000001n,
  0x7ff0000000000000n,
  0xfff0000000000000n,
  0x8000000000000000n,
  0x7fefffffffffffffn,
  0x0000000000000001n,
  0x4340000000000000n,
  0xffffffffffffffffn,
];

const fixed64 = (bits: bigint): Uint8Array => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, bits, true);
  return out;
};

export interface HavocOptions {
  /** Other inputs of the same kind, for splicing. */
  readonly splice: readonly Uint8Array[];
  /** Results are cut to this many bytes. */
  readonly maxBytes: number;
}

/** Lengths of inserted or deleted blocks, biased to small ones as AFL's are. */
const blockLength = (random: Random, limit: number): number => {
  const roll = random.below(10);
  const max = roll < 7 ? 32 : roll < 9 ? 256 : Math.max(1, limit);
  return 1 + random.below(Math.max(1, Math.min(max, limit)));
};

type ByteOperator = (data: Uint8Array, random: Random, options: HavocOptions) => Uint8Array;

const withCopy = (data: Uint8Array, edit: (copy: Uint8Array) => void): Uint8Array => {
  const copy = data.slice();
  edit(copy);
  return copy;
};

/** Inserts random bytes or a run of one byte. */
const insertBlock: ByteOperator = (data, random, options) => {
  const length = blockLength(random, Math.max(64, Math.min(options.maxBytes - data.length, 65_536)));
  const block = random.chance(0.5) ? random.bytes(length) : new Uint8Array(length).fill(random.below(256));
  const at = random.below(data.length + 1);
  return concatBytes(data.subarray(0, at), block, data.subarray(at));
};

const BYTE_OPERATORS: readonly ByteOperator[] = [
  // bit flip
  (data, random) =>
    withCopy(data, (copy) => {
      const bit = random.below(copy.length * 8);
      copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
    }),
  // 1, 2 or 4 bytes inverted
  (data, random) =>
    withCopy(data, (copy) => {
      const width = random.pick([1, 2, 4]);
      const at = random.below(copy.length);
      for (let i = at; i < Math.min(copy.length, at + width); i++) copy[i] = (copy[i] as number) ^ 0xff;
    }),
  // interesting byte
  (data, random) =>
    withCopy(data, (copy) => {
      copy[random.below(copy.length)] = random.pick(INTERESTING_BYTES);
    }),
  // interesting 16- or 32-bit word, either byte order
  (data, random) =>
    withCopy(data, (copy) => {
      const width = random.pick([2, 4]);
      const value = random.pick(INTERESTING_WORDS);
      const littleEndian = random.chance(0.5);
      const at = random.below(copy.length);
      for (let i = 0; i < width && at + i < copy.length; i++) {
        const shift = 8 * (littleEndian ? i : width - 1 - i);
        copy[at + i] = Math.floor(value / 2 ** shift) & 0xff;
      }
    }),
  // interesting varint over 0–10 bytes (so it may also grow or shrink the input)
  (data, random) => {
    const at = random.below(data.length + 1);
    const replaced = random.below(11);
    return concatBytes(data.subarray(0, at), interestingVarint(random), data.subarray(at + replaced));
  },
  // random byte
  (data, random) =>
    withCopy(data, (copy) => {
      copy[random.below(copy.length)] = random.below(256);
    }),
  // small addition or subtraction
  (data, random) =>
    withCopy(data, (copy) => {
      const at = random.below(copy.length);
      copy[at] = ((copy[at] as number) + random.int(-35, 35)) & 0xff;
    }),
  // delete a block
  (data, random) => {
    const length = blockLength(random, data.length);
    const at = random.below(data.length);
    return concatBytes(data.subarray(0, at), data.subarray(at + length));
  },
  insertBlock,
  // duplicate a block elsewhere
  (data, random) => {
    const length = blockLength(random, data.length);
    const from = random.below(data.length);
    const at = random.below(data.length + 1);
    return concatBytes(data.subarray(0, at), data.subarray(from, from + length), data.subarray(at));
  },
  // overwrite a block with a copy of another
  (data, random) =>
    withCopy(data, (copy) => {
      const length = blockLength(random, copy.length);
      const from = random.below(copy.length);
      const to = random.below(copy.length);
      copy.set(data.subarray(from, from + length).subarray(0, copy.length - to), to);
    }),
  // truncate
  (data, random) => data.subarray(0, random.below(data.length)),
  // splice with another input
  (data, random, options) => {
    if (options.splice.length === 0) return data;
    const other = random.pick(options.splice);
    return concatBytes(
      data.subarray(0, random.below(data.length + 1)),
      other.subarray(random.below(other.length)),
    );
  },
];

/** AFL's havoc stage: 1–16 random byte operators stacked. */
export const havoc = (data: Uint8Array, random: Random, options: HavocOptions): Uint8Array => {
  let out = data;
  const stack = 1 << random.below(5);
  for (let i = 0; i < stack; i++) {
    // Only insertions make sense on an empty input.
    const operator = out.length === 0 ? insertBlock : random.pick(BYTE_OPERATORS);
    out = operator(out, random, options);
    if (out.length > options.maxBytes) out = out.subarray(0, options.maxBytes);
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// Protobuf

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;
/** Sub-messages are looked for this deep; Prometheus's messages nest four levels at most. */
const MAX_PARSE_DEPTH = 5;

/** One field of a parsed message; immutable, so a seed's tree is parsed once and shared. */
export interface ProtoField {
  readonly field: number;
  readonly wireType: number;
  /** The varint, the 8 or 4 fixed bytes, or the payload of a length-delimited field. */
  readonly value: Uint8Array;
  /** The payload parsed as a message, when it is one. */
  readonly children?: readonly ProtoField[];
  /** The field exactly as found (tag to end), while unchanged: written back as is. */
  readonly raw?: Uint8Array;
  /** Tag bytes written instead of the canonical tag (overlong, or of another wire type). */
  readonly tag?: Uint8Array;
  /** Length written instead of the payload's true length. */
  readonly lengthLie?: bigint;
}

const readVarint = (bytes: Uint8Array, start: number): { value: bigint; end: number } | undefined => {
  let value = 0n;
  for (let i = 0; i < 10 && start + i < bytes.length; i++) {
    const b = bytes[start + i] as number;
    value |= BigInt(b & 0x7f) << BigInt(7 * i);
    if (b < 0x80) return { value, end: start + i + 1 };
  }
  return undefined;
};

/** Parses `bytes` as a message; undefined unless every byte belongs to a well-formed field. */
const parseFields = (bytes: Uint8Array, depth: number): ProtoField[] | undefined => {
  const fields: ProtoField[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const tag = readVarint(bytes, pos);
    if (tag === undefined || tag.value > 0xffffffffn || tag.value >> 3n === 0n) return undefined;
    const field = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    pos = tag.end;
    let value: Uint8Array;
    let children: ProtoField[] | undefined;
    if (wireType === WIRE_VARINT) {
      const varint = readVarint(bytes, pos);
      if (varint === undefined) return undefined;
      value = bytes.subarray(pos, varint.end);
      pos = varint.end;
    } else if (wireType === WIRE_FIXED64 || wireType === WIRE_FIXED32) {
      const width = wireType === WIRE_FIXED64 ? 8 : 4;
      if (pos + width > bytes.length) return undefined;
      value = bytes.subarray(pos, pos + width);
      pos += width;
    } else if (wireType === WIRE_LENGTH_DELIMITED) {
      const length = readVarint(bytes, pos);
      if (length === undefined || length.value > BigInt(bytes.length - length.end)) return undefined;
      value = bytes.subarray(length.end, length.end + Number(length.value));
      pos = length.end + value.length;
      if (depth < MAX_PARSE_DEPTH && value.length > 0) children = parseFields(value, depth + 1);
    } else {
      return undefined;
    }
    const raw = bytes.subarray(start, pos);
    fields.push(
      children === undefined ? { field, wireType, value, raw } : { field, wireType, value, children, raw },
    );
  }
  return fields;
};

const parsedTrees = new WeakMap<Uint8Array, readonly ProtoField[]>();

/** The field tree of a seed message, parsed once per seed. */
export const protoTree = (message: Uint8Array): readonly ProtoField[] => {
  let tree = parsedTrees.get(message);
  if (tree === undefined) {
    tree = parseFields(message, 0) ?? [];
    parsedTrees.set(message, tree);
  }
  return tree;
};

const encodeField = (field: ProtoField, out: Uint8Array[]): void => {
  if (field.raw !== undefined) {
    out.push(field.raw);
    return;
  }
  out.push(field.tag ?? encodeVarint(BigInt(field.field) * 8n + BigInt(field.wireType)));
  if (field.wireType !== WIRE_LENGTH_DELIMITED) {
    out.push(field.value);
    return;
  }
  const payload = field.children === undefined ? field.value : encodeFields(field.children);
  out.push(encodeVarint(field.lengthLie ?? BigInt(payload.length)), payload);
};

export const encodeFields = (fields: readonly ProtoField[]): Uint8Array => {
  const out: Uint8Array[] = [];
  for (const field of fields) encodeField(field, out);
  return concatBytes(...out);
};

/** Where a mutation applies: the sibling list, the index in it, and how to put a changed list back. */
interface Site {
  readonly siblings: readonly ProtoField[];
  readonly index: number;
  readonly replace: (siblings: readonly ProtoField[]) => readonly ProtoField[];
}

/** A random field at a random depth, found by walking down from the root. */
const pickSite = (root: readonly ProtoField[], random: Random): Site | undefined => {
  if (root.length === 0) return undefined;
  let site: Site = { siblings: root, index: random.below(root.length), replace: (siblings) => siblings };
  for (;;) {
    const field = site.siblings[site.index] as ProtoField;
    if (field.children === undefined || field.children.length === 0 || !random.chance(0.65)) return site;
    const parent = site;
    site = {
      siblings: field.children,
      index: random.below(field.children.length),
      // A changed child list means a changed parent: drop its raw bytes so it is re-encoded.
      replace: (children) => {
        const { raw: _raw, ...rest } = parent.siblings[parent.index] as ProtoField;
        const list = parent.siblings.slice();
        list[parent.index] = { ...rest, children };
        return parent.replace(list);
      },
    };
  }
};

const replaceAt = (site: Site, fields: readonly ProtoField[], deleteCount = 1): readonly ProtoField[] => {
  const list = site.siblings.slice();
  list.splice(site.index, deleteCount, ...fields);
  return site.replace(list);
};

const withValue = (field: ProtoField, value: Uint8Array): ProtoField => ({
  field: field.field,
  wireType: field.wireType,
  value,
  ...(field.tag === undefined ? {} : { tag: field.tag }),
});

/** Bytes that are not UTF-8: a lone continuation byte, an overlong NUL, a surrogate, a truncated sequence. */
const INVALID_UTF8 = [
  Uint8Array.from([0x80]),
  Uint8Array.from([0xc0, 0x80]),
  Uint8Array.from([0xed, 0xa0, 0x80]),
  Uint8Array.from([0xe6, 0x97]),
  Uint8Array.from([0xff, 0xfe]),
];

/** A replacement payload for a length-delimited field. */
const payloadFor = (field: ProtoField, random: Random, maxBytes: number): Uint8Array => {
  switch (random.below(7)) {
    case 0:
      return new Uint8Array(0);
    case 1:
      return concatBytes(
        field.value.subarray(0, random.below(field.value.length + 1)),
        random.pick(INVALID_UTF8),
      );
    case 2: {
      // A long value: label values and names past Timestream's limits, up to 1 MiB.
      const length = Math.min(maxBytes >> 2, 1 << random.int(6, 20));
      return new Uint8Array(length).fill(random.pick([0x61, 0x00, 0x5f, 0x80]));
    }
    case 3: {
      // Packed varints: label refs of remote write 2.0, deltas and spans of histograms.
      const parts: Uint8Array[] = [];
      for (let i = random.int(1, 8); i > 0; i--) parts.push(interestingVarint(random));
      return concatBytes(...parts);
    }
    case 4:
      return random.bytes(random.below(64));
    default:
      return havoc(field.value, random, { splice: [], maxBytes });
  }
};

/**
 * Nested groups (wire types 3 and 4, deprecated but still skippable), possibly deeper than a
 * decoder's recursion limit, possibly left open.
 */
const groups = (field: number, random: Random, closed: boolean): Uint8Array => {
  const depth = random.pick([1, 2, 31, 32, 33, 100, 10_000]);
  const start = encodeVarint(BigInt(field * 8 + WIRE_START_GROUP));
  const end = encodeVarint(BigInt(field * 8 + WIRE_END_GROUP));
  const parts: Uint8Array[] = [];
  for (let i = 0; i < depth; i++) parts.push(start);
  for (let i = closed ? depth : random.below(depth); i > 0; i--) parts.push(end);
  return concatBytes(...parts);
};

type TreeOperator = (
  site: Site,
  random: Random,
  context: { readonly donors: readonly (readonly ProtoField[])[]; readonly maxBytes: number },
) => readonly ProtoField[];

const fieldAt = (site: Site): ProtoField => site.siblings[site.index] as ProtoField;

const TREE_OPERATORS: readonly TreeOperator[] = [
  // repeat a field: 1 to 1000 extra copies
  (site, random, { maxBytes }) => {
    const field = fieldAt(site);
    const size = field.raw?.length ?? field.value.length + 2;
    const copies = Math.max(
      1,
      Math.min(random.pick([1, 1, 2, 3, 10, 100, 1000]), Math.floor(maxBytes / 4 / size)),
    );
    return replaceAt(
      site,
      Array.from({ length: copies + 1 }, () => field),
    );
  },
  // delete a field
  (site) => replaceAt(site, []),
  // swap with a sibling
  (site, random) => {
    const other = random.below(site.siblings.length);
    const list = site.siblings.slice();
    list[site.index] = site.siblings[other] as ProtoField;
    list[other] = fieldAt(site);
    return site.replace(list);
  },
  // graft a field from another seed (a label where a sample belongs, a series inside a series)
  (site, random, { donors }) => {
    const donor = random.pick(donors);
    const donorSite = donor.length === 0 ? undefined : pickSite(donor, random);
    return donorSite === undefined ? site.replace(site.siblings) : replaceAt(site, [fieldAt(donorSite)], 0);
  },
  // new value: interesting varint, double or word, or a new payload
  (site, random, { maxBytes }) => {
    const field = fieldAt(site);
    const value =
      field.wireType === WIRE_VARINT
        ? interestingVarint(random)
        : field.wireType === WIRE_FIXED64
          ? fixed64(random.pick(INTERESTING_DOUBLES))
          : field.wireType === WIRE_FIXED32
            ? fixed64(BigInt(random.pick(INTERESTING_WORDS))).subarray(0, 4)
            : payloadFor(field, random, maxBytes);
    return replaceAt(site, [withValue(field, value)]);
  },
  // byte havoc inside the field's value, lengths kept true
  (site, random, { maxBytes }) => {
    const field = fieldAt(site);
    return replaceAt(site, [withValue(field, havoc(field.value, random, { splice: [], maxBytes }))]);
  },
  // another wire type under the same field number
  (site, random) => {
    const field = fieldAt(site);
    const wireType = random.below(8);
    return replaceAt(site, [
      { ...withValue(field, field.value), tag: encodeVarint(BigInt(field.field * 8 + wireType)) },
    ]);
  },
  // another field number: 0, a neighbour, unknown, or the largest allowed
  (site, random) => {
    const field = fieldAt(site);
    const number = random.pick([0, field.field + 1, field.field - 1, random.int(1, 20), 1000, 2 ** 29 - 1]);
    return replaceAt(site, [
      { ...withValue(field, field.value), tag: encodeVarint(BigInt(number) * 8n + BigInt(field.wireType)) },
    ]);
  },
  // a length that lies
  (site, random) => {
    const field = fieldAt(site);
    if (field.wireType !== WIRE_LENGTH_DELIMITED) return site.replace(site.siblings);
    const length = BigInt(field.value.length);
    const lie = random.pick([length + 1n, length - 1n, 0n, length * 2n, ...INTERESTING_VARINTS]);
    const { raw: _raw, ...rest } = field;
    return replaceAt(site, [{ ...rest, lengthLie: BigInt.asUintN(64, lie) }]);
  },
  // an overlong but valid tag (a decoder must take it as the same field)
  (site, random) => {
    const field = fieldAt(site);
    const tag = encodeVarint(BigInt(field.field * 8 + field.wireType));
    const padding = random.int(1, 3);
    const overlong = new Uint8Array(tag.length + padding);
    overlong.set(tag);
    for (let i = tag.length - 1; i < overlong.length - 1; i++) overlong[i] = (overlong[i] as number) | 0x80;
    return replaceAt(site, [{ ...withValue(field, field.value), tag: overlong }]);
  },
  // unknown fields of every wire type before this one, nested groups included
  (site, random) => {
    const number = random.int(16, 5000);
    const choice = random.below(6);
    const unknown: ProtoField =
      choice === 0
        ? { field: number, wireType: WIRE_VARINT, value: interestingVarint(random) }
        : choice === 1
          ? { field: number, wireType: WIRE_FIXED64, value: random.bytes(8) }
          : choice === 2
            ? { field: number, wireType: WIRE_FIXED32, value: random.bytes(4) }
            : choice === 3
              ? { field: number, wireType: WIRE_LENGTH_DELIMITED, value: random.bytes(random.below(40)) }
              : {
                  field: number,
                  wireType: WIRE_START_GROUP,
                  value: new Uint8Array(0),
                  raw: groups(number, random, choice === 4),
                };
    return replaceAt(site, [unknown], 0);
  },
];

export interface ProtobufMutationOptions {
  /** Field trees of other seeds, grafted from. */
  readonly donors: readonly (readonly ProtoField[])[];
  /** Other messages, spliced with. */
  readonly splice: readonly Uint8Array[];
  readonly maxBytes: number;
}

/**
 * A mutant of a protobuf message: 1–4 edits of its field tree (lengths kept true unless an edit
 * lies about one), then, one time in four, byte havoc over the result.
 */
export const mutateProtobuf = (
  message: Uint8Array,
  random: Random,
  options: ProtobufMutationOptions,
): Uint8Array => {
  let tree = protoTree(message);
  if (tree.length === 0) return havoc(message, random, options);
  for (let edits = random.int(1, 4); edits > 0; edits--) {
    const site = pickSite(tree, random);
    if (site === undefined) break;
    tree = random.pick(TREE_OPERATORS)(site, random, options);
  }
  const encoded = encodeFields(tree);
  const out = encoded.length > options.maxBytes ? encoded.subarray(0, options.maxBytes) : encoded;
  return random.chance(0.25) ? havoc(out, random, options) : out;
};

// ---------------------------------------------------------------------------------------------
// Snappy

/**
 * A snappy block made up element by element: a declared length (true, short, long or past any
 * limit), then literals and copies whose lengths and offsets may point outside the data.
 */
export const craftSnappyBlock = (random: Random): Uint8Array => {
  const parts: Uint8Array[] = [];
  let produced = 0;
  const elements: Uint8Array[] = [];
  for (let n = random.int(0, 12); n > 0; n--) {
    const kind = random.below(4);
    if (kind === 0) {
      const length = random.pick([1, 4, 60, 61, 256, 65_536, random.int(1, 100)]);
      const header =
        length <= 60
          ? Uint8Array.from([(length - 1) << 2])
          : length <= 256
            ? Uint8Array.from([60 << 2, length - 1])
            : Uint8Array.from([61 << 2, (length - 1) & 0xff, ((length - 1) >> 8) & 0xff]);
      // The literal's bytes may be cut short.
      const available = random.chance(0.8) ? length : random.below(length);
      elements.push(header, random.bytes(Math.min(available, 4096)));
      produced += length;
    } else {
      const length = kind === 1 ? random.int(4, 11) : random.int(1, 64);
      const offset = random.pick([0, 1, produced, produced + 1, 65_535, random.int(1, 2048)]);
      if (kind === 1)
        elements.push(Uint8Array.from([1 | ((length - 4) << 2) | (((offset >> 8) & 7) << 5), offset & 0xff]));
      else if (kind === 2)
        elements.push(Uint8Array.from([2 | ((length - 1) << 2), offset & 0xff, (offset >> 8) & 0xff]));
      else
        elements.push(
          Uint8Array.from([
            3 | ((length - 1) << 2),
            offset & 0xff,
            (offset >> 8) & 0xff,
            (offset >> 16) & 0xff,
            0,
          ]),
        );
      produced += length;
    }
  }
  const declared = random.pick([
    produced,
    produced + 1,
    Math.max(0, produced - 1),
    0,
    0xffffffff,
    2 ** 25 + 1,
  ]);
  parts.push(random.chance(0.1) ? interestingVarint(random) : encodeVarint(BigInt(declared)), ...elements);
  return concatBytes(...parts);
};

/** A seed body at both layers: as sent (snappy) and decompressed (protobuf). */
export interface LayeredSeed {
  readonly compressed: Uint8Array;
  readonly message: Uint8Array;
}

export interface BodyMutationOptions {
  /** Seeds of the same kind, for grafting and splicing. */
  readonly others: readonly LayeredSeed[];
  readonly maxBytes: number;
}

/** Declared lengths around the limits the decoders enforce. */
const declaredLengthFor = (random: Random, message: Uint8Array): bigint =>
  random.pick([
    BigInt(message.length + 1),
    BigInt(Math.max(0, message.length - 1)),
    0n,
    32n * 1024n * 1024n,
    32n * 1024n * 1024n + 1n,
    0xffffffffn,
    0x100000000n,
  ]);

/**
 * A mutant of a snappy-compressed protobuf body, at one of its layers: most mutate the message and
 * compress it again (so they reach the protobuf decoder), others the compressed bytes, the
 * block's declared length, or replace the block with a hand-made one.
 */
export const mutateSnappyBody = (
  seed: LayeredSeed,
  random: Random,
  options: BodyMutationOptions,
): Uint8Array => {
  const roll = random.below(100);
  if (roll < 60) {
    const message = mutateProtobuf(seed.message, random, {
      donors: options.others.map((other) => protoTree(other.message)),
      splice: options.others.map((other) => other.message),
      maxBytes: options.maxBytes,
    });
    const compressed = compressSnappyBlock(message);
    // Now and then both layers: a valid message, then a broken block.
    return random.chance(0.1)
      ? havoc(compressed, random, { splice: [], maxBytes: options.maxBytes })
      : compressed;
  }
  if (roll < 85) {
    return havoc(seed.compressed, random, {
      splice: options.others.map((other) => other.compressed),
      maxBytes: options.maxBytes,
    });
  }
  if (roll < 95) {
    // The declared length replaced, the elements kept.
    const preamble = readVarint(seed.compressed, 0)?.end ?? 0;
    return concatBytes(
      encodeVarint(declaredLengthFor(random, seed.message)),
      seed.compressed.subarray(preamble),
    );
  }
  return craftSnappyBlock(random);
};

// ---------------------------------------------------------------------------------------------
// Text

const CONTROL_CHARACTERS = ['\0', '\r', '\n', '\r\n', '\t', '\x7f', '\x1b[31m', '\v'];
const UNICODE = ['é', '日本', '🙂', '\u{fffd}', '\u202e', '\u00ff', '\ud800'];

/** A mutant of a header value, method or path: interesting values, byte edits, control characters, size. */
export const mutateText = (text: string, random: Random, interesting: readonly string[]): string => {
  switch (random.below(9)) {
    case 0:
    case 1:
      return interesting.length > 0 ? random.pick(interesting) : '';
    case 2: {
      const bytes = havoc(Buffer.from(text, 'latin1'), random, { splice: [], maxBytes: 65_536 });
      return Buffer.from(bytes).toString('latin1');
    }
    case 3: {
      const at = random.below(text.length + 1);
      return `${text.slice(0, at)}${random.pick(CONTROL_CHARACTERS)}${text.slice(at)}`;
    }
    case 4: {
      const at = random.below(text.length + 1);
      return `${text.slice(0, at)}${random.pick(UNICODE)}${text.slice(at)}`;
    }
    case 5:
      return random.chance(0.5) ? text.toUpperCase() : text.toLowerCase();
    case 6:
      return `${random.pick(['', ' ', '\t', '  '])}${text}${random.pick(['', ' ', '\t', ';', ',', ';x=y'])}`;
    case 7: {
      // Long: past header-size limits (16 KiB in Node) or simply large.
      const length = 1 << random.int(8, 17);
      return (text === '' ? 'x' : text).repeat(Math.ceil(length / Math.max(1, text.length))).slice(0, length);
    }
    default:
      return '';
  }
};
