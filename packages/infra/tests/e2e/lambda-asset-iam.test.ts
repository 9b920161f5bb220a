/**
 * `AuthMode=iam` with a real signer: the synthesized x86_64 Lambda asset behind the HTTP API v2
 * shim, which checks SigV4 on every route the stack authorizes with IAM as API Gateway does
 * (iam-authorizer.mjs recomputes the signature with the AWS SDK's own signer from the test's
 * key pair). Prometheus 3 signs its remote_write with `sigv4: { service_name: execute-api }`:
 * with the right key every sample of its window is stored; with a wrong secret key it is answered
 * 403 and drops the data (a 4xx is never retried). Requests the test signs itself show what else
 * fails: unsigned, a body changed after signing, an unknown key, an old signature, another
 * service's scope. Remote read, which Prometheus never signs, goes through the bearer-token path:
 * the stack authorizes only `/write` with IAM, and the function checks `/read` against the token of
 * the TokenSecretArn secret (a loopback Secrets Manager stub here); a Prometheus 3 reading with
 * `authorization: { type: Bearer, credentials_file }` answers PromQL from the stored samples
 * exactly as the writer answers from its own TSDB, and a read without the token is answered 401.
 */
import { writeFileSync } from 'node:fs';
import { encodeReadRequest } from '@prometheus-timestream/codec';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { type ConnectorStack, readTimestreamSamples } from '../../../connector/support/connector-stack.js';
import { nodeSeries, V1_HEADERS, writeBody } from '../../../connector/support/harness.js';
import { prometheus3Version, readPrometheusSamples, Workspace } from '../../../connector/support/peers.js';
import {
  compareSeries,
  metricSum,
  type SeriesSamples,
  storableSamples,
} from '../../../connector/support/samples.js';
import { type SecretsManagerStub, startSecretsManager } from '../../../connector/support/secrets-manager.js';
import {
  E2E_PARAMETERS,
  lambdaAssetTarget,
  ROLE_ACCESS_KEY_ID,
  SHIM_REGION,
  synthesizeFunction,
} from './helpers/lambda-target.js';
import {
  type Prometheus3,
  type SigV4,
  startPrometheus3,
  startPrometheus3Reader,
  waitForMetric,
} from './helpers/prometheus3.js';

/** The IAM user allowed to invoke the API (execute-api:Invoke), as the shim knows it. */
const CALLER_KEY = 'AKIDE2EPROMETHEUS3';
const CALLER_SECRET = 'e2e-caller-secret-access-key';
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const WINDOW_MS = 10_000;
/** The bearer token of /read, as the stack's generated secret would hold it. */
const TOKEN = 'generated-48-character-token-for-iam-mode-reads';
const secretArn = (logicalId: string) =>
  `arn:aws:secretsmanager:us-east-1:123456789012:secret:${logicalId}-AbCdEf`;

interface Authorizer {
  readonly rejected: Record<string, number>;
  /** User agent → the headers its accepted signatures covered. */
  readonly signedHeaders: Record<string, string[]>;
}

const sigv4 = (secret: string): SigV4 => ({
  region: SHIM_REGION,
  access_key: CALLER_KEY,
  secret_key: secret,
  service_name: 'execute-api',
});

/** Keeps the series of one scrape job. */
const ofJob = (samples: SeriesSamples, job: string): SeriesSamples =>
  new Map(
    [...samples].filter(([key]) =>
      (JSON.parse(key) as [string, string][]).some(([name, value]) => name === 'job' && value === job),
    ),
  );

