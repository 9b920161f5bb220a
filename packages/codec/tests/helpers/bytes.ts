/** Builds protobuf bytes by hand, so tests state the exact wire layout they feed the decoder. */

export const varint = (value: number | bigint): number[] => {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
};

export const tag = (field: number, wireType: number): number[] => varint((field << 3) | wireType);

/** A varint field (wire type 0). */
export const vfield = (field: number, value: number | bigint): number[] => [
  ...tag(field, 0),
  ...varint(value),
];

/** A fixed64 double field (wire type 1). */
export const dfield = (field: number, value: number): number[] => {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleLE(value);
  return [...tag(field, 1), ...bytes];
};

/** A length-delimited field (wire type 2) holding `payload` (bytes or a UTF-8 string). */
export const lfield = (field: number, payload: number[] | string): number[] => {
  const bytes = typeof payload === 'string' ? [...Buffer.from(payload)] : payload;
  return [...tag(field, 2), ...varint(bytes.length), ...bytes];
};

/** A fixed32 field (wire type 5). */
export const ffield = (field: number, value: number): number[] => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  return [...tag(field, 5), ...bytes];
};

export const bytes = (...parts: number[][]): Uint8Array => new Uint8Array(parts.flat());
