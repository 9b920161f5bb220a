/**
 * The normalized model both remote-write versions decode to, and the inputs the write and
 * remote-read encoders accept.
 */

export interface Label {
  readonly name: string;
  readonly value: string;
}

export interface FloatSample {
  /** Milliseconds since the Unix epoch, always a safe integer. */
  readonly timestampMs: number;
  /** The sample value; NaN for a staleness marker (check `stale`, not the NaN payload). */
  readonly value: number;
  /** True when the value's raw bits are Prometheus's StaleNaN, 0x7ff0000000000002. */
  readonly stale: boolean;
  /** Remote write 2.0 start (created) timestamp in ms; 0 when unset, as on the wire. */
  readonly startTimestampMs: number;
}

export interface BucketSpan {
  readonly offset: number;
  readonly length: number;
}

/** A native histogram; `kind` follows which oneof field was on the wire (count_int or count_float). */
export interface NativeHistogram {
  readonly kind: 'integer' | 'float';
  readonly count: number;
  readonly sum: number;
  /** True when `sum` holds StaleNaN: the histogram is a staleness marker. */
  readonly stale: boolean;
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  readonly negativeSpans: readonly BucketSpan[];
  /** Integer histograms: bucket counts as deltas from the previous bucket. */
  readonly negativeDeltas: readonly number[];
  /** Float histograms: absolute bucket counts. */
  readonly negativeCounts: readonly number[];
  readonly positiveSpans: readonly BucketSpan[];
  readonly positiveDeltas: readonly number[];
  readonly positiveCounts: readonly number[];
  readonly resetHint: 'unknown' | 'yes' | 'no' | 'gauge';
  readonly timestampMs: number;
  readonly startTimestampMs: number;
  /** Bucket boundaries of custom-bucket histograms (schema -53). */
  readonly customValues: readonly number[];
}

export interface Exemplar {
  readonly labels: readonly Label[];
  readonly value: number;
  readonly timestampMs: number;
}

