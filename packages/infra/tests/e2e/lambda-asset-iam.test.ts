/**
 * `AuthMode=iam` with a real signer: the synthesized x86_64 Lambda asset behind the HTTP API v2
 * shim, which checks SigV4 on every route the stack authorizes with IAM as API Gateway does
 * (iam-authorizer.mjs recomputes the signature with the AWS SDK's own signer from the test's
 * key pair). Prometheus 3 signs its remote_write with `sigv4: { service_name: execute-api }`:
 * with the right key every sample of its window is stored; with a wrong secret key it is answered
 * 403 and drops the data (a 4xx is never retried). Requests the test signs itself show what else
 * fails: unsigned, a body changed after signing, an unknown key, an old signature, another
 * service's scope. Remote read, which Prometheus never signs, is refused in this mode: the stack
 * authorizes `/read` with IAM too.
 */
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  type ConnectorStack,
  readTimestreamSamples,
} from '../../../connector/tests/e2e/helpers/connector.js';
import { readPrometheusSamples, Workspace } from '../../../connector/tests/e2e/helpers/peers.js';
import { waitFor } from '../../../connector/tests/e2e/helpers/processes.js';
import {
  compareSeries,
  metricSum,
  type SeriesSamples,
  storableSamples,
} from '../../../connector/tests/e2e/helpers/samples.js';
import { nodeSeries, V1_HEADERS, writeBody } from '../../../connector/tests/helpers/harness.js';
import {
  E2E_PARAMETERS,
  lambdaAssetTarget,
  ROLE_ACCESS_KEY_ID,
  SHIM_REGION,
  synthesizeFunction,
} from './helpers/lambda-target.js';
import { type Prometheus3, type SigV4, startPrometheus3, waitForMetric } from './helpers/prometheus3.js';

/** The IAM user allowed to invoke the API (execute-api:Invoke), as the shim knows it. */
const CALLER_KEY = 'AKIDE2EPROMETHEUS3';
const CALLER_SECRET = 'e2e-caller-secret-access-key';
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const WINDOW_MS = 10_000;

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
  const fn = synthesizeFunction({ ...E2E_PARAMETERS, AuthMode: 'iam' });
  let stack: ConnectorStack;
  let workspace: Workspace;
  const authorizer = async (): Promise<Authorizer> =>
    (await (await fetch(`${new URL(stack.writeUrl).origin}/__shim/authorizer`)).json()) as Authorizer;
  const recordsIngested = (): number => stack.emulator.metering().writes.recordsIngested;

  beforeAll(async () => {
    workspace = new Workspace('iam-e2e');
    stack = await lambdaAssetTarget(fn, {}, { [CALLER_KEY]: CALLER_SECRET }).start();
  }, 60_000);
  afterAll(async () => {
    await workspace?.stop();
    await stack?.stop();
    fn.remove();
  });

  it('is deployed with both routes authorized by IAM and no token', () => {
    expect(fn.iamRoutes).toEqual(['POST /read', 'POST /write']);
    expect(fn.environment).toMatchObject({ auth: 'iam' });
    expect(fn.environment).not.toHaveProperty('auth_token_secret');
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
      } = {},
    ): Promise<Record<string, string>> => {
      const url = new URL(stack.writeUrl);
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
          headers: { host: url.host, ...V1_HEADERS },
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
        title: 'a bearer token instead of a signature',
        send: async () => post({ ...V1_HEADERS, authorization: 'Bearer some-token' }, body()),
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
    it('with the right key: every sample of its window is stored exactly, by the function’s role', async () => {
      // Prepare
      prometheus = await startPrometheus3(workspace, 'prometheus3-iam', {
        writeUrl: stack.writeUrl,
        sigv4: sigv4(CALLER_SECRET),
        readUrl: stack.readUrl,
      });
      const from = Date.now() + 2_000;
      const to = from + WINDOW_MS;

      // Act: one shard sends in order, so a sent timestamp past the window means all of it was answered.
      await waitForMetric(
        prometheus,
        'prometheus_remote_storage_queue_highest_sent_timestamp_seconds',
        to / 1000 + 1,
        WINDOW_MS + 60_000,
      );
      const metrics = await prometheus.metrics();
      const written = ofJob(
        await readPrometheusSamples({ ...prometheus, stopScraping: async () => {} }, from, to),
        'prometheus3-iam',
      );
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
      expect((await authorizer()).signedHeaders['Prometheus/3.16.0']).toEqual([
        'content-encoding',
        'content-length',
        'content-type',
        'host',
        'x-amz-date',
        'x-prometheus-remote-write-version',
      ]);
    }, 120_000);

    it('cannot remote-read: remote_read is never signed, and /read is authorized by IAM too (403)', async () => {
      // Prepare
      const rejectedBefore = (await authorizer()).rejected['POST /read Forbidden'] ?? 0;

      // Act
      const answer = await waitFor(
        'a query through remote_read',
        async () => {
          const params = new URLSearchParams({ query: 'up{job="prometheus3-iam"}' });
          const response = await fetch(`${prometheus.url}/api/v1/query?${params}`);
          return (await response.json()) as { status: string; warnings?: string[]; error?: string };
        },
        { timeoutMs: 30_000 },
      );

      // Assess
      process.stdout.write(`\n[iam-e2e] Prometheus 3 remote_read in iam mode → ${JSON.stringify(answer)}\n`);
      // Prometheus answers from its own TSDB and warns that the remote part failed.
      expect(answer).toMatchObject({ status: 'success' });
      expect(answer.warnings).toEqual([
        `remote_read: remote server ${stack.readUrl} returned http status 403 Forbidden: {"message":"Forbidden"}`,
      ]);
      expect((await authorizer()).rejected['POST /read Forbidden']).toBeGreaterThan(rejectedBefore);
    }, 60_000);
  });
});
