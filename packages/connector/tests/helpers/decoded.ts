/**
 * Decoded write requests built by hand, as the codec would decode them: the tests describe series
 * with their samples as objects, and the request holds them in its sample columns.
 */
import type {
  DecodedSeries,
  DecodedWriteRequest,
  DecodedWriteSeries,
  RemoteWriteVersion,
} from '@prometheus-timestream/codec';

export const decodedRequest = (
  list: readonly DecodedSeries[],
  version: RemoteWriteVersion = '1.0',
): DecodedWriteRequest => {
  const count = list.reduce((n, s) => n + s.samples.length, 0);
  const timestampsMs = new Float64Array(count);
  const values = new Float64Array(count);
  const stale = new Uint8Array(count);
  const starts = new Float64Array(count);
  const series: DecodedWriteSeries[] = [];
  let row = 0;
  for (const { samples, ...rest } of list) {
    series.push({ ...rest, sampleStart: row, sampleCount: samples.length });
    for (const sample of samples) {
      timestampsMs[row] = sample.timestampMs;
      values[row] = sample.value;
      stale[row] = sample.stale ? 1 : 0;
      starts[row] = sample.startTimestampMs;
      row++;
    }
  }
  return {
    version,
    series,
    samples: {
      timestampsMs,
      values,
      stale,
      startTimestampsMs: starts.some((t) => t !== 0) ? starts : undefined,
    },
    metadata: [],
    counts: {
      series: list.length,
      samples: count,
      staleMarkers: stale.reduce((n, s) => n + s, 0),
      histograms: list.reduce((n, s) => n + s.histograms.length, 0),
      exemplars: list.reduce((n, s) => n + s.exemplars.length, 0),
      invalidSeries: list.filter((s) => s.invalidLabels !== null).length,
    },
  };
};
