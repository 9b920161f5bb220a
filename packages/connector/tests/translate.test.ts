import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { _Record, WriteRecordsCommandInput } from '@aws-sdk/client-timestream-write';
import type { DecodedSeries, DecodedWriteRequest, FloatSample, Label } from '@prometheus-timestream/codec';
import {
  compressSnappyBlock,
  decodeWriteRequest,
  encodeWriteRequestV1,
  samplesOf,
} from '@prometheus-timestream/codec';
import { BadRequestError } from '../src/errors.js';
import {
  formatMeasureValue,
  MAX_RECORDS_PER_BATCH,
  type TranslatedWrite,
  type TranslateOptions,
  toTimestreamBatches,
  type WriteBatch,
} from '../src/translate.js';
import { decodedRequest } from './helpers/decoded.js';

const DEFAULTS: TranslateOptions = { failOnLongLabel: false, failOnInvalidSampleValue: false };
const DESTINATION = { database: 'prom', table: 'metrics' };
const T = 1_700_000_000_000;

const labels = (record: Record<string, string>): Label[] =>
  Object.entries(record)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value }));

const sample = (value: number, timestampMs = T, stale = false): FloatSample => ({
  value,
  timestampMs,
  stale,
  startTimestampMs: 0,
});

const series = (
  record: Record<string, string>,
  samples: FloatSample[],
  extra: Partial<DecodedSeries> = {},
): DecodedSeries => ({
  labels: labels(record),
  samples,
  histograms: [],
  exemplars: [],
  invalidLabels: null,
  ...extra,
});

const request = (list: DecodedSeries[]): DecodedWriteRequest => decodedRequest(list);

/** A batch's call as Timestream reads it: its JSON body parsed. */
interface Call {
  readonly commonAttributes: _Record;
  readonly records: readonly _Record[];
}

/** The calls of the batches, each body checked against its record count and destination. */
const callsOf = (batches: Iterable<WriteBatch>): Call[] => {
  const calls: Call[] = [];
  let left: number | undefined;
  for (const batch of batches) {
    const input = JSON.parse(batch.body) as WriteRecordsCommandInput & {
      readonly Records: _Record[];
      readonly CommonAttributes: _Record;
    };
    expect([input.DatabaseName, input.TableName]).toEqual([DESTINATION.database, DESTINATION.table]);
    expect(input.Records).toHaveLength(batch.records);
    if (left !== undefined) expect(left).toBe(batch.records + batch.recordsAfter);
    left = batch.recordsAfter;
    calls.push({ commonAttributes: input.CommonAttributes, records: input.Records });
  }
  if (left !== undefined) expect(left).toBe(0);
  return calls;
};

/** Every record of every batch with CommonAttributes merged back in, as Timestream sees them. */
const merged = (batches: readonly Call[]) =>
  batches.flatMap((batch) =>
    batch.records.map((record) => ({
      measureName: record.MeasureName ?? batch.commonAttributes.MeasureName,
      dimensions: [...(batch.commonAttributes.Dimensions ?? []), ...(record.Dimensions ?? [])]
        .map((d) => `${d.Name}=${d.Value}`)
        .sort(),
      value: record.MeasureValue,
      time: record.Time,
      type: record.MeasureValueType ?? batch.commonAttributes.MeasureValueType,
      unit: record.TimeUnit ?? batch.commonAttributes.TimeUnit,
    })),
  );

/**
 * A call's size by AWS's write metering (metering-and-pricing.writes): CommonAttributes' names and
 * values once, then per record 8 B of time, 8 B of double and its own names and values.
 */
const meteredBytes = (batch: Call): number => {
  const bytes = (text: string | undefined) => Buffer.byteLength(text ?? '', 'utf8');
  const dimensions = (list: _Record['Dimensions']) =>
    (list ?? []).reduce((n, d) => n + bytes(d.Name) + bytes(d.Value), 0);
  return batch.records.reduce(
    (n, record) => n + 16 + bytes(record.MeasureName) + dimensions(record.Dimensions),
    bytes(batch.commonAttributes.MeasureName) + dimensions(batch.commonAttributes.Dimensions),
  );
};
const writeUnits = (batches: readonly Call[]) =>
  batches.reduce((n, batch) => n + Math.ceil(meteredBytes(batch) / 1024), 0);

