/**
 * The connector's own metrics in the Prometheus text format: the Go connector's names, plus
 * counters of skipped and rejected samples by reason, so what Timestream did not store is visible.
 * A few counters and one histogram do not justify a metrics library in the Lambda bundle.
 */
import type { RejectionReason } from './timestream-write.js';
import type { SkipReason } from './translate.js';

type LabelValues = Readonly<Record<string, string>>;

/**
 * Why a request was refused for the connector's own sake rather than for anything in it:
 * `decoded_bytes_in_flight`, the budget of --max-decoded-bytes-in-flight was taken (503).
 */
export type RefusalReason = 'decoded_bytes_in_flight';

/**
 * Why the standalone server closed a connection without answering its request, so the sender
 * resends it (Node's own `408` would be a 4xx, which makes Prometheus drop the batch):
 * `headers_timeout`, the request's headers did not arrive within the headers timeout;
 * `body_timeout`, its body did not arrive within --web.request-timeout.
 */
export type ClosedConnectionReason = 'headers_timeout' | 'body_timeout';

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
}

/** client_golang's DefBuckets, as the Go connector's duration histograms use. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const escapeLabel = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

const labelText = (labels: LabelValues): string => {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
};

interface CounterFamily extends Family {
  /** A family without labels shows 0 before its first increment, as client_golang does. */
  readonly labelled: boolean;
  readonly values: Map<string, number>;
}

interface HistogramState {
  readonly counts: number[];
  sum: number;
  count: number;
}

export interface ConnectorMetrics {
  readonly receivedSamples: (count: number) => void;
  readonly skippedSamples: (reason: SkipReason, count: number) => void;
  readonly rejectedSamples: (reason: RejectionReason, count: number) => void;
  readonly writtenSamples: (count: number) => void;
  readonly unstored: (kind: 'histogram' | 'exemplar', count: number) => void;
  readonly writeCall: (durationSeconds: number, outcome: 'ok' | 'rejected' | 'error') => void;
  readonly httpRequest: (handler: string, status: number) => void;
  readonly refusedRequest: (reason: RefusalReason) => void;
  readonly closedConnection: (reason: ClosedConnectionReason) => void;
  /** The decoded bytes the requests in flight hold now (a gauge). */
  readonly decodedBytesInFlight: (bytes: number) => void;
  readonly readRequest: (durationSeconds: number, samples: number) => void;
  /** The exposition text for `GET /metrics`. */
  readonly render: () => string;
}

