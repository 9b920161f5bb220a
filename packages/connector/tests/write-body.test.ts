/**
 * The WriteRecords bodies the translation builds as strings are byte for byte what the SDK's own
 * serializer sends for the same input: a real TimestreamWriteClient posts each call to a capturing
 * HTTP server on loopback, and the captured body must equal the batch's.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type _Record,
  TimestreamWriteClient,
  WriteRecordsCommand,
  type WriteRecordsCommandInput,
} from '@aws-sdk/client-timestream-write';
import type { DecodedSeries, DecodedWriteRequest, FloatSample, Label } from '@prometheus-timestream/codec';
import { type TranslateOptions, toTimestreamBatches } from '../src/translate.js';
import { decodedRequest } from './helpers/decoded.js';

const T = 1_700_000_000_000;
const DESTINATION = { database: 'prom "db"', table: 'métriques\\1' };
const OPTIONS: TranslateOptions = {
  failOnLongLabel: false,
  failOnInvalidSampleValue: false,
  storeStalenessMarkers: true,
};

const sample = (value: number, timestampMs = T, stale = false): FloatSample => ({
  value,
  timestampMs,
  stale,
  startTimestampMs: 0,
});

const series = (labels: Record<string, string>, samples: FloatSample[]): DecodedSeries => ({
  labels: Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]): Label => ({ name, value })),
  samples,
  histograms: [],
  exemplars: [],
  invalidLabels: null,
});

const request = (list: DecodedSeries[]): DecodedWriteRequest => decodedRequest(list);

/** The same object with its keys in reverse order, all the way down: the SDK must order them itself. */
const reversed = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(reversed);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, inner]) => [key, reversed(inner)]),
  );
};

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

describe('WriteRecords bodies built as strings', () => {
  let server: Server;
  let client: TimestreamWriteClient;
  const captured: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      void readBody(req).then((body) => {
        captured.push(body);
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{"RecordsIngested":{"Total":0,"MemoryStore":0,"MagneticStore":0}}');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    client = new TimestreamWriteClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    client.destroy();
    server.close();
    await once(server, 'close');
  });

  /** What the SDK sends for the input the body holds, given to it with every key order reversed. */
  const sdkBody = async (body: string): Promise<string> => {
    captured.length = 0;
    const input = reversed(JSON.parse(body)) as WriteRecordsCommandInput;
    await client.send(new WriteRecordsCommand(input));
    expect(captured).toHaveLength(1);
    return captured[0] as string;
  };

  it.each([
    {
      description: 'plain ASCII labels, shared dimensions and measure name',
      list: [
        series({ __name__: 'up', job: 'node', instance: 'a:9100' }, [sample(1), sample(0, T + 1)]),
        series({ __name__: 'up', job: 'node', instance: 'b:9100' }, [sample(1)]),
      ],
    },
    {
      description: 'unicode, quotes, backslashes and control characters in names and values',
      list: [
        series({ __name__: 'm"é', job: 'a"b\\c', path: '/x\ny\tz\r\u0000\u001f\u007f' }, [sample(2)]),
        series({ __name__: 'm"é', job: 'a"b\\c', emoji: '📈 ünï \u2028\u2029 </script>' }, [sample(3)]),
        series({ __name__: 'ключ', zone: '東京' }, [sample(4)]),
      ],
    },
    {
      description: 'values the decimal form must keep: -0, 1e-7, big and tiny exponents, the extremes',
      list: [
        series({ __name__: 'v', job: 'x' }, [
          sample(-0),
          sample(1e-7, T + 1),
          sample(1e300, T + 2),
          sample(-1.5e-300, T + 3),
          sample(5e-324, T + 4),
          sample(Number.MAX_VALUE, T + 5),
          sample(2 ** 53 + 2, T + 6),
          sample(0.1 + 0.2, T + 7),
        ]),
      ],
    },
    {
      description: 'staleness markers beside samples, and a series with no dimension',
      list: [
        series({ __name__: 'up', job: 'a' }, [sample(1), sample(Number.NaN, T + 1, true)]),
        series({ __name__: 'bare' }, [sample(7, 0)]),
      ],
    },
    {
      description: 'full batches cut to whole write units, several metrics and targets',
      list: Array.from({ length: 260 }, (_, i) =>
        series({ __name__: `m${i % 3}`, instance: `h${i % 2}`, job: 'node', id: String(i) }, [
          sample(i / 7, T + i),
        ]),
      ),
    },
  ])('equals the SDK serialization: $description', async ({ list }) => {
    // Prepare
    const { batches, records } = toTimestreamBatches(request(list), OPTIONS, DESTINATION);

    // Act and assess
    let calls = 0;
    let seen = 0;
    for (const batch of batches) {
      expect(await sdkBody(batch.body)).toBe(batch.body);
      const parsed = JSON.parse(batch.body) as { Records: _Record[] };
      seen += parsed.Records.length;
      calls++;
    }
    expect(calls).toBeGreaterThan(0);
    expect(seen).toBe(records);
  });

  it('builds a fresh, equal set of bodies on every iteration', () => {
    const list = [series({ __name__: 'up', job: 'a' }, [sample(1), sample(2, T + 1)])];
    const { batches } = toTimestreamBatches(request(list), OPTIONS, DESTINATION);
    expect([...batches].map((b) => b.body)).toEqual([...batches].map((b) => b.body));
  });
});