/** The translation, its batches as parsed calls. */
const translated = (decoded: DecodedWriteRequest, options = DEFAULTS) => {
  const result: TranslatedWrite = toTimestreamBatches(decoded, options, DESTINATION);
  return { ...result, batches: callsOf(result.batches) };
};
const translate = (list: DecodedSeries[], options = DEFAULTS) => translated(request(list), options);

describe('formatMeasureValue', () => {
  it.each([
    {
      description: 'a tiny value keeps every digit (the Go connector wrote 0.000000)',
      value: 1e-7,
      text: '1e-7',
    },
    { description: 'a huge value in exponent form', value: 1e300, text: '1e+300' },
    { description: 'negative zero keeps its sign', value: -0, text: '-0' },
    { description: 'zero', value: 0, text: '0' },
    { description: 'an integer without decimals', value: 42, text: '42' },
    { description: 'the largest safe integer', value: 2 ** 53 - 1, text: '9007199254740991' },
    { description: 'shortest round trip of 0.1 + 0.2', value: 0.1 + 0.2, text: '0.30000000000000004' },
    { description: 'a negative fraction', value: -1.5, text: '-1.5' },
    { description: 'the smallest subnormal', value: 5e-324, text: '5e-324' },
    { description: 'the largest double', value: Number.MAX_VALUE, text: '1.7976931348623157e+308' },
  ])('$description: $value → "$text"', ({ value, text }) => {
    expect(formatMeasureValue(value)).toBe(text);
    expect(Object.is(Number(text), value)).toBe(true);
  });
});

