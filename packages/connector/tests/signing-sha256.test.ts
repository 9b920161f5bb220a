import { Sha256 } from '@smithy/core/checksum';
import { SigningSha256 } from '../src/signing-sha256.js';

type Source = string | ArrayBuffer | ArrayBufferView;

/** The digest of `chunks` (HMAC with `secret` when given) by a Checksum constructor. */
const digestOf = async (
  Checksum: new (secret?: Source) => { update(chunk: Source): void; digest(): Promise<Uint8Array> },
  secret: Source | undefined,
  chunks: readonly Source[],
): Promise<string> => {
  const checksum = new Checksum(secret);
  for (const chunk of chunks) checksum.update(chunk);
  return Buffer.from(await checksum.digest()).toString('hex');
};

const bytes = (text: string) => new TextEncoder().encode(text);
const signingKey = bytes('a day-long signing key, 32 bytes');

describe('SigningSha256', () => {
  it.each<{ description: string; secret?: Source; chunks: Source[] }>([
    { description: 'a hash of nothing', chunks: [] },
    { description: 'a hash of a string (UTF-8)', chunks: ['POST\n/\n\nhost:example\u00e9\n'] },
    { description: 'a hash of bytes in chunks', chunks: [bytes('{"Records":['), bytes('{}]}')] },
    {
      description: 'a hash of a view into a larger buffer',
      chunks: [new Uint8Array(bytes('xxbodyxx').buffer, 2, 4)],
    },
    { description: 'an empty string key is a plain hash', secret: '', chunks: ['data'] },
    { description: 'an HMAC with a string key', secret: 'wJalrXUtnFEMI/K7MDENG', chunks: ['AKIDEXAMPLE'] },
    {
      description: 'an HMAC with a byte key',
      secret: signingKey,
      chunks: ['AWS4-HMAC-SHA256\n20261208T000000Z'],
    },
    {
      description: 'an HMAC with the same byte key again',
      secret: signingKey,
      chunks: ['another string to sign'],
    },
    { description: 'an HMAC with an empty byte key', secret: new Uint8Array(0), chunks: ['data'] },
    { description: 'an HMAC with an ArrayBuffer key', secret: bytes('key').buffer, chunks: ['data'] },
    {
      description: 'an HMAC with a DataView key',
      secret: new DataView(bytes('xkeyx').buffer, 1, 3),
      chunks: ['data'],
    },
  ])('gives the digest of @smithy/core’s Sha256: $description', async ({ secret, chunks }) => {
    expect(await digestOf(SigningSha256, secret, chunks)).toBe(await digestOf(Sha256, secret, chunks));
  });

  it('keys an HMAC by the bytes a key object had when first used, as createSecretKey copies them', async () => {
    // Prepare: the signer never changes its key; a changed one must not give a wrong digest silently.
    const key = bytes('mutable key bytes');
    const first = await digestOf(SigningSha256, key, ['data']);
    const expected = await digestOf(Sha256, bytes('mutable key bytes'), ['data']);

    // Assess
    expect(first).toBe(expected);
    expect(await digestOf(SigningSha256, key, ['data'])).toBe(expected);
  });

  it('digests once: a second digest returns the first, an update after it throws, reset starts over', async () => {
    // Prepare
    const checksum = new SigningSha256(signingKey);
    checksum.update('data');

    // Act
    const first = Buffer.from(await checksum.digest()).toString('hex');
    const second = Buffer.from(await checksum.digest()).toString('hex');

    // Assess
    expect(second).toBe(first);
    expect(() => checksum.update('more')).toThrow('already finished');
    checksum.reset();
    checksum.update('data');
    expect(Buffer.from(await checksum.digest()).toString('hex')).toBe(first);
  });
});
