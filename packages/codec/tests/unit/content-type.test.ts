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
