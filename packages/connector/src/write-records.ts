/**
 * The lean WriteRecords path (issue 19): a WriteRecords call that skips the SDK's command
 * machinery (middleware stack, schema serde, endpoint rule set per call), which cost more CPU than
 * the call's own work, and keeps the SDK parts that carry correctness, taken from the write
 * client built as for every other call:
 * - SigV4 with the SDK's SignatureV4 (hashing with SigningSha256: the same digests as the
 *   client's sha256 at less CPU) and the client's credential provider (so temporary credentials
 *   refresh and the default chain applies);
 * - its endpoint discovery semantics (endpoint-discovery.ts), DescribeEndpoints sent by the client;
 * - its retry strategy object itself (attempts, backoff with jitter, retry quota shared with the
 *   client), fed errors classified by the SDK's own functions;
 * - its clock-skew correction from the answers' Date header, in the client's systemClockOffset;
 * - its answer parsing and error shapes (write-records-answer.ts).
 */
import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { getRetryAfterHint, isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { SignatureV4 } from '@smithy/signature-v4';
import { createEndpointSource, type EndpointSource } from './endpoint-discovery.js';
import { SigningSha256 } from './signing-sha256.js';
import type { WriteRecordsCall } from './timestream-write.js';
import { asError, errorOfAnswer, type WriteRecordsError } from './write-records-answer.js';
import { abortErrorOf, createHttpTransport, type HttpAnswer, type HttpTarget } from './write-records-http.js';

export interface LeanWriteRecordsOptions {
  /** @default 5000 (as the write client's requestHandler) */
  readonly connectionTimeoutMs?: number;
  /** Per attempt, connection to last byte. @default 20000 */
  readonly requestTimeoutMs?: number;
  /** Keep-alive sockets per host. @default 50 (the SDK's default agent) */
  readonly maxSockets?: number;
  /** The clock discovered endpoints expire by. @default Date.now */
  readonly now?: () => number;
}

export interface LeanWriteRecords {
  readonly writeRecords: WriteRecordsCall;
  /** Closes the keep-alive sockets (the write client is its owner's to destroy). */
  readonly destroy: () => void;
}

type RetryErrorType = 'THROTTLING' | 'TRANSIENT' | 'SERVER_ERROR' | 'CLIENT_ERROR';

interface RetryErrorInfo {
  readonly error: Error;
  readonly errorType: RetryErrorType;
  retryAfterHint?: Date;
}

/** The SDK's retry token (RetryToken), as far as this module reads it. */
interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
  readonly $retryLog?: { readonly acquisitionDelay?: number };
}

/** The SDK's retry strategy (RetryStrategyV2: standard or adaptive), the client's own instance. */
interface RetryStrategy {
  acquireInitialRetryToken(scope: string): Promise<RetryToken>;
  refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken>;
  recordSuccess(token: RetryToken): void;
}

/** The write client's resolved config, as far as this module reads it. */
interface WriteClientConfig {
  readonly credentials: (
    options?: object,
  ) => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  readonly region: () => Promise<string>;
  readonly signingEscapePath?: boolean;
  readonly defaultSigningName?: string;
  systemClockOffset: number;
  readonly disableClockSkewCorrection?: () => Promise<boolean>;
  readonly retryStrategy: () => Promise<RetryStrategy>;
  readonly maxAttempts: () => Promise<number>;
  readonly defaultUserAgentProvider: () => Promise<[string, string?][]>;
  readonly customUserAgent?: [string, string?][];
  readonly userAgentAppId?: () => Promise<string | undefined>;
}

const TARGET = 'Timestream_20181101.WriteRecords';
/** An offset this large marks the error as caused by skew, so it is retried (as the SDK). */
const SKEW_THRESHOLD_MS = 240_000;