describe('the synthesized x86_64 Lambda asset, AuthMode=iam, behind an HTTP API checking SigV4', () => {
  const fn = synthesizeFunction({ ...E2E_PARAMETERS, AuthMode: 'iam' }, secretArn);
  let secrets: SecretsManagerStub;
  let stack: ConnectorStack;
  let workspace: Workspace;
  const authorizer = async (): Promise<Authorizer> =>
    (await (await fetch(`${new URL(stack.writeUrl).origin}/__shim/authorizer`)).json()) as Authorizer;
  const recordsIngested = (): number => stack.emulator.metering().writes.recordsIngested;

  beforeAll(async () => {
    workspace = new Workspace('iam-e2e');
    secrets = await startSecretsManager({ [fn.environment.auth_token_secret as string]: TOKEN });
    stack = await lambdaAssetTarget(
      fn,
      { AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint },
      { [CALLER_KEY]: CALLER_SECRET },
    ).start();
  }, 60_000);
  afterAll(async () => {
    await workspace?.stop();
    await stack?.stop();
    await secrets?.stop();
    fn.remove();
  });

  it('is deployed with /write authorized by IAM, /read by the token secret the function reads', () => {
    expect(fn.iamRoutes).toEqual(['POST /write']);
    expect(fn.environment).toMatchObject({
      auth: 'iam',
      auth_token_secret: expect.stringContaining(':secret:'),
    });
  });

  describe('requests the test signs with the SDK signer', () => {
    /** Signs a remote-write request for `body` the way Prometheus does, with the given changes. */
    const signed = async (
      body: Uint8Array,
      options: {
        readonly accessKeyId?: string;
        readonly secret?: string;
        readonly service?: string;
        readonly signedAt?: Date;
        /** @default the write URL, with remote write's headers */
        readonly url?: string;
        readonly headers?: Record<string, string>;
      } = {},
    ): Promise<Record<string, string>> => {
      const url = new URL(options.url ?? stack.writeUrl);
      const signer = new SignatureV4({
        credentials: {
          accessKeyId: options.accessKeyId ?? CALLER_KEY,
          secretAccessKey: options.secret ?? CALLER_SECRET,
        },
        region: SHIM_REGION,
        service: options.service ?? 'execute-api',
        sha256: Sha256,
      });
      const request = await signer.sign(
        {
          method: 'POST',
          protocol: 'http:',
          hostname: url.hostname,
          port: Number(url.port),
          path: url.pathname,
          query: {},
          headers: { host: url.host, ...(options.headers ?? V1_HEADERS) },
          body,
        },
        { signingDate: options.signedAt ?? new Date() },
      );
      const { host: _host, ...headers } = request.headers;
      return headers;
    };
    const post = async (headers: Record<string, string>, body: Uint8Array) => {
      const response = await fetch(stack.writeUrl, { method: 'POST', headers, body });
      return {
        status: response.status,
        errorType: response.headers.get('x-amzn-errortype') ?? undefined,
        body: await response.text(),
      };
    };
    const message = (text: string) => JSON.stringify({ message: text });

    it('a correctly signed /read without the token: 401 from the function (API Gateway does not IAM-authorize /read)', async () => {
      // Prepare
      const readHeaders = {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
        'x-prometheus-remote-read-version': '0.1.0',
      };
      const payload = encodeReadRequest({
        queries: [
          {
            startTimestampMs: Date.now() - 60_000,
            endTimestampMs: Date.now(),
            matchers: [{ type: 'EQ', name: 'job', value: 'signed-by-test' }],
          },
        ],
      });
      const headers = await signed(payload, { url: stack.readUrl, headers: readHeaders });

      // Act
      const response = await fetch(stack.readUrl, { method: 'POST', headers, body: payload });

      // Assess
      expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="timestream-prometheus-connector"');
    });
    const body = () => writeBody(nodeSeries(3, Date.now(), 'signed-by-test'));

    it.each([
      {
        title: 'unsigned',
        send: async () => post(V1_HEADERS, body()),
        expected: { status: 403, errorType: undefined, body: message('Forbidden') },
      },
      {
        title: 'a body changed after signing',
        send: async () => {
          const headers = await signed(writeBody(nodeSeries(3, Date.now(), 'signed')));
          return post(headers, writeBody(nodeSeries(3, Date.now(), 'tampered')));
        },
        expected: { status: 403, errorType: 'InvalidSignatureException', body: message(MISMATCH) },
      },
      {
        title: 'a wrong secret key',
        send: async () => {
          const payload = body();
          return post(await signed(payload, { secret: 'not-the-secret' }), payload);
        },
        expected: { status: 403, errorType: 'InvalidSignatureException', body: message(MISMATCH) },
      },
      {
        title: 'an access key the API does not know',
        send: async () => {
          const payload = body();
          return post(await signed(payload, { accessKeyId: 'AKIDSTRANGER' }), payload);
        },
        expected: {
          status: 403,
          errorType: 'UnrecognizedClientException',
          body: message('The security token included in the request is invalid.'),
        },
      },
      {
        title: 'signed 6 minutes ago (clock skew)',
        send: async () => {
          const payload = body();
          return post(await signed(payload, { signedAt: new Date(Date.now() - 6 * 60_000) }), payload);
        },
        expected: {
          status: 403,
          errorType: 'InvalidSignatureException',
          body: expect.stringMatching(
            /^\{"message":"Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)"\}$/,
          ),
        },
      },
      {
        title: 'signed for another service (aps)',
        send: async () => {
          const payload = body();
          return post(await signed(payload, { service: 'aps' }), payload);
        },
        expected: {
          status: 403,
          errorType: 'InvalidSignatureException',
          body: message("Credential should be scoped to correct service: 'execute-api'. "),
        },
      },
      {
        // The token opens /read only: API Gateway wants a signature on /write before the function runs.
        title: 'the read token instead of a signature',
        send: async () => post({ ...V1_HEADERS, authorization: `Bearer ${TOKEN}` }, body()),
        expected: {
          status: 403,
          errorType: 'IncompleteSignatureException',
          body: expect.stringContaining("Authorization header requires 'Credential' parameter."),
        },
      },
      {
        title: 'signed right (the function writes with its role)',
        send: async () => {
          const payload = body();
          return post(await signed(payload), payload);
        },
        expected: { status: 204, errorType: undefined, body: '' },
      },
    ])('$title', async ({ send, expected }) => {
      // Prepare
      const before = recordsIngested();

      // Act
      const answer = await send();

      // Assess
      expect(answer).toEqual(expected);
      expect(recordsIngested() - before).toBe(expected.status === 204 ? 3 : 0);
      // Timestream only ever sees the function's role, never the caller's key.
      expect(
        Object.keys(stack.emulator.metering().accessKeys).filter((key) => key !== ROLE_ACCESS_KEY_ID),
      ).toEqual([]);
    });
  });

  describe('Prometheus 3 signing remote_write with sigv4', () => {
    it('with a wrong secret key: answered 403, the samples dropped (not retried), nothing stored', async () => {
      // Prepare
      const before = recordsIngested();
      const rejectedBefore = (await authorizer()).rejected['POST /write InvalidSignatureException'] ?? 0;

      // Act
      const prometheus = await startPrometheus3(workspace, 'prometheus3-wrong-key', {
        writeUrl: stack.writeUrl,
        sigv4: sigv4('wrong-secret-access-key'),
      });
      const metrics = await waitForMetric(prometheus, 'prometheus_remote_storage_samples_failed_total', 1);
      await prometheus.process.stop();

      // Assess
      expect(metricSum(metrics, 'prometheus_remote_storage_samples_retried_total')).toBe(0);
      expect((await authorizer()).rejected['POST /write InvalidSignatureException']).toBeGreaterThan(
        rejectedBefore,
      );
      expect(recordsIngested()).toBe(before);
      // Its log says so once per batch, as a non-recoverable error (logfmt escapes the quotes).
      expect(prometheus.process.log()).toMatch(
        /msg="non-recoverable error" .*failedSampleCount=[1-9]\d* .*server returned HTTP status 403 Forbidden: .*The request signature we calculated does not match/,
      );
    }, 90_000);

    let prometheus: Prometheus3;
    let from: number;
    let to: number;
    it('with the right key: every sample of its window is stored exactly, by the function’s role', async () => {
      // Prepare: no remote_read, so its queries answer from its own TSDB only.
      prometheus = await startPrometheus3(workspace, 'prometheus3-iam', {
        writeUrl: stack.writeUrl,
        sigv4: sigv4(CALLER_SECRET),
      });
      from = Date.now() + 2_000;
      to = from + WINDOW_MS;

      // Act: one shard sends in order, so a sent timestamp past the window means all of it was answered.
      await waitForMetric(
        prometheus,
        'prometheus_remote_storage_queue_highest_sent_timestamp_seconds',
        to / 1000 + 1,
        WINDOW_MS + 60_000,
      );
      const metrics = await prometheus.metrics();
      const written = ofJob(await readPrometheusSamples(prometheus, from, to), 'prometheus3-iam');
      const stored = ofJob(await readTimestreamSamples(stack.emulator.endpoint, from, to), 'prometheus3-iam');

      // Assess
      const { expected, excluded } = storableSamples(written);
      const comparison = compareSeries(expected, stored);
      process.stdout.write(
        `\n[iam-e2e] Prometheus 3 sigv4 → ${JSON.stringify({
          samplesInWindow: comparison.expectedSamples,
          stored: comparison.actualSamples,
          excluded,
          mismatchingSeries: comparison.mismatchingSeries,
          signedHeaders: (await authorizer()).signedHeaders,
        })}\n`,
      );
      expect(comparison.expectedSamples).toBeGreaterThan(100);
      expect(comparison.examples).toEqual([]);
      expect(comparison.actualSamples).toBe(comparison.expectedSamples);
      expect(metricSum(metrics, 'prometheus_remote_storage_samples_failed_total')).toBe(0);
      expect(Object.keys(stack.emulator.metering().accessKeys)).toContain(ROLE_ACCESS_KEY_ID);
      expect(Object.keys(stack.emulator.metering().accessKeys)).not.toContain(CALLER_KEY);
      // What Prometheus 3's signer covers (Go's SDK): every header it sends but User-Agent, and
      // the body's hash inside the signature, not in an x-amz-content-sha256 header.
      expect((await authorizer()).signedHeaders[`Prometheus/${prometheus3Version()}`]).toEqual([
        'content-encoding',
        'content-length',
        'content-type',
        'host',
        'x-amz-date',
        'x-prometheus-remote-write-version',
      ]);
    }, 120_000);

    /** A range query's series, each as its labels and its [time, value] points, in a stable order. */
    const rangeQuery = async (url: string, query: string) => {
      const params = new URLSearchParams({
        query,
        start: String(from / 1000),
        end: String(to / 1000),
        step: '1',
      });
      const response = await fetch(`${url}/api/v1/query_range?${params}`);
      const answer = (await response.json()) as {
        status: string;
        warnings?: string[];
        data?: { result: { metric: Record<string, string>; values: [number, string][] }[] };
      };
      return {
        status: answer.status,
        warnings: answer.warnings ?? [],
        series: (answer.data?.result ?? [])
          .map(({ metric, values }) => ({ metric: JSON.stringify(Object.entries(metric).sort()), values }))
          .sort((a, b) => a.metric.localeCompare(b.metric)),
      };
    };

    it('a Prometheus 3 reading with the bearer token answers PromQL from the stored samples as the writer does', async () => {
      // Prepare: a reader with no data of its own, reading every range remotely with the token.
      const tokenFile = workspace.path('read-token');
      writeFileSync(tokenFile, `${TOKEN}\n`);
      const reader = await startPrometheus3Reader(workspace, 'prometheus3-iam-reader', {
        readUrl: stack.readUrl,
        tokenFile,
      });
      const queries = [
        'up{job="prometheus3-iam"}',
        'prometheus_tsdb_head_samples_appended_total{job="prometheus3-iam"}',
        'sum by (handler) (rate(prometheus_http_requests_total{job="prometheus3-iam"}[5s]))',
      ];
      const readsBefore =
        (await stack.metrics()).find(
          (sample) => sample.labels.handler === 'read' && sample.labels.code === '200',
        )?.value ?? 0;

      // Act
      const answers = [];
      for (const query of queries)
        answers.push({
          query,
          writer: await rangeQuery(prometheus.url, query),
          reader: await rangeQuery(reader.url, query),
        });
      await reader.process.stop();

      // Assess
      const points = (series: { values: unknown[] }[]) => series.reduce((n, s) => n + s.values.length, 0);
      process.stdout.write(
        `\n[iam-e2e] Prometheus 3 remote_read with the bearer token → ${JSON.stringify(
          answers.map(({ query, writer, reader: read }) => ({
            query,
            writerPoints: points(writer.series),
            readerPoints: points(read.series),
            equal: JSON.stringify(writer.series) === JSON.stringify(read.series),
          })),
        )}\n`,
      );
      for (const { writer, reader: read } of answers) {
        expect(writer.series.length).toBeGreaterThan(0);
        // Guard against an agreement on empty answers.
        expect(points(writer.series)).toBeGreaterThan(0);
        expect(read).toEqual({ status: 'success', warnings: [], series: writer.series });
      }
      const readsAfter =
        (await stack.metrics()).find(
          (sample) => sample.labels.handler === 'read' && sample.labels.code === '200',
        )?.value ?? 0;
      expect(readsAfter).toBeGreaterThanOrEqual(readsBefore + queries.length);
    }, 60_000);
  });

  describe('POST /read without the token', () => {
    const readBody = () =>
      encodeReadRequest({
        queries: [
          {
            startTimestampMs: Date.now() - 60_000,
            endTimestampMs: Date.now(),
            matchers: [{ type: 'EQ', name: 'job', value: 'prometheus3-iam' }],
          },
        ],
      });
    const READ_HEADERS = {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'accept-encoding': 'snappy',
      'x-prometheus-remote-read-version': '0.1.0',
    };

    it.each([
      { title: 'no Authorization header', authorization: undefined },
      { title: 'a wrong token', authorization: 'Bearer not-the-token' },
      {
        title: 'the caller’s AWS keys as basic auth',
        authorization: `Basic ${btoa(`${CALLER_KEY}:${CALLER_SECRET}`)}`,
      },
    ])('$title: 401 from the function, with a Bearer challenge', async ({ authorization }) => {
      // Act
      const response = await fetch(stack.readUrl, {
        method: 'POST',
        headers: { ...READ_HEADERS, ...(authorization === undefined ? {} : { authorization }) },
        body: readBody(),
      });

      // Assess
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="timestream-prometheus-connector"');
      expect(await response.text()).toBe(
        'missing or wrong bearer token: configure Prometheus remote_read authorization: { type: Bearer, credentials_file: ... }\n',
      );
    });

    it('with the token: 200, a remote-read answer', async () => {
      const response = await fetch(stack.readUrl, {
        method: 'POST',
        headers: { ...READ_HEADERS, authorization: `Bearer ${TOKEN}` },
        body: readBody(),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/x-protobuf');
    });
  });
});