export const METRIC_TYPES = [
  'unknown',
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

export interface MetricMetadata {
  readonly metricFamilyName: string;
  readonly type: MetricType;
  readonly help: string;
  readonly unit: string;
}

/** Why a series' label set cannot be stored; the connector skips such series and counts them. */
export type InvalidLabelsReason =
  | 'empty_label_set'
  | 'empty_label_name'
  | 'duplicate_label_name'
  | 'missing_metric_name'
  | 'invalid_utf8';

export interface DecodedSeries {
  /** Sorted by name (byte order); labels with an empty value are dropped, as Prometheus treats them as absent. */
  readonly labels: readonly Label[];
  readonly samples: readonly FloatSample[];
  readonly histograms: readonly NativeHistogram[];
  readonly exemplars: readonly Exemplar[];
  /** Set when the label set is invalid; `labels` then holds what could be decoded. */
  readonly invalidLabels: InvalidLabelsReason | null;
}

/**
 * A remote-write series: like `DecodedSeries`, but its float samples are a range of the request's
 * `samples` columns instead of an object each (`samplesOf` makes the objects when wanted).
 */
export interface DecodedWriteSeries {
  /** Sorted by name (byte order); labels with an empty value are dropped, as Prometheus treats them as absent. */
  readonly labels: readonly Label[];
  /** Index of its first sample in the request's `samples` columns. */
  readonly sampleStart: number;
  readonly sampleCount: number;
  readonly histograms: readonly NativeHistogram[];
  readonly exemplars: readonly Exemplar[];
  /** Set when the label set is invalid; `labels` then holds what could be decoded. */
  readonly invalidLabels: InvalidLabelsReason | null;
}

/**
 * Every float sample of a write request, series after series, in parallel arrays: a request of a
 * million one-sample series holds 17 bytes per sample here instead of two arrays and an object.
 */
export interface SampleColumns {
  readonly timestampsMs: Float64Array;
  readonly values: Float64Array;
  /** 1 where the value's raw bits are Prometheus's StaleNaN, 0x7ff0000000000002. */
  readonly stale: Uint8Array;
  /** Remote write 2.0 start (created) timestamps in ms; undefined when every one is unset (0). */
  readonly startTimestampsMs: Float64Array | undefined;
}

/** The samples of `series` as objects (for tests and the odd consumer; translation reads the columns). */
export const samplesOf = (
  request: Pick<DecodedWriteRequest, 'samples'>,
  series: Pick<DecodedWriteSeries, 'sampleStart' | 'sampleCount'>,
): FloatSample[] => {
  const { timestampsMs, values, stale, startTimestampsMs } = request.samples;
  const samples: FloatSample[] = [];
  for (let i = series.sampleStart; i < series.sampleStart + series.sampleCount; i++) {
    samples.push({
      timestampMs: timestampsMs[i] as number,
      value: values[i] as number,
      stale: stale[i] === 1,
      startTimestampMs: startTimestampsMs?.[i] ?? 0,
    });
  }
  return samples;
};

/** The request's series with their samples as objects (tests and harnesses; allocates per sample). */
export const seriesWithSamples = (
  request: Pick<DecodedWriteRequest, 'series' | 'samples'>,
): DecodedSeries[] =>
  request.series.map(({ sampleStart: _, sampleCount: __, ...series }) => ({
    ...series,
    samples: samplesOf(request, { sampleStart: _, sampleCount: __ }),
  }));

export type RemoteWriteVersion = '1.0' | '2.0';

export interface DecodedWriteRequest {
  readonly version: RemoteWriteVersion;
  readonly series: readonly DecodedWriteSeries[];
  readonly samples: SampleColumns;
  /** Remote write 1.0 field 3, or the per-series metadata of 2.0 (family name = the series' `__name__`). */
  readonly metadata: readonly MetricMetadata[];
  /** Totals over all series, valid or not, so nothing is dropped without being counted. */
  readonly counts: WriteRequestCounts;
}

export interface WriteRequestCounts {
  readonly series: number;
  readonly samples: number;
  readonly staleMarkers: number;
  readonly histograms: number;
  readonly exemplars: number;
  readonly invalidSeries: number;
}

/** Tallies what a decoded request holds; shared by both write versions. */
export const summarize = (
  version: RemoteWriteVersion,
  series: DecodedWriteSeries[],
  samples: SampleColumns,
  metadata: MetricMetadata[],
): DecodedWriteRequest => {
  let staleMarkers = 0;
  let histograms = 0;
  let exemplars = 0;
  let invalidSeries = 0;
  for (let i = 0; i < samples.stale.length; i++) staleMarkers += samples.stale[i] as number;
  for (const s of series) {
    histograms += s.histograms.length;
    exemplars += s.exemplars.length;
    if (s.invalidLabels !== null) invalidSeries++;
  }
  return {
    version,
    series,
    samples,
    metadata,
    counts: {
      series: series.length,
      samples: samples.values.length,
      staleMarkers,
      histograms,
      exemplars,
      invalidSeries,
    },
  };
};

/** What the encoders accept for a sample: a `FloatSample` with the rarely-set fields optional. */
export interface SampleInput {
  readonly timestampMs: number;
  readonly value: number;
  /** @default false */
  readonly stale?: boolean;
  /** Remote write 2.0 only. @default 0 (unset) */
  readonly startTimestampMs?: number;
}

export interface SeriesInput {
  /** Written in the given order, so tests can send unsorted or duplicate labels. */
  readonly labels: readonly Label[];
  readonly samples?: readonly SampleInput[];
  readonly histograms?: readonly NativeHistogram[];
  readonly exemplars?: readonly Exemplar[];
  /** Remote write 2.0 only: per-series metadata. */
  readonly metadata?: Omit<MetricMetadata, 'metricFamilyName'>;
}

export interface WriteRequestInput {
  readonly series: readonly SeriesInput[];
  /** Remote write 1.0 only: `WriteRequest.metadata`. */
  readonly metadata?: readonly MetricMetadata[];
}