describe('toTimestreamBatches', () => {
  it('writes one DOUBLE record per sample: measure name from __name__, other labels as dimensions, time in ms', () => {
    // Act
    const { batches, records } = translate([
      series({ __name__: 'up', job: 'node', instance: 'a:9100' }, [sample(1, T), sample(0, T + 15_000)]),
    ]);

    // Assess
    expect(records).toBe(2);
    expect(merged(batches)).toEqual([
      {
        measureName: 'up',
        dimensions: ['instance=a:9100', 'job=node'],
        value: '1',
        time: String(T),
        type: 'DOUBLE',
        unit: 'MILLISECONDS',
      },
      {
        measureName: 'up',
        dimensions: ['instance=a:9100', 'job=node'],
        value: '0',
        time: String(T + 15_000),
        type: 'DOUBLE',
        unit: 'MILLISECONDS',
      },
    ]);
  });

  it('sends dimensions sorted by name, shared ones in CommonAttributes', () => {
    // Act
    const [batch] = translate([
      series({ __name__: 'a', zone: 'z1', job: 'node', instance: 'h1' }, [sample(1)]),
      series({ __name__: 'b', zone: 'z2', job: 'node', instance: 'h1' }, [sample(2)]),
    ]).batches;

    // Assess
    expect(batch?.commonAttributes).toEqual({
      Dimensions: [
        { Name: 'instance', Value: 'h1' },
        { Name: 'job', Value: 'node' },
      ],
      MeasureValueType: 'DOUBLE',
      TimeUnit: 'MILLISECONDS',
    });
    expect(batch?.records).toEqual([
      { Dimensions: [{ Name: 'zone', Value: 'z1' }], MeasureName: 'a', MeasureValue: '1', Time: String(T) },
      { Dimensions: [{ Name: 'zone', Value: 'z2' }], MeasureName: 'b', MeasureValue: '2', Time: String(T) },
    ]);
  });

  it('puts the measure name in CommonAttributes when the whole batch shares it', () => {
    // Act
    const [batch] = translate([
      series({ __name__: 'up', job: 'a' }, [sample(1)]),
      series({ __name__: 'up', job: 'b' }, [sample(1)]),
    ]).batches;

    // Assess
    expect(batch?.commonAttributes.MeasureName).toBe('up');
    expect(batch?.records.every((r) => r.MeasureName === undefined)).toBe(true);
  });

  it('groups samples of one label set sent in several TimeSeries (Prometheus sends one sample each)', () => {
    // Act
    const { batches } = translate([
      series({ __name__: 'up', job: 'a' }, [sample(1, T)]),
      series({ __name__: 'up', job: 'b' }, [sample(2, T)]),
      series({ __name__: 'up', job: 'a' }, [sample(3, T + 1)]),
    ]);

    // Assess
    expect(merged(batches).map((r) => `${r.dimensions.join()}@${r.time}=${r.value}`)).toEqual([
      `job=a@${T}=1`,
      `job=a@${T + 1}=3`,
      `job=b@${T}=2`,
    ]);
  });

  it('packs at most 100 records per batch and loses none', () => {
    // Prepare: 7 series of 37 samples, 259 records in all.
    const list = Array.from({ length: 7 }, (_, s) =>
      series(
        { __name__: `m${s % 2}`, job: 'node', series: String(s) },
        Array.from({ length: 37 }, (_, i) => sample(i, T + i)),
      ),
    );

    // Act
    const { batches, records } = translate(list);

    // Assess
    expect(records).toBe(259);
    expect(batches.map((b) => b.records.length).reduce((a, b) => a + b)).toBe(259);
    const keys = merged(batches).map((r) => `${r.measureName}|${r.dimensions.join()}|${r.time}|${r.value}`);
    expect(new Set(keys).size).toBe(259);
    expect(batches.every((b) => b.records.length <= MAX_RECORDS_PER_BATCH)).toBe(true);
  });

  it('keeps every series its own group when markers and repeated TimeSeries make more groups than series', () => {
    // Prepare: 40 series with a sample and a staleness marker each (80 groups: more than the 50
    // TimeSeries the group columns start with room for, and more than half the table), then 10 of
    // the label sets again in TimeSeries of their own, which must join the groups already made.
    const first = Array.from({ length: 40 }, (_, i) =>
      series({ __name__: 'm', job: 'node', id: String(i) }, [sample(i, T), sample(Number.NaN, T + 1, true)]),
    );
    const again = Array.from({ length: 10 }, (_, i) =>
      series({ __name__: 'm', job: 'node', id: String(i) }, [sample(100 + i, T + 2)]),
    );

    // Act
    const { batches, records, dimensionNames } = translate([...first, ...again], {
      ...DEFAULTS,
      storeStalenessMarkers: true,
    });

    // Assess: each label set's records side by side, samples before markers.
    expect(records).toBe(90);
    expect([...dimensionNames].sort()).toEqual(['__stale__', 'id', 'job']);
    const written = merged(batches).map((r) => `${r.dimensions.join()} ${r.time} ${r.value}`);
    const expected = Array.from({ length: 40 }, (_, i) => String(i))
      .sort()
      .flatMap((id) => [
        `id=${id},job=node ${T} ${id}`,
        ...(Number(id) < 10 ? [`id=${id},job=node ${T + 2} ${100 + Number(id)}`] : []),
        `__stale__=true,id=${id},job=node ${T + 1} 0`,
      ]);
    expect(written.sort()).toEqual(expected.sort());
    const order = merged(batches).map((r) => r.dimensions.find((d) => d.startsWith('id=')));
    // One run per series: its samples' group, then its markers' beside it.
    expect(order.filter((id, i) => id !== order[i - 1])).toHaveLength(40);
  });

  it('orders by scrape target when a request has more targets than its cache of target keys holds', () => {
    // Prepare: 5,000 targets (over the 4,096 cached), through the codec so equal labels are one
    // object, in an order the sort must undo.
    const list = Array.from({ length: 5_000 }, (_, i) => ({
      labels: labels({ __name__: `m${i % 2}`, instance: `host-${(i * 7919) % 5_000}`, job: 'node' }),
      samples: [{ timestampMs: T, value: i }],
    }));
    const decoded = decodeWriteRequest(compressSnappyBlock(encodeWriteRequestV1({ series: list })));

    // Act
    const { batches } = translated(decoded);

    // Assess
    const order = merged(batches).map(
      (r) => `${r.dimensions.find((d) => d.startsWith('instance='))}\u0000${r.measureName}`,
    );
    expect(order).toHaveLength(5_000);
    expect(order).toEqual([...order].sort());
  });

  it('writes every dimension right when a request has more distinct labels than its label JSON cache holds', () => {
    // Prepare: 9,000 series through the codec, which decodes equal labels into one object; their
    // 9,000 `id` labels overflow the per-request cache of label JSON (8,192), which is cleared
    // while `shard` and `job` keep repeating.
    const list = Array.from({ length: 9_000 }, (_, i) => ({
      labels: labels({ __name__: 'm', job: 'node', id: String(i), shard: String(i % 7) }),
      samples: [{ timestampMs: T + i, value: i }],
    }));
    const decoded = decodeWriteRequest(compressSnappyBlock(encodeWriteRequestV1({ series: list })));

    // Act
    const { batches, records } = translated(decoded);

    // Assess
    expect(records).toBe(9_000);
    const written = merged(batches).map((r) => `${r.time} ${r.value} ${r.dimensions.join()}`);
    const expected = list.map((_, i) => `${T + i} ${i} id=${i},job=node,shard=${i % 7}`);
    expect(written.sort()).toEqual(expected.sort());
  });

  it('orders records by scrape target (job, instance), then metric, so a batch shares more', () => {
    // Prepare: two targets' series interleaved, as several senders' shards could deliver them.
    const list = Array.from({ length: 200 }, (_, i) =>
      series({ __name__: `m${i % 3}`, instance: `host-${i % 2}:9100`, job: 'node', id: String(i) }, [
        sample(i),
      ]),
    );

    // Act
    const { batches } = translate(list);

    // Assess: host-0's records first, each target's by metric; a batch of one target names it once.
    const order = merged(batches).map(
      (r) => `${r.dimensions.find((d) => d.startsWith('instance='))} ${r.measureName}`,
    );
    expect(order).toEqual([...order].sort());
    expect(batches[0]?.commonAttributes.Dimensions).toEqual([
      { Name: 'instance', Value: 'host-0:9100' },
      { Name: 'job', Value: 'node' },
    ]);
  });

  // Common attributes: m + job=node, 8 B. Per record: 16 B + id=<value>.
  it.each([
    {
      description: 'ends a full batch just below a whole write unit (2,108 B → 97 records, 2,045 B)',
      idLength: 3,
      count: 150,
      sizes: [97, 53],
      units: [2, 2],
      unitsOfFullBatches: 5,
    },
    {
      description: 'keeps a full batch when ending on a whole unit would move more than 25 records',
      idLength: 12,
      count: 130,
      sizes: [100, 30],
      units: [3, 1],
      unitsOfFullBatches: 4,
    },
  ])('$description', ({ idLength, count, sizes, units, unitsOfFullBatches }) => {
    // Prepare
    const list = Array.from({ length: count }, (_, i) =>
      series({ __name__: 'm', job: 'node', id: String(i).padStart(idLength, '0') }, [sample(i)]),
    );

    // Act
    const { batches } = translate(list);

    // Assess
    expect(batches.map((b) => b.records.length)).toEqual(sizes);
    expect(batches.map((b) => Math.ceil(meteredBytes(b) / 1024))).toEqual(units);
    expect(units.reduce((a, b) => a + b)).toBeLessThanOrEqual(unitsOfFullBatches);
    expect(merged(batches)).toHaveLength(count);
  });

  it('keeps a dimension out of CommonAttributes when one record of the batch lacks it', () => {
    // Act
    const [batch] = translate([
      series({ __name__: 'up', job: 'node', instance: 'a' }, [sample(1)]),
      series({ __name__: 'up', job: 'node' }, [sample(1)]),
    ]).batches;

    // Assess
    expect(batch?.commonAttributes.Dimensions).toEqual([{ Name: 'job', Value: 'node' }]);
    expect(batch?.records.map((r) => r.Dimensions)).toEqual(
      expect.arrayContaining([[{ Name: 'instance', Value: 'a' }], undefined]),
    );
  });

  it('writes a series with no label besides __name__ with no dimensions at all', () => {
    // Act
    const [batch] = translate([series({ __name__: 'up' }, [sample(1)])]).batches;

    // Assess
    expect(batch?.commonAttributes.Dimensions).toBeUndefined();
    expect(batch?.records[0]?.Dimensions).toBeUndefined();
  });

  describe('what Timestream can never take is skipped and counted by reason', () => {
    const long = (n: number) => 'x'.repeat(n);
    it.each([
      {
        reason: 'missing_metric_name',
        series: series({ job: 'a' }, [sample(1), sample(2)], { invalidLabels: 'missing_metric_name' }),
      },
      {
        reason: 'invalid_labels',
        series: series({ __name__: 'up' }, [sample(1), sample(2)], { invalidLabels: 'duplicate_label_name' }),
      },
      { reason: 'metric_name_too_long', series: series({ __name__: long(257) }, [sample(1), sample(2)]) },
      {
        reason: 'label_name_too_long',
        series: series({ __name__: 'up', [long(61)]: 'v' }, [sample(1), sample(2)]),
      },
      {
        reason: 'label_name_too_long',
        series: series({ __name__: 'up', [`${'é'.repeat(30)}x`]: 'v' }, [sample(1), sample(2)]),
      },
      {
        reason: 'reserved_label_name',
        series: series({ __name__: 'up', time: 'v' }, [sample(1), sample(2)]),
      },
      {
        reason: 'reserved_label_name',
        series: series({ __name__: 'up', measure_name: 'v' }, [sample(1), sample(2)]),
      },
      {
        reason: 'reserved_label_name',
        series: series({ __name__: 'up', measure_value_x: 'v' }, [sample(1), sample(2)]),
      },
      {
        reason: 'reserved_label_name',
        series: series({ __name__: 'up', ts_shard: 'v' }, [sample(1), sample(2)]),
      },
      {
        reason: 'reserved_label_name',
        series: series({ __name__: 'up', 'a:b': 'v' }, [sample(1), sample(2)]),
      },
      {
        reason: 'reserved_label_name',
        series: series({ __name__: 'measure_value::double' }, [sample(1), sample(2)]),
      },
      {
        reason: 'too_many_dimensions',
        series: series(
          Object.fromEntries([['__name__', 'up'], ...Array.from({ length: 129 }, (_, i) => [`l${i}`, 'v'])]),
          [sample(1), sample(2)],
        ),
      },
      {
        reason: 'metric_name_is_label_name',
        series: series({ __name__: 'version', version: '1.2' }, [sample(1), sample(2)]),
      },
      {
        reason: 'record_too_large',
        series: series({ __name__: 'up', job: long(2030) }, [sample(1), sample(2)]),
      },
    ])('$reason', ({ reason, series: bad }) => {
      // Act
      const result = translate([bad, series({ __name__: 'up', job: 'ok' }, [sample(5)])]);

      // Assess: the bad series' two samples are counted, the good one is still written.
      expect(result.skipped).toEqual({ [reason]: 2 });
      expect(result.records).toBe(1);
    });

    it('accepts the limits themselves: a 60-byte label name, a 256-byte metric name, 128 dimensions, 2 KB', () => {
      // Act
      const result = translate([
        series({ __name__: long(256), [long(60)]: 'v' }, [sample(1)]),
        series(
          Object.fromEntries([['__name__', 'up'], ...Array.from({ length: 128 }, (_, i) => [`l${i}`, 'v'])]),
          [sample(1)],
        ),
        // 16 bytes (time, value) + 2 (name) + 3 (label name) + 2027 (value) = 2048
        series({ __name__: 'up', job: long(2027) }, [sample(1)]),
        // Only `measure_value::…` is reserved for measure names, not every name starting so.
        series({ __name__: 'measure_value_total' }, [sample(1)]),
      ]);

      // Assess
      expect(result.skipped).toEqual({});
      expect(result.records).toBe(4);
    });

    it('skips staleness markers, NaN and ±Inf sample by sample', () => {
      // Act
      const result = translate([
        series({ __name__: 'up' }, [
          sample(Number.NaN, T, true),
          sample(Number.NaN, T + 1),
          sample(Number.POSITIVE_INFINITY, T + 2),
          sample(Number.NEGATIVE_INFINITY, T + 3),
          sample(7, T + 4),
        ]),
      ]);

      // Assess
      expect(result.skipped).toEqual({ stale_marker: 1, non_finite_value: 3 });
      expect(merged(result.batches).map((r) => r.value)).toEqual(['7']);
    });

    it('store-staleness-markers: a marker is a record of its own series with the __stale__ dimension', () => {
      // Act
      const result = translate(
        [
          series({ __name__: 'up', job: 'a' }, [
            sample(1, T),
            sample(Number.NaN, T + 1, true),
            sample(Number.NaN, T + 2),
          ]),
          // A marker that would push the record past 2 KiB is skipped, never sent to be rejected.
          series({ __name__: 'big', job: 'x'.repeat(2048 - 16 - 3 - 3 - 1) }, [sample(Number.NaN, T, true)]),
        ],
        { ...DEFAULTS, storeStalenessMarkers: true },
      );

      // Assess
      expect(merged(result.batches)).toEqual([
        {
          measureName: 'up',
          dimensions: ['job=a'],
          value: '1',
          time: String(T),
          type: 'DOUBLE',
          unit: 'MILLISECONDS',
        },
        {
          measureName: 'up',
          dimensions: ['__stale__=true', 'job=a'],
          value: '0',
          time: String(T + 1),
          type: 'DOUBLE',
          unit: 'MILLISECONDS',
        },
      ]);
      expect(result.skipped).toEqual({ non_finite_value: 1, stale_marker: 1 });
      expect(result.records).toBe(2);
    });

    it('refuses a label named __stale__ as reserved, so no sample reads back as a marker', () => {
      const result = translate([series({ __name__: 'up', __stale__: 'true' }, [sample(1)])]);
      expect([result.records, result.skipped]).toEqual([0, { reserved_label_name: 1 }]);
    });

    it('counts histograms and exemplars as not stored and still writes the float samples beside them', () => {
      // Prepare
      const withExtras = series({ __name__: 'up' }, [sample(1)], {
        exemplars: [{ labels: [], value: 1, timestampMs: T }],
        histograms: [{ timestampMs: T } as never, { timestampMs: T + 1 } as never],
      });

      // Act
      const result = translate([
        withExtras,
        series({ __name__: 'h' }, [], { histograms: [{ timestampMs: T } as never] }),
      ]);

      // Assess
      expect(result).toMatchObject({
        records: 1,
        histogramsNotStored: 3,
        exemplarsNotStored: 1,
        skipped: {},
      });
    });
  });

  describe('fail-on options answer 400 naming the series, and never for staleness markers', () => {
    it('fail-on-long-label refuses the whole request', () => {
      const bad = series({ __name__: 'up', [`${'l'.repeat(61)}`]: 'v' }, [sample(1)]);
      const error = (() => {
        try {
          translate([series({ __name__: 'ok' }, [sample(1)]), bad], { ...DEFAULTS, failOnLongLabel: true });
        } catch (e) {
          return e;
        }
        throw new Error('expected a BadRequestError');
      })() as BadRequestError;
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/^series up\{l+="v"\} has a label name over 60 bytes/);
      // Logs get the names only: label values can be sensitive.
      expect(error.logMessage).toMatch(/^series up\{l+\} has a label name over 60 bytes/);
    });

    it('fail-on-invalid-sample-value refuses NaN and Inf', () => {
      expect(() =>
        translate([series({ __name__: 'up', job: 'a' }, [sample(Number.POSITIVE_INFINITY)])], {
          ...DEFAULTS,
          failOnInvalidSampleValue: true,
        }),
      ).toThrow(
        /^series up\{job="a"\} has the value Infinity at 1700000000000, which Timestream cannot store/,
      );
    });

    it('fail-on-invalid-sample-value still skips a staleness marker quietly', () => {
      const result = translate(
        [series({ __name__: 'up' }, [sample(Number.NaN, T, true), sample(1, T + 1)])],
        {
          failOnLongLabel: true,
          failOnInvalidSampleValue: true,
        },
      );
      expect(result.skipped).toEqual({ stale_marker: 1 });
      expect(result.records).toBe(1);
    });
  });

  describe("on real Prometheus 2.42 requests (the codec's copy of the shared fixtures)", () => {
    const fixture = (name: string) =>
      readFileSync(join(__dirname, '../../codec/tests/fixtures/prometheus-2.42', name));

    it.each([
      { file: 'write-0030.bin', stale: 82 },
      { file: 'write-0031.bin', stale: 425 },
    ])('$file: every sample is a record or a counted staleness marker', ({ file, stale }) => {
      // Act
      const decoded = decodeWriteRequest(fixture(file), {
        contentType: 'application/x-protobuf',
        contentEncoding: 'snappy',
      });
      const result = translated(decoded);

      // Assess
      const skipped = Object.values(result.skipped).reduce((n, c) => n + c, 0);
      expect(result.skipped.stale_marker).toBe(stale);
      expect(result.records + skipped).toBe(decoded.counts.samples);
      expect(merged(result.batches)).toHaveLength(result.records);
    });
  });

  it('meters at least 25 % fewer write units than the Go connector’s batching over the captured requests, and never more on any', () => {
    // Prepare: the Go connector's calls, 100 records in arrival order, every record complete.
    const dir = join(__dirname, '../../codec/tests/fixtures/prometheus-2.42');
    const files = readdirSync(dir).filter((f) => /^write-\d+\.bin$/.test(f));
    let connectorUnits = 0;
    let goUnits = 0;
    for (const file of files) {
      const decoded = decodeWriteRequest(readFileSync(join(dir, file)));
      const goRecords = decoded.series.flatMap((s) =>
        samplesOf(decoded, s)
          .filter((x) => Number.isFinite(x.value))
          .map(() => ({
            MeasureName: s.labels.find((l) => l.name === '__name__')?.value,
            Dimensions: s.labels
              .filter((l) => l.name !== '__name__')
              .map((l) => ({ Name: l.name, Value: l.value })),
          })),
      );
      const goBatches = Array.from({ length: Math.ceil(goRecords.length / 100) }, (_, i) => ({
        commonAttributes: {},
        records: goRecords.slice(i * 100, i * 100 + 100),
      }));

      // Act
      const { batches, records } = translated(decoded);

      // Assess
      expect(records).toBe(goRecords.length);
      expect(writeUnits(batches)).toBeLessThanOrEqual(writeUnits(goBatches));
      connectorUnits += writeUnits(batches);
      goUnits += writeUnits(goBatches);
    }
    expect(files.length).toBeGreaterThan(30);
    expect(connectorUnits).toBeLessThanOrEqual(0.75 * goUnits);
  });

  it('round-trips through the codec: an encoded request translates to the values it carried', () => {
    // Prepare
    const values = [1e-7, 1e300, -0, 3, 0.1];
    const body = compressSnappyBlock(
      encodeWriteRequestV1({
        series: values.map((value, i) => ({
          labels: labels({ __name__: 'v', i: String(i) }),
          samples: [{ timestampMs: T, value }],
        })),
      }),
    );

    // Act
    const result = translated(decodeWriteRequest(body));

    // Assess
    expect(merged(result.batches).map((r) => Number(r.value))).toEqual(values);
  });
});