export const createMetrics = (now: () => number = Date.now): ConnectorMetrics => {
  const startSeconds = now() / 1000;
  const counters = new Map<string, CounterFamily>();
  const counter = (name: string, help: string, labelled = false): CounterFamily => {
    const family = { name, help, type: 'counter' as const, labelled, values: new Map<string, number>() };
    counters.set(name, family);
    return family;
  };
  const add = (family: CounterFamily, labels: LabelValues, count: number): void => {
    const key = labelText(labels);
    family.values.set(key, (family.values.get(key) ?? 0) + count);
  };
  const received = counter(
    'timestream_connector_received_samples_total',
    'Float samples received from Prometheus, staleness markers included.',
  );
  const ignored = counter(
    'timestream_connector_ignored_samples_total',
    'Float samples not sent to Timestream (skipped), all reasons together.',
  );
  const skipped = counter(
    'timestream_connector_skipped_samples_total',
    'Float samples not sent to Timestream, by reason (stale_marker is normal operation).',
    true,
  );
  const rejected = counter(
    'timestream_connector_rejected_samples_total',
    'Samples Timestream rejected for good, by reason; the request answered 400.',
    true,
  );
  const written = counter('timestream_connector_written_samples_total', 'Samples Timestream stored.');
  const unstored = counter(
    'timestream_connector_unstored_total',
    'Native histograms and exemplars received but not stored (Timestream has no type for them), by kind.',
    true,
  );
  const writeRequests = counter(
    'timestream_connector_write_requests_total',
    'WriteRecords calls, by outcome (ok, rejected: some records rejected, error: the call failed).',
    true,
  );
  const readRequests = counter(
    'timestream_connector_read_requests_total',
    'Remote-read requests answered with data.',
  );
  const readSamples = counter(
    'timestream_connector_read_samples_total',
    'Samples returned by remote reads (staleness markers included).',
  );
  const http = counter(
    'timestream_connector_http_requests_total',
    'HTTP requests answered, by handler and status code.',
    true,
  );
  const refused = counter(
    'timestream_connector_refused_requests_total',
    'Requests answered 503 to protect the connector (Prometheus resends them), by reason.',
    true,
  );
  const closed = counter(
    'timestream_connector_closed_connections_total',
    'Connections closed without an answer, so the sender resends the request, by reason.',
    true,
  );
  let decodedInFlight = 0;
  const writeDuration: HistogramState = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
  const readDuration: HistogramState = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
  const observe = (state: HistogramState, seconds: number): void => {
    for (let i = 0; i < BUCKETS.length; i++)
      if (seconds <= (BUCKETS[i] as number)) (state.counts[i] as number)++;
    state.sum += seconds;
    state.count++;
  };
  const renderHistogram = (name: string, help: string, state: HistogramState): string[] => [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} histogram`,
    ...BUCKETS.map((bound, i) => `${name}_bucket{le="${bound}"} ${state.counts[i]}`),
    `${name}_bucket{le="+Inf"} ${state.count}`,
    `${name}_sum ${state.sum}`,
    `${name}_count ${state.count}`,
  ];

  return {
    receivedSamples: (count) => add(received, {}, count),
    skippedSamples: (reason, count) => {
      add(skipped, { reason }, count);
      add(ignored, {}, count);
    },
    rejectedSamples: (reason, count) => add(rejected, { reason }, count),
    writtenSamples: (count) => add(written, {}, count),
    unstored: (kind, count) => add(unstored, { kind }, count),
    writeCall: (seconds, outcome) => {
      add(writeRequests, { outcome }, 1);
      observe(writeDuration, seconds);
    },
    httpRequest: (handler, status) => add(http, { handler, code: String(status) }, 1),
    refusedRequest: (reason) => add(refused, { reason }, 1),
    closedConnection: (reason) => add(closed, { reason }, 1),
    decodedBytesInFlight: (bytes) => {
      decodedInFlight = bytes;
    },
    readRequest: (seconds, samples) => {
      add(readRequests, {}, 1);
      add(readSamples, {}, samples);
      observe(readDuration, seconds);
    },
    render: () => {
      const lines: string[] = [];
      for (const family of counters.values()) {
        lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
        if (family.values.size === 0 && !family.labelled) lines.push(`${family.name} 0`);
        for (const [labels, value] of family.values) lines.push(`${family.name}${labels} ${value}`);
      }
      lines.push(
        ...renderHistogram(
          'timestream_connector_write_duration_seconds',
          'Duration of WriteRecords calls.',
          writeDuration,
        ),
        ...renderHistogram(
          'timestream_connector_read_duration_seconds',
          'Duration of remote reads.',
          readDuration,
        ),
      );
      const memory = process.memoryUsage();
      const cpu = process.cpuUsage();
      lines.push(
        '# HELP timestream_connector_decoded_bytes_in_flight Decoded request bytes the requests in flight hold (the budget of --max-decoded-bytes-in-flight).',
        '# TYPE timestream_connector_decoded_bytes_in_flight gauge',
        `timestream_connector_decoded_bytes_in_flight ${decodedInFlight}`,
        '# HELP process_resident_memory_bytes Resident memory size in bytes.',
        '# TYPE process_resident_memory_bytes gauge',
        `process_resident_memory_bytes ${memory.rss}`,
        '# HELP nodejs_heap_used_bytes V8 heap in use, in bytes.',
        '# TYPE nodejs_heap_used_bytes gauge',
        `nodejs_heap_used_bytes ${memory.heapUsed}`,
        '# HELP process_cpu_seconds_total User and system CPU time spent, in seconds.',
        '# TYPE process_cpu_seconds_total counter',
        `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
        '# HELP process_start_time_seconds Start time of the process since the Unix epoch, in seconds.',
        '# TYPE process_start_time_seconds gauge',
        `process_start_time_seconds ${startSeconds}`,
      );
      return `${lines.join('\n')}\n`;
    },
  };
};
