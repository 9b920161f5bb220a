/**
 * Codec throughput on real Prometheus 2.42 bodies. Run with `npm run bench` (root or this package),
 * which bundles this file with esbuild first, as the Lambda bundle is built: V8 inlines calls across
 * a single bundle better than across separate ES modules (measured ~10% apart).
 * Each figure is the median of RUNS timed runs of at least RUN_MS each, after a warm-up, in this
 * one Node process (one core). `--quick` shortens the runs for smoke testing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import {
  compressSnappyBlock,
  decodeReadResponse,
  decodeWriteRequest,
  decodeWriteRequestV1,
  decompressSnappyBlock,
  encodeChunkedReadResponse,
  encodeReadResponse,
  encodeWriteRequestV2,
  encodeXorChunk,
  type FloatSample,
} from '../src/index.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 7;
const RUN_MS = quick ? 150 : 1000;
const GOAL_SAMPLES_PER_SECOND = 2_000_000;

const here = path.dirname(fileURLToPath(import.meta.url));
const writeDir = path.join(here, '..', 'tests', 'fixtures', 'prometheus-2.42');
const readDir = path.join(here, '..', 'tests', 'fixtures', 'prometheus-2.42-read-server');

const bodies = readdirSync(writeDir)
  .filter((file) => file.startsWith('write-') && file.endsWith('.bin'))
  .sort()
  .map((file) => new Uint8Array(readFileSync(path.join(writeDir, file))));
const messages = bodies.map((body) => decompressSnappyBlock(body).slice());
const compressedBytesPerPass = bodies.reduce((n, b) => n + b.length, 0);
const decodedBytesPerPass = messages.reduce((n, b) => n + b.length, 0);
// Decoded once for the counts and the v2 bodies, then dropped: keeping 16 k decoded series alive
// for the whole run would make every GC mark them, which a server handling one request does not.
const { samplesPerPass, v2Bodies } = (() => {
  const decoded = bodies.map((body) => decodeWriteRequest(body));
  return {
    samplesPerPass: decoded.reduce((n, r) => n + r.counts.samples, 0),
    v2Bodies: decoded.map((r) => compressSnappyBlock(encodeWriteRequestV2({ series: r.series }))),
  };
})();
const V2 = { contentType: 'application/x-protobuf;proto=io.prometheus.write.v2.Request' };

const schema = protobuf.loadSync(path.join(here, '..', 'proto', 'prometheus.proto'));
const WriteRequest = schema.lookupType('prometheus.WriteRequest');

// The node_cpu_seconds_total answer of the real read server: 16 series of 19 samples.
const readSeries =
  decodeReadResponse(readFileSync(path.join(readDir, 'read-cpu-samples.response.bin')))[0]?.series ?? [];
// The same series stretched to 2 h of 15 s samples (480 each), as a long range query returns.
const longSeries = readSeries.map((series) => {
  const first = series.samples[0] as FloatSample;
  const samples: FloatSample[] = Array.from({ length: 480 }, (_, i) => ({
    timestampMs: first.timestampMs + i * 15_000,
    value: first.value + i * 0.37,
    stale: false,
    startTimestampMs: 0,
  }));
  return { labels: series.labels, samples };
});
const longSamples = longSeries.reduce((n, s) => n + s.samples.length, 0);
const xorInputs = longSeries.flatMap((s) =>
  Array.from({ length: 4 }, (_, i) => s.samples.slice(i * 120, (i + 1) * 120)),
);

interface Result {
  readonly name: string;
  readonly perSecond: number;
  readonly minPerSecond: number;
  readonly maxPerSecond: number;
  readonly unit: string;
  readonly mbPerSecond?: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/** Runs `pass` repeatedly; returns the passes per second of each of RUNS runs of RUN_MS. */
const measure = (pass: () => unknown): number[] => {
  const warmUntil = performance.now() + RUN_MS / 2;
  while (performance.now() < warmUntil) pass();
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    let passes = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      pass();
      passes++;
      elapsed = performance.now() - start;
    } while (elapsed < RUN_MS);
    rates.push((passes * 1000) / elapsed);
  }
  return rates;
};