/** One user-agent section, escaped as the SDK's user-agent middleware does (escapeUserAgent). */
const userAgentSection = ([name, version]: [string, string?]): string => {
  const parts = name.split('/').map((part) => part.replace(/[^!$%&'*+\-.^_`|~\w]/g, '-'));
  const prefix = parts.length > 1 ? (parts[0] as string) : '';
  let rest = parts.slice(parts.length > 1 ? 1 : 0).join('/');
  if (prefix === 'api') rest = rest.toLowerCase();
  const escapedVersion = version?.replace(/[^!$%&'*+\-.^_`|~\w#]/g, '-');
  const items = [prefix, rest, escapedVersion].filter((item): item is string => !!item);
  return items.reduce((text, item, index) => (index === 1 ? `${text}/${item}` : `${text}#${item}`));
};

/** The SDK's two user-agent headers, once: its sections, the app id, then the connector's own. */
const userAgentsOf = async (config: WriteClientConfig) => {
  const sections = (await config.defaultUserAgentProvider()).map(userAgentSection);
  const appId = await config.userAgentAppId?.();
  if (appId) sections.push(userAgentSection(['app', appId]));
  const custom = (config.customUserAgent ?? []).map(userAgentSection);
  return {
    'x-amz-user-agent': [...sections.filter((section) => section.startsWith('aws-sdk-')), ...custom].join(
      ' ',
    ),
    'user-agent': [...sections, ...custom].join(' '),
  };
};

/** The SDK's retry error types, from its own classification functions. */
const retryErrorTypeOf = (error: Error): RetryErrorType => {
  const sdkError = error as Parameters<typeof isThrottlingError>[0];
  if (isThrottlingError(sdkError)) return 'THROTTLING';
  if (isTransientError(sdkError)) return 'TRANSIENT';
  if (isServerError(sdkError)) return 'SERVER_ERROR';
  return 'CLIENT_ERROR';
};

/** Waits for `promise` unless `signal` aborts first (the SDK's retry `race`). */
const race = <T>(promise: Promise<T>, signal: AbortSignal): Promise<T> => {
  if (signal.aborted) return Promise.reject(abortErrorOf(signal));
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortErrorOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
};

/**
 * The SDK signer's clock-skew sampling: every answer's Date header (without an Age header, and
 * for a call that took under 15 minutes) sets the offset signing dates are corrected by. An error
 * answered while the clock was off by 4 minutes or more is marked `clockSkewCorrected`, which the
 * retry strategy retries.
 */
const sampleClock = (
  config: WriteClientConfig,
  answer: HttpAnswer,
  sentAt: number,
  offsetBefore: number,
  error: WriteRecordsError | undefined,
): void => {
  const date = answer.headers.date;
  if (date === undefined || answer.headers.age !== undefined) return;
  const serverTime = Date.parse(date);
  const received = Date.now();
  if (Number.isNaN(serverTime) || received - sentAt > 900_000) return;
  const offset = serverTime - received;
  config.systemClockOffset = offset;
  if (error !== undefined && Math.abs(offset) >= SKEW_THRESHOLD_MS && offset !== offsetBefore)
    error.$metadata.clockSkewCorrected = true;
};

const hostOf = (target: HttpTarget): string =>
  target.port === undefined ? target.hostname : `${target.hostname}:${target.port}`;

export const createLeanWriteRecords = (
  client: TimestreamWriteClient,
  options: LeanWriteRecordsOptions = {},
): LeanWriteRecords => {
  const config = client.config as unknown as WriteClientConfig;
  const transport = createHttpTransport({
    connectionTimeoutMs: options.connectionTimeoutMs ?? 5_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 20_000,
    maxSockets: options.maxSockets ?? 50,
  });
  const endpoints: EndpointSource = createEndpointSource(client, options.now ? { now: options.now } : {});
  const signer = new SignatureV4({
    credentials: config.credentials,
    region: config.region,
    service: config.defaultSigningName ?? 'timestream',
    sha256: SigningSha256,
    uriEscapePath: config.signingEscapePath ?? true,
  });
  // What every call shares, resolved on the first (each is a provider of the client's).
  interface Shared {
    readonly strategy: RetryStrategy;
    readonly maxAttempts: number;
    readonly userAgents: Record<string, string>;
    readonly skewCorrection: boolean;
  }
  const resolveShared = async (): Promise<Shared> => ({
    strategy: await config.retryStrategy(),
    maxAttempts: await config.maxAttempts(),
    userAgents: await userAgentsOf(config),
    skewCorrection: (await config.disableClockSkewCorrection?.()) !== true,
  });
  let shared: Promise<Shared> | undefined;
  const sharedOf = (): Promise<Shared> => {
    shared ??= resolveShared().catch((error: unknown) => {
      shared = undefined;
      throw error;
    });
    return shared;
  };

  /** One signed POST; throws the SDK's error for anything but a 2xx. */
  const attempt = async (
    payload: Buffer,
    headers: OutgoingHttpHeaders,
    perAttempt: OutgoingHttpHeaders,
    signal: AbortSignal,
    skewCorrection: boolean,
  ): Promise<void> => {
    const { accessKeyId } = await config.credentials();
    let target: HttpTarget;
    try {
      target = await race(endpoints.targetFor(accessKeyId), signal);
    } catch (error) {
      throw asError(error);
    }
    const offsetBefore = config.systemClockOffset;
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: target.protocol,
        hostname: target.hostname,
        ...(target.port === undefined ? {} : { port: target.port }),
        path: target.path,
        query: {},
        headers: { ...headers, host: hostOf(target), ...perAttempt } as Record<string, string>,
        body: payload,
      },
      { signingDate: new Date(Date.now() + (skewCorrection ? offsetBefore : 0)) },
    );
    const sentAt = Date.now();
    const answer = await transport.post(target, signed.headers, payload, signal);
    const error = answer.statusCode >= 300 ? errorOfAnswer(answer) : undefined;
    if (skewCorrection) sampleClock(config, answer, sentAt, offsetBefore, error);
    if (error === undefined) return;
    // A discovered endpoint Timestream no longer serves: discover again and retry (backoff and
    // quota as for a transient error). The SDK itself would keep the endpoint until it expires.
    if (error.name === 'InvalidEndpointException' && endpoints.forget(accessKeyId))
      Object.assign(error, { $retryable: {} });
    throw error;
  };

  const writeRecords: WriteRecordsCall = async (body, signal) => {
    const { strategy, maxAttempts, userAgents, skewCorrection } = await race(sharedOf(), signal);
    const payload = Buffer.from(body, 'utf8');
    const headers: OutgoingHttpHeaders = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': TARGET,
      'content-length': String(payload.length),
      ...userAgents,
    };
    const traceId = process.env.AWS_LAMBDA_FUNCTION_NAME ? process.env._X_AMZN_TRACE_ID : undefined;
    if (traceId) headers['x-amzn-trace-id'] = traceId;
    const invocationId = randomUUID();
    let token = await race(strategy.acquireInitialRetryToken(''), signal);
    let attempts = 0;
    let totalRetryDelay = 0;
    for (;;) {
      try {
        const perAttempt = {
          'amz-sdk-invocation-id': invocationId,
          'amz-sdk-request': `attempt=${attempts + 1}; max=${maxAttempts}`,
        };
        await attempt(payload, headers, perAttempt, signal, skewCorrection);
        strategy.recordSuccess(token);
        return;
      } catch (thrown) {
        const error = asError(thrown) as WriteRecordsError;
        const info: RetryErrorInfo = { error, errorType: retryErrorTypeOf(error) };
        const hint = getRetryAfterHint(error.$response);
        if (hint !== undefined) info.retryAfterHint = hint;
        try {
          if (signal.aborted) throw error;
          token = await race(strategy.refreshRetryTokenForRetry(token, info), signal);
        } catch (refused) {
          if (refused !== error && signal.aborted && (refused as Error).name === 'AbortError') throw refused;
          error.$metadata ??= {} as WriteRecordsError['$metadata'];
          error.$metadata.attempts = attempts + 1;
          error.$metadata.totalRetryDelay = totalRetryDelay;
          throw error;
        }
        attempts = token.getRetryCount();
        const delay = token.getRetryDelay();
        totalRetryDelay += (token.$retryLog?.acquisitionDelay ?? 0) + delay;
        if (delay > 0) await race(new Promise((resolve) => setTimeout(resolve, delay)), signal);
      }
    }
  };

  return { writeRecords, destroy: transport.destroy };
};
