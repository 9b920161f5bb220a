/**
 * A recording HTTP proxy between a Prometheus and the connector: it forwards every request
 * unchanged and keeps, per exchange, what went over the wire — which protocol the sender spoke, what
 * its body carried (decoded with the project's codec) and what the connector answered (status,
 * Content-Type, the remote-write 2.0 `*-Written` headers). The suites use it to check the answers
 * Prometheus itself reads, for every connector target alike (the Lambda asset exposes no connector
 * metrics), without adding a counter to the connector just for the tests.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import {
  type DecodedWriteRequest,
  decodeReadRequest,
  decodeWriteRequest,
  type ResponseType,
  seriesWithSamples,
} from '@prometheus-timestream/codec';
import { unstorableReason } from '../../../support/samples.js';

/** One remote-write request and its answer. */
export interface WriteExchange {
  readonly version: DecodedWriteRequest['version'];
  readonly status: number;
  /** Float samples in the request, staleness markers included. */
  readonly samples: number;
  readonly staleMarkers: number;
  /** NaN (other than staleness markers) and ±Inf values. */
  readonly nonFinite: number;
  /**
   * Staleness markers and NaN/±Inf values of series Timestream can hold: the connector settles
   * them by its value policy (skipped, and counted as written in a 2.0 answer).
   */
  readonly settled: number;
  /** Samples of series Timestream cannot hold (`unstorableReason`), whatever their value. */
  readonly unstorable: number;
  /** What the connector is documented to store: the rest. */
  readonly storable: number;
  readonly histograms: number;
  readonly exemplars: number;
  /** Samples and histograms carrying a remote-write 2.0 start timestamp. */
  readonly withStartTimestamp: number;
  /** Metadata entries: 1.0's field 3, or 2.0's per-series metadata of a known type. */
  readonly metadata: number;
  /** The `X-Prometheus-Remote-Write-*-Written` answers, undefined where absent. */
  readonly written: {
    readonly samples: number | undefined;
    readonly histograms: number | undefined;
    readonly exemplars: number | undefined;
  };
}

/** One remote-read request and its answer. */
export interface ReadExchange {
  readonly status: number;
  readonly queries: number;
  /** The response types the reader accepts, in its order of preference. */
  readonly accepted: readonly string[];
  /** The answer's Content-Type. */
  readonly contentType: string | undefined;
  /** The response type the answer's Content-Type stands for. */
  readonly answeredAs: ResponseType | 'other';
}

export interface WireRecorder {
  /** The proxy's base URL: `${url}/write` reaches the connector's write URL, `${url}/read` its read URL. */
  readonly url: string;
  readonly writes: readonly WriteExchange[];
  readonly reads: readonly ReadExchange[];
  /** Requests the recorder could not decode or forward (each fails the suites). */
  readonly problems: readonly string[];
  readonly stop: () => Promise<void>;
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

const optionalCount = (headers: IncomingHttpHeaders, name: string): number | undefined => {
  const value = header(headers, name);
  return value === undefined ? undefined : Number(value);
};

const summarizeWrite = (
  decoded: DecodedWriteRequest,
  status: number,
  answer: IncomingHttpHeaders,
): WriteExchange => {
  let nonFinite = 0;
  let settled = 0;
  let unstorable = 0;
  let withStartTimestamp = 0;
  let histograms = 0;
  let exemplars = 0;
  for (const series of seriesWithSamples(decoded)) {
    const labels = Object.fromEntries(series.labels.map((label) => [label.name, label.value]));
    const cannotHold = series.invalidLabels !== null || unstorableReason(labels) !== undefined;
    for (const sample of series.samples) {
      if (sample.startTimestampMs !== 0) withStartTimestamp++;
      const notFinite = !sample.stale && !Number.isFinite(sample.value);
      if (notFinite) nonFinite++;
      // As the connector: a series it cannot hold is skipped whole, by its labels' reason.
      if (cannotHold) unstorable++;
      else if (sample.stale || notFinite) settled++;
    }
    for (const histogram of series.histograms) if (histogram.startTimestampMs !== 0) withStartTimestamp++;
    histograms += series.histograms.length;
    exemplars += series.exemplars.length;
  }
  const { samples, staleMarkers } = decoded.counts;
  return {
    version: decoded.version,
    status,
    samples,
    staleMarkers,
    nonFinite,
    settled,
    unstorable,
    storable: samples - settled - unstorable,
    histograms,
    exemplars,
    withStartTimestamp,
    metadata: decoded.metadata.filter((entry) => entry.type !== 'unknown').length,
    written: {
      samples: optionalCount(answer, 'x-prometheus-remote-write-samples-written'),
      histograms: optionalCount(answer, 'x-prometheus-remote-write-histograms-written'),
      exemplars: optionalCount(answer, 'x-prometheus-remote-write-exemplars-written'),
    },
  };
};

const answeredAs = (contentType: string | undefined): ReadExchange['answeredAs'] => {
  const type = contentType ?? '';
  if (/^application\/x-streamed-protobuf;\s*proto=prometheus\.ChunkedReadResponse$/i.test(type))
    return 'STREAMED_XOR_CHUNKS';
  if (/^application\/x-protobuf$/i.test(type)) return 'SAMPLES';
  return 'other';
};

/**
 * Starts the proxy on a free loopback port in front of `target`'s write and read URLs.
 */
export const startWireRecorder = async (target: {
  readonly writeUrl: string;
  readonly readUrl: string;
}): Promise<WireRecorder> => {
  const writes: WriteExchange[] = [];
  const reads: ReadExchange[] = [];
  const problems: string[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const route = (incoming.url ?? '').startsWith('/read') ? 'read' : 'write';
      const destination = new URL(route === 'read' ? target.readUrl : target.writeUrl);
      const headers = { ...incoming.headers, host: destination.host, 'content-length': String(body.length) };
      const forward = httpRequest(destination, { method: incoming.method, headers }, (answer) => {
        const answerChunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
        answer.on('end', () => {
          const status = answer.statusCode ?? 0;
          try {
            if (route === 'write') {
              const decoded = decodeWriteRequest(body, {
                contentType: header(incoming.headers, 'content-type'),
                contentEncoding: header(incoming.headers, 'content-encoding'),
              });
              writes.push(summarizeWrite(decoded, status, answer.headers));
            } else {
              const decoded = decodeReadRequest(body);
              const contentType = header(answer.headers, 'content-type');
              reads.push({
                status,
                queries: decoded.queries.length,
                accepted: decoded.acceptedResponseTypes,
                contentType,
                answeredAs: answeredAs(contentType),
              });
            }
          } catch (error) {
            problems.push(`${route}: ${error instanceof Error ? error.message : String(error)}`);
          }
          outgoing.writeHead(status, answer.headers);
          outgoing.end(Buffer.concat(answerChunks));
        });
      });
      forward.on('error', (error) => {
        problems.push(`${route}: forwarding failed: ${error.message}`);
        outgoing.writeHead(502);
        outgoing.end(`wire recorder: ${error.message}`);
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    writes,
    reads,
    problems,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};
