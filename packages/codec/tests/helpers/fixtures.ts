import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');
export const WRITE_FIXTURES = path.join(FIXTURES, 'prometheus-2.42');
export const READ_SERVER_FIXTURES = path.join(FIXTURES, 'prometheus-2.42-read-server');

export const readFixture = (...parts: string[]): Uint8Array =>
  new Uint8Array(readFileSync(path.join(...parts)));

export interface CapturedRequest {
  readonly name: string;
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

/** Every captured request whose file name starts with `prefix` ('write-' or 'read-'), in name order. */
export const capturedRequests = (prefix: 'write-' | 'read-'): CapturedRequest[] =>
  readdirSync(WRITE_FIXTURES)
    .filter((file) => file.startsWith(prefix) && file.endsWith('.bin'))
    .sort()
    .map((file) => {
      const meta = JSON.parse(
        readFileSync(path.join(WRITE_FIXTURES, file.replace(/\.bin$/, '.headers.json')), 'utf8'),
      );
      return { name: file, body: readFixture(WRITE_FIXTURES, file), headers: meta.headers };
    });

/** The schemas loaded by protobufjs reflection: a decoding path independent of the hand-written codec. */
export const schema = protobuf.loadSync([
  path.join(__dirname, '..', '..', 'proto', 'prometheus.proto'),
  path.join(__dirname, '..', '..', 'proto', 'write-v2.proto'),
]);

/** Decodes with protobufjs reflection into plain objects, int64 as numbers, defaults filled in. */
export const reflectDecode = (typeName: string, bytes: Uint8Array): Record<string, unknown> => {
  const type = schema.lookupType(typeName);
  return type.toObject(type.decode(bytes), {
    longs: Number,
    enums: String,
    defaults: true,
    arrays: true,
    oneofs: true,
  });
};

/** Raw bits of a double as 16 hex digits, for NaN payload checks independent of the codec. */
export const doubleBits = (value: number): string => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
};
