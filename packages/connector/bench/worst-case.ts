/**
 * The worst-case write body of issue 8's memory probe: one-sample series with two short labels
 * (`__name__` and an `id` of unique value), the most series, labels and records a decoded byte can
 * carry in practice, as close to the decoded-size limit as the series fit. Each series encodes to
 * the same number of bytes (the ids are zero-padded), so the series count follows from the size.
 */
import {
  compressSnappyBlock,
  DEFAULT_MAX_DECODED_BYTES,
  encodeWriteRequestV1,
} from '@prometheus-timestream/codec';

export interface WorstCaseBody {
  /** The snappy-compressed remote-write 1.0 body, as sent. */
  readonly body: Uint8Array;
  /** Its protobuf size: what the connector decodes. */
  readonly decodedBytes: number;
  /** One sample each. */
  readonly series: number;
  /** The `__name__` of every series: the Timestream measure name its rows are counted by. */
  readonly metric: string;
}

/** Enough for the series 32 MiB holds (~50 bytes each), and no more: short labels are the worst case. */
const ID_DIGITS = 6;

const seriesOf = (metric: string, first: number, count: number, timestampMs: number) =>
  Array.from({ length: count }, (_, i) => ({
    labels: [
      { name: '__name__', value: metric },
      { name: 'id', value: String(first + i).padStart(ID_DIGITS, '0') },
    ],
    // Never 0: protobuf leaves a zero double out, and every series must encode to the same size.
    samples: [{ timestampMs, value: first + i + 1 }],
  }));

/**
 * A worst-case body of at most `decodedBytes` (the connector's default limit unless given), every
 * sample at `timestampMs`.
 */
export const worstCaseBody = (
  metric: string,
  timestampMs: number,
  decodedBytes: number = DEFAULT_MAX_DECODED_BYTES,
): WorstCaseBody => {
  const perSeries = encodeWriteRequestV1({ series: seriesOf(metric, 0, 1, timestampMs) }).length;
  const series = Math.min(10 ** ID_DIGITS, Math.floor(decodedBytes / perSeries));
  const decoded = encodeWriteRequestV1({ series: seriesOf(metric, 0, series, timestampMs) });
  if (decoded.length > decodedBytes)
    throw new Error(`the worst-case body came out at ${decoded.length} bytes, over ${decodedBytes}`);
  return { body: compressSnappyBlock(decoded), decodedBytes: decoded.length, series, metric };
};
