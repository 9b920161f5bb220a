/**
 * decodeReadRequest checks the headers of a remote-read request as decodeWriteRequest does for a
 * write: the Content-Type (what Prometheus 2.42 and 3.x send: bare `application/x-protobuf`) and
 * the Content-Encoding (snappy), before decompressing anything.
 */
import { assertReadContentType, CodecError, decodeReadRequest, encodeReadRequest } from '../../src/index.js';

/** A remote-read body as Prometheus sends it (encodeReadRequest answers the snappy block). */
const body = encodeReadRequest({
  queries: [
    {
      startTimestampMs: 1_000,
      endTimestampMs: 2_000,
      matchers: [{ type: 'EQ', name: '__name__', value: 'up' }],
    },
  ],
});

describe('decodeReadRequest: the Content-Type and Content-Encoding of a remote read', () => {
  it.each([
    {
      description: 'what Prometheus sends',
      contentType: 'application/x-protobuf',
      contentEncoding: 'snappy',
    },
    { description: 'no headers at all', contentType: undefined, contentEncoding: undefined },
    { description: 'empty headers', contentType: '', contentEncoding: '' },
    {
      description: 'parameters and letter case',
      contentType: 'Application/X-Protobuf; proto=prometheus.ReadRequest',
      contentEncoding: 'SNAPPY',
    },
  ])('accepts $description', ({ contentType, contentEncoding }) => {
    // Act
    const decoded = decodeReadRequest(body, { contentType, contentEncoding });

    // Assess
    expect(decoded.queries).toHaveLength(1);
    expect(decoded.queries[0]?.matchers).toEqual([{ type: 'EQ', name: '__name__', value: 'up' }]);
  });

  it.each([
    {
      description: 'a JSON body',
      headers: { contentType: 'application/json', contentEncoding: 'snappy' },
      message: 'unsupported Content-Type "application/json": expected application/x-protobuf',
    },
    {
      description: 'the streamed answer type as a request',
      headers: { contentType: 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse' },
      message:
        'unsupported Content-Type "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse": expected application/x-protobuf',
    },
    {
      description: 'gzip',
      headers: { contentType: 'application/x-protobuf', contentEncoding: 'gzip' },
      message: 'unsupported Content-Encoding "gzip": only snappy is accepted',
    },
    {
      description: 'a wrong type and a wrong encoding: the type is named first, as for a write',
      headers: { contentType: 'text/plain', contentEncoding: 'zstd' },
      message: 'unsupported Content-Type "text/plain": expected application/x-protobuf',
    },
  ])('refuses $description as unsupported_media_type', ({ headers, message }) => {
    expect(() => decodeReadRequest(body, headers)).toThrow(new CodecError('unsupported_media_type', message));
    expect(() => decodeReadRequest(body, headers)).toThrow(
      expect.objectContaining({ kind: 'unsupported_media_type' }),
    );
  });

  it('checks the headers before the body: a wrong type on a corrupt body is a 415, not a snappy error', () => {
    expect(() => decodeReadRequest(Uint8Array.of(0xff), { contentType: 'image/png' })).toThrow(
      expect.objectContaining({ kind: 'unsupported_media_type' }),
    );
  });

  it('keeps the size cap as its third argument', () => {
    expect(() => decodeReadRequest(body, {}, { maxDecodedBytes: 4 })).toThrow(
      expect.objectContaining({ kind: 'too_large' }),
    );
  });
});

describe('assertReadContentType', () => {
  it('quotes a hostile header escaped and cut', () => {
    expect(() => assertReadContentType(`\u001b[31m${'a'.repeat(200)}`)).toThrow(
      new CodecError(
        'unsupported_media_type',
        `unsupported Content-Type "\\x1b[31m${'a'.repeat(95)}…": expected application/x-protobuf`,
      ),
    );
  });
});
