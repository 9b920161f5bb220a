/**
 * What the load runs of the benchmarks and the reliability checks share: the label sets real
 * Prometheus sent, one POST over a keep-alive agent, and the percentile of what they measure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { type Agent, type IncomingHttpHeaders, request } from 'node:http';
import { join } from 'node:path';
import { decodeWriteRequest, type Label } from '@prometheus-timestream/codec';
import { REPO } from './cli-processes.js';

/** The `p`-th percentile (0–100), nearest rank. */
export const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
};

/** The distinct label sets of the captured Prometheus 2.42 remote-write bodies (node_exporter and Prometheus's own). */
export const capturedLabelSets = (): Label[][] => {
  const dir = join(REPO, 'packages', 'codec', 'tests', 'fixtures', 'prometheus-2.42');
  const seen = new Map<string, Label[]>();
  for (const file of readdirSync(dir)
    .filter((name) => /^write-\d+\.bin$/.test(name))
    .sort()) {
    for (const series of decodeWriteRequest(new Uint8Array(readFileSync(join(dir, file)))).series) {
      const key = series.labels.map((label) => `${label.name}=${label.value}`).join(',');
      if (!seen.has(key)) seen.set(key, [...series.labels]);
    }
  }
  return [...seen.values()];
};

/** POSTs `body` to `url` over `agent`; the answer's status, headers and body (as text, cut at 300 characters). */
export const postOnce = (
  agent: Agent,
  url: URL,
  body: Uint8Array,
  headers: Readonly<Record<string, string>>,
): Promise<{ readonly status: number; readonly headers: IncomingHttpHeaders; readonly text: string }> =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...headers, 'content-length': body.length },
      },
      (response) => {
        // A connection cut while the answer arrives fails the answer, not the request.
        response.on('error', reject);
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => {
          if (chunks.length < 4) chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8').slice(0, 300),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
