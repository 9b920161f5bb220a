import {
  assertSnappyEncoding,
  CodecError,
  negotiateResponseType,
  selectWriteVersion,
} from '../../src/index.js';

describe('selectWriteVersion (remote write 2.0 spec, client_golang ParseProtoMsg)', () => {
  it.each([
    ['absent header', undefined, '1.0'],
    ['empty header', '', '1.0'],
    ['what Prometheus 2.42 sends', 'application/x-protobuf', '1.0'],
    ['v1 named explicitly', 'application/x-protobuf;proto=prometheus.WriteRequest', '1.0'],
    ['v2', 'application/x-protobuf;proto=io.prometheus.write.v2.Request', '2.0'],
    [
      'v2 with spaces and a charset parameter',
      'application/x-protobuf; charset=utf-8; proto=io.prometheus.write.v2.Request',
      '2.0',
    ],
    ['media type in upper case', 'Application/X-Protobuf', '1.0'],
    // client_golang's ParseProtoMsg returns at the first proto= parameter.
    [
      'the first of two proto parameters decides',
      'application/x-protobuf;proto=io.prometheus.write.v2.Request;proto=prometheus.WriteRequest',
      '2.0',
    ],
  ] as const)('%s → %s', (_, header, expected) => {
    expect(selectWriteVersion(header)).toBe(expected);
  });

  it.each([
    ['application/json', 'unsupported Content-Type "application/json": expected application/x-protobuf'],
    ['image/png', 'unsupported Content-Type "image/png": expected application/x-protobuf'],
    [
      'application/x-protobuf;proto=io.prometheus.write.v3.Request',
      'unsupported remote-write message "io.prometheus.write.v3.Request": expected prometheus.WriteRequest or io.prometheus.write.v2.Request',
    ],
    [
      'application/x-protobuf;v2',
      'unsupported Content-Type "application/x-protobuf;v2": parameter "v2" is not key=value',
    ],
  ])('rejects %s with unsupported_media_type', (header, message) => {
    expect(() => selectWriteVersion(header)).toThrow(new CodecError('unsupported_media_type', message));
    expect(() => selectWriteVersion(header)).toThrow(
      expect.objectContaining({ kind: 'unsupported_media_type' }),
    );
  });

  // Found by the fuzzer: the header was repeated raw, control characters and all, however long.
  it.each([
    [
      'a NUL in the media type',
      'application/x\u0000-protobuf',
      'unsupported Content-Type "application/x\\x00-protobuf": expected application/x-protobuf',
    ],
    [
      'an escape sequence in the message name',
      'application/x-protobuf;proto=\u001b[31mio.prometheus.write.v2.Request',
      'unsupported remote-write message "\\x1b[31mio.prometheus.write.v2.Request": expected prometheus.WriteRequest or io.prometheus.write.v2.Request',
    ],
    [
      'a DEL in a parameter',
      'application/x-protobuf;v\u007f2',
      'unsupported Content-Type "application/x-protobuf;v\\x7f2": parameter "v\\x7f2" is not key=value',
    ],
    [
      'a 1000-character media type',
      'a'.repeat(1000),
      `unsupported Content-Type "${'a'.repeat(100)}…": expected application/x-protobuf`,
    ],
  ])('quotes %s escaped and cut', (_, header, message) => {
    expect(() => selectWriteVersion(header)).toThrow(new CodecError('unsupported_media_type', message));
  });
});

describe('assertSnappyEncoding', () => {
  it.each([undefined, '', 'snappy', 'SNAPPY'])('accepts %p', (encoding) => {
    expect(() => assertSnappyEncoding(encoding)).not.toThrow();
  });

  it.each(['gzip', 'deflate', 'zstd', 'identity'])('rejects %s with unsupported_media_type', (encoding) => {
    expect(() => assertSnappyEncoding(encoding)).toThrow(
      expect.objectContaining({
        kind: 'unsupported_media_type',
        message: `unsupported Content-Encoding "${encoding}": only snappy is accepted`,
      }),
    );
  });

  it('quotes the encoding with control characters escaped (found by the fuzzer)', () => {
    expect(() => assertSnappyEncoding('\u001b[31msnappy\r\n')).toThrow(
      new CodecError(
        'unsupported_media_type',
        'unsupported Content-Encoding "\\x1b[31msnappy\\x0d\\x0a": only snappy is accepted',
      ),
    );
  });
});

describe('negotiateResponseType (Prometheus NegotiateResponseType)', () => {
  it.each([
    ['nothing listed (Prometheus 2.42)', [], 'SAMPLES'],
    ['Prometheus ≥ 2.55 order', ['STREAMED_XOR_CHUNKS', 'SAMPLES'], 'STREAMED_XOR_CHUNKS'],
    ['SAMPLES first', ['SAMPLES', 'STREAMED_XOR_CHUNKS'], 'SAMPLES'],
    ['unknown type before a known one', ['UNKNOWN', 'SAMPLES'], 'SAMPLES'],
  ] as const)('%s → %s', (_, accepted, expected) => {
    expect(negotiateResponseType(accepted)).toBe(expected);
  });

  it('respects what the server supports', () => {
    expect(negotiateResponseType(['STREAMED_XOR_CHUNKS', 'SAMPLES'], ['SAMPLES'])).toBe('SAMPLES');
  });

  it('fails with unsupported_response_type when nothing matches', () => {
    expect(() => negotiateResponseType(['UNKNOWN'])).toThrow(
      expect.objectContaining({
        kind: 'unsupported_response_type',
        message:
          'none of the accepted response types [UNKNOWN] is supported; this server answers SAMPLES or STREAMED_XOR_CHUNKS',
      }),
    );
    expect(() => negotiateResponseType(['STREAMED_XOR_CHUNKS'], ['SAMPLES'])).toThrow(
      expect.objectContaining({ kind: 'unsupported_response_type' }),
    );
  });
});
