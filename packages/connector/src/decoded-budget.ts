/**
 * Admission by memory: a server-wide budget of decoded bytes in flight. A request's heap grows
 * with its decoded size (up to WORST_MEMORY_PER_DECODED_BYTE bytes per byte), and a snappy block
 * declares that size in its first bytes, so a request reserves it before anything is decoded and
 * gives it back once answered, whatever the outcome. Beyond the budget the answer is a 503 with
 * `Retry-After`, which Prometheus retries, so a burst of huge bodies waits in Prometheus's WAL
 * instead of in the connector's heap, and normal requests, small, keep fitting beside them.
 */
import { decodedLengthOfSnappyBlock } from '@prometheus-timestream/codec';
import type { ConnectorConfig } from './config.js';
import { OverloadedError } from './errors.js';
import type { ConnectorMetrics } from './metrics.js';

/** Gives a reservation back; calling it again does nothing. */
export type Release = () => void;

/**
 * How long Prometheus is asked to wait before resending a refused body: about the time a
 * worst-case request in flight takes to answer, and Prometheus's default `max_backoff`, the
 * pace versions that ignore `Retry-After` (2.42 does, for a 5xx) reach on their own.
 */
export const RETRY_AFTER_SECONDS = 5;

export interface DecodedBudget {
  /**
   * Reserves `bytes` when they fit beside what is in flight, or when nothing is in flight: a
   * request larger than the whole budget (but within --max-decoded-bytes) is served alone rather
   * than refused forever. Undefined when refused.
   */
  readonly reserve: (bytes: number) => Release | undefined;
  /** Decoded bytes reserved now. */
  readonly inFlight: () => number;
  readonly limitBytes: number;
}

export interface BudgetObserver {
  /** The bytes in flight after each reservation and release. */
  readonly onChange?: (inFlight: number) => void;
  /** A reservation refused. */
  readonly onRefused?: () => void;
}

/** @param limitBytes - the budget (`--max-decoded-bytes-in-flight`) */
export const createDecodedBudget = (limitBytes: number, observer: BudgetObserver = {}): DecodedBudget => {
  const { onChange = () => {}, onRefused = () => {} } = observer;
  let inFlight = 0;
  // Counted apart from the bytes: a request of 0 decoded bytes still makes the next one not alone.
  let holders = 0;
  return {
    reserve: (bytes) => {
      if (holders > 0 && inFlight + bytes > limitBytes) {
        onRefused();
        return undefined;
      }
      inFlight += bytes;
      holders++;
      onChange(inFlight);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inFlight -= bytes;
        holders--;
        onChange(inFlight);
      };
    },
    inFlight: () => inFlight,
    limitBytes,
  };
};

const NOTHING_RESERVED: Release = () => {};

/**
 * Reserves what a request body will take once decoded, or refuses it.
 *
 * A body that is no snappy block, or declares more than `maxDecodedBytes`, reserves nothing: the
 * decoder refuses it (400, 413) before allocating its output.
 *
 * @throws OverloadedError (503, `Retry-After`) when the budget is taken by the requests in flight
 */
export const reserveDecodedBody = (
  budget: DecodedBudget,
  body: Uint8Array,
  maxDecodedBytes: number,
): Release => {
  const declared = decodedLengthOfSnappyBlock(body);
  if (declared === undefined || declared > maxDecodedBytes) return NOTHING_RESERVED;
  const release = budget.reserve(declared);
  if (release !== undefined) return release;
  throw new OverloadedError(
    `connector busy: requests in flight hold ${budget.inFlight()} decoded bytes, and this body's ${declared} more would exceed --max-decoded-bytes-in-flight=${budget.limitBytes}, likely a burst of large remote-write batches; Prometheus resends it. If this persists, raise that flag (with the heap: --max-old-space-size) or lower queue_config.max_samples_per_send`,
    RETRY_AFTER_SECONDS,
  );
};

/**
 * The core's admission by decoded size: one budget for the process, its gauge and its refusals
 * counted. Returns what `handle` calls with each admitted request's body.
 */
export const createDecodedAdmission = (
  config: Pick<ConnectorConfig, 'maxDecodedBytes' | 'maxDecodedBytesInFlight'>,
  metrics: Pick<ConnectorMetrics, 'decodedBytesInFlight' | 'refusedRequest'>,
): ((body: Uint8Array) => Release) => {
  const budget = createDecodedBudget(config.maxDecodedBytesInFlight, {
    onChange: metrics.decodedBytesInFlight,
    onRefused: () => metrics.refusedRequest('decoded_bytes_in_flight'),
  });
  return (body) => reserveDecodedBody(budget, body, config.maxDecodedBytes);
};