const results: Result[] = [];
const bench = (
  name: string,
  unitsPerPass: number,
  unit: string,
  pass: () => unknown,
  bytesPerPass?: number,
) => {
  const rates = measure(pass);
  const passesPerSecond = median(rates);
  const result: Result = {
    name,
    perSecond: passesPerSecond * unitsPerPass,
    minPerSecond: Math.min(...rates) * unitsPerPass,
    maxPerSecond: Math.max(...rates) * unitsPerPass,
    unit,
    ...(bytesPerPass === undefined ? {} : { mbPerSecond: (passesPerSecond * bytesPerPass) / 1e6 }),
  };
  results.push(result);
  const mb = result.mbPerSecond === undefined ? '' : `  ${result.mbPerSecond.toFixed(1).padStart(7)} MB/s`;
  const range = `(${(result.minPerSecond / 1e6).toFixed(2)}–${(result.maxPerSecond / 1e6).toFixed(2)})`;
  console.log(
    `${name.padEnd(58)} ${(result.perSecond / 1e6).toFixed(2).padStart(7)} M ${unit}/s ${range.padEnd(13)}${mb}`,
  );
};

console.log(
  `${bodies.length} remote-write 1.0 bodies from Prometheus 2.42: ${samplesPerPass} samples, ` +
    `${compressedBytesPerPass} bytes snappy, ${decodedBytesPerPass} bytes protobuf; median of ${RUNS} runs × ${RUN_MS} ms\n`,
);

bench(
  'remote write 1.0 decode: snappy + protobuf → model',
  samplesPerPass,
  'samples',
  () => {
    for (const body of bodies) decodeWriteRequest(body);
  },
  compressedBytesPerPass,
);
bench(
  '  of which snappy block decompression',
  samplesPerPass,
  'samples',
  () => {
    for (const body of bodies) decompressSnappyBlock(body);
  },
  compressedBytesPerPass,
);
bench(
  '  of which protobuf → model (hand-written reader)',
  samplesPerPass,
  'samples',
  () => {
    for (const message of messages) decodeWriteRequestV1(message);
  },
  decodedBytesPerPass,
);
bench(
  '  for comparison: protobufjs reflection decode (no model)',
  samplesPerPass,
  'samples',
  () => {
    for (const message of messages) WriteRequest.decode(message);
  },
  decodedBytesPerPass,
);
bench('remote write 2.0 decode: snappy + protobuf → model', samplesPerPass, 'samples', () => {
  for (const body of v2Bodies) decodeWriteRequest(body, V2);
});
bench('XOR chunk encode (120-sample chunks)', longSamples, 'samples', () => {
  for (const samples of xorInputs) encodeXorChunk(samples);
});
bench('remote read STREAMED_XOR_CHUNKS response encode', longSamples, 'samples', () => {
  encodeChunkedReadResponse(0, longSeries);
});
bench('remote read SAMPLES response encode (protobuf + snappy)', longSamples, 'samples', () => {
  encodeReadResponse([{ series: longSeries }]);
});

const decode = results[0] as Result;
const verdict = decode.perSecond >= GOAL_SAMPLES_PER_SECOND ? 'meets' : 'is BELOW';
console.log(
  `\nremote write 1.0 decode: ${(decode.perSecond / 1e6).toFixed(2)} M samples/s ${verdict} the goal of ` +
    `${GOAL_SAMPLES_PER_SECOND / 1e6} M samples/s on one core`,
);
const chunked = Buffer.concat(encodeChunkedReadResponse(0, longSeries)).length;
const samplesBody = encodeReadResponse([{ series: longSeries }]).length;
console.log(
  `response size for ${longSamples} samples (16 float counters rising 0.37 per 15 s step): STREAMED_XOR_CHUNKS ` +
    `${chunked} bytes, SAMPLES ${samplesBody} bytes (snappy); ${(samplesBody / chunked).toFixed(1)}× smaller streamed`,
);
