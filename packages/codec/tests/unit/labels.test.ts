import { compareUtf8, decodeWriteRequestV1, encodeWriteRequestV1, type Label } from '../../src/index.js';

const decodeLabels = (labels: Label[]) => {
  const decoded = decodeWriteRequestV1(
    encodeWriteRequestV1({ series: [{ labels, samples: [{ timestampMs: 1, value: 1 }] }] }),
  );
  return decoded.series[0];
};

describe('label normalization', () => {
  it.each([
    {
      description: 'sorted input is kept',
      labels: [
        { name: '__name__', value: 'up' },
        { name: 'job', value: 'a' },
      ],
      expected: [
        { name: '__name__', value: 'up' },
        { name: 'job', value: 'a' },
      ],
      invalid: null,
    },
    {
      description: 'unsorted input is sorted by name',
      labels: [
        { name: 'job', value: 'a' },
        { name: 'instance', value: 'x' },
        { name: '__name__', value: 'up' },
      ],
      expected: [
        { name: '__name__', value: 'up' },
        { name: 'instance', value: 'x' },
        { name: 'job', value: 'a' },
      ],
      invalid: null,
    },
    {
      description: 'a label with an empty value is dropped (Prometheus treats it as absent)',
      labels: [
        { name: '__name__', value: 'up' },
        { name: 'env', value: '' },
        { name: 'job', value: 'a' },
      ],
      expected: [
        { name: '__name__', value: 'up' },
        { name: 'job', value: 'a' },
      ],
      invalid: null,
    },
    {
      description: 'duplicate name',
      labels: [
        { name: '__name__', value: 'up' },
        { name: 'job', value: 'a' },
        { name: 'job', value: 'b' },
      ],
      expected: [
        { name: '__name__', value: 'up' },
        { name: 'job', value: 'a' },
        { name: 'job', value: 'b' },
      ],
      invalid: 'duplicate_label_name',
    },
    {
      description: 'empty name',
      labels: [
        { name: '__name__', value: 'up' },
        { name: '', value: 'x' },
      ],
      expected: [
        { name: '', value: 'x' },
        { name: '__name__', value: 'up' },
      ],
      invalid: 'empty_label_name',
    },
    {
      description: 'no __name__',
      labels: [{ name: 'job', value: 'a' }],
      expected: [{ name: 'job', value: 'a' }],
      invalid: 'missing_metric_name',
    },
    {
      description: 'names are ordered by UTF-8 bytes, not UTF-16 code units (U+FF5E before U+1F600)',
      labels: [
        { name: '__name__', value: 'up' },
        { name: '\u{1f600}', value: 'b' },
        { name: '\uff5e', value: 'a' },
      ],
      expected: [
        { name: '__name__', value: 'up' },
        { name: '\uff5e', value: 'a' },
        { name: '\u{1f600}', value: 'b' },
      ],
      invalid: null,
    },
    { description: 'empty label set', labels: [], expected: [], invalid: 'empty_label_set' },
    {
      description: 'only empty values',
      labels: [{ name: '__name__', value: '' }],
      expected: [],
      invalid: 'empty_label_set',
    },
  ])('$description', ({ labels, expected, invalid }) => {
    const series = decodeLabels(labels);
    expect(series?.labels).toEqual(expected);
    expect(series?.invalidLabels).toBe(invalid);
  });

  it('flags a label value that is not valid UTF-8 and keeps the series countable', () => {
    // Prepare: a TimeSeries whose only label value is the lone continuation byte 0x80.
    const label = [0x0a, 0x08, ...Buffer.from('__name__'), 0x12, 0x01, 0x80];
    const series = [0x0a, label.length, ...label];
    const request = new Uint8Array([0x0a, series.length, ...series]);

    // Act
    const decoded = decodeWriteRequestV1(request);

    // Assess
    expect(decoded.series[0]?.invalidLabels).toBe('invalid_utf8');
    expect(decoded.series[0]?.labels).toEqual([{ name: '__name__', value: '\ufffd' }]);
    expect(decoded.counts.invalidSeries).toBe(1);
  });

  it('flags invalid UTF-8 in a long (slow-path) label value too', () => {
    const value = [...Buffer.from('a'.repeat(40)), 0xc3];
    const label = [0x0a, 0x08, ...Buffer.from('__name__'), 0x12, value.length, ...value];
    const series = [0x0a, label.length, ...label];
    expect(
      decodeWriteRequestV1(new Uint8Array([0x0a, series.length, ...series])).series[0]?.invalidLabels,
    ).toBe('invalid_utf8');
  });
});

describe('compareUtf8 orders like Go compares strings (UTF-8 bytes)', () => {
  it.each([
    ['a', 'b', -1],
    ['b', 'a', 1],
    ['a', 'a', 0],
    ['a', 'ab', -1],
    ['__name__', 'a', -1],
    // U+FF5E (UTF-8 ef bd 9e) sorts before U+1F600 (f0 9f 98 80); UTF-16 code units say the opposite.
    ['\uff5e', '\u{1f600}', -1],
  ])('%p vs %p → %i', (a, b, sign) => {
    expect(Math.sign(compareUtf8(a, b))).toBe(sign);
    expect(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)))).toBe(sign);
  });
});
