/**
 * The AWS Lambda adapter: API Gateway HTTP API events (payload 2.0, also Function URLs) and REST
 * API / payload 1.0 events in, the core handler in the middle, a proxy result out. Configuration
 * and clients are built once per container, on the first invocation.
 */
import { createClientPool } from './clients.js';
import { type ConnectorConfig, type Environment, readEnvironment } from './config.js';
import { type Connector, createConnector } from './handler.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import type { CoreRequest, CoreResponse, RequestContext, RequestHead } from './request.js';
import { resolveAuthTokenSecret } from './secrets.js';

// The bundled function's entry (infra's lambda-asset.ts) installs it before the first request.
export { mapStackTracesLazily } from './lambda-stacks.js';

/** The fields of an HTTP API payload 2.0 or REST API / payload 1.0 event the adapter reads. */
export interface ApiGatewayEvent {
  readonly version?: string;
  /** 2.0 */
  readonly rawPath?: string;
  readonly requestContext?: {
    readonly http?: { readonly method?: string; readonly path?: string };
    readonly requestId?: string;
    /** 2.0 and Function URLs: `iam` when the route (or URL) is authorized with AWS_IAM and the caller passed. */
    readonly authorizer?: { readonly iam?: { readonly accessKey?: string; readonly userArn?: string } };
    /** 1.0 (REST API): the IAM caller's fields, `null` unless IAM authorized the request. */
    readonly identity?: { readonly accessKey?: string | null; readonly userArn?: string | null };
  };
  /** 1.0 */
  readonly httpMethod?: string;
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly multiValueHeaders?: Readonly<Record<string, readonly string[] | undefined>> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

export interface ApiGatewayResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

/** The part of the Lambda context the adapter uses. */
export interface LambdaContext {
  readonly awsRequestId: string;
  readonly getRemainingTimeInMillis: () => number;
}

export type LambdaHandler = (event: ApiGatewayEvent, context: LambdaContext) => Promise<ApiGatewayResult>;

/** Time kept back from Lambda's own timeout to send the answer. */
const LAMBDA_ANSWER_MARGIN_MS = 1_000;

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const record = (value: unknown): Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

const nonEmpty = (value: unknown): boolean => typeof value === 'string' && value !== '';

/**
 * Whether AWS authorized the request with IAM before invoking the function: HTTP API payload 2.0
 * and Function URLs (AuthType AWS_IAM) put the caller in `requestContext.authorizer.iam`; REST APIs
 * and payload 1.0 fill `requestContext.identity`'s `userArn` and `accessKey`, which are null on a
 * route without IAM authorization. A caller through API Gateway or a Function URL cannot forge
 * either: `requestContext` is written by API Gateway or Lambda from their own signature check, and
 * what a caller sends arrives only in `headers` and `body`; a route without IAM authorization
 * (`POST /read` of an iam stack) never has them, whatever the caller signed. A principal allowed
 * `lambda:InvokeFunction` can send any event, though, so the core honours this only on the routes
 * the deployment names in `iam_authorized_routes`.
 */
const authorizedUpstream = (requestContext: Readonly<Record<string, unknown>>): 'iam' | undefined => {
  const iam = record(record(requestContext.authorizer).iam);
  const identity = record(requestContext.identity);
  return nonEmpty(iam.userArn) ||
    nonEmpty(iam.accessKey) ||
    (nonEmpty(identity.userArn) && nonEmpty(identity.accessKey))
    ? 'iam'
    : undefined;
};

/**
 * The head of the core's request from an API Gateway event: method, path, headers, and the
 * length the body decodes to, computed from its text without decoding it. Fields of an
 * unexpected type are ignored rather than trusted, so no event can crash it.
 */
export const toRequestHead = (event: ApiGatewayEvent): RequestHead => {
  const fields = record(event);
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(record(fields.multiValueHeaders))) {
    if (Array.isArray(values) && values.length > 0 && values.every((v) => typeof v === 'string'))
      headers[name.toLowerCase()] = values.join(',');
  }
  for (const [name, value] of Object.entries(record(fields.headers))) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  const requestContext = record(fields.requestContext);
  const http = record(requestContext.http);
  const body = text(fields.body) ?? '';
  const upstream = authorizedUpstream(requestContext);
  return {
    method: (text(http.method) ?? text(fields.httpMethod) ?? 'GET').toUpperCase(),
    path: text(fields.rawPath) ?? text(http.path) ?? text(fields.path) ?? '/',
    headers,
    bodyLength: Buffer.byteLength(body, fields.isBase64Encoded === true ? 'base64' : 'utf8'),
    ...(upstream === undefined ? {} : { authorizedUpstream: upstream }),
  };
};

/** The core's request: the event's head and its body, which stays bytes (never decoded as text). */
const withBody = ({ bodyLength: _, ...head }: RequestHead, event: ApiGatewayEvent): CoreRequest => {
  const fields = record(event);
  const body = text(fields.body) ?? '';
  return {
    ...head,
    body: fields.isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
  };
};

/** Converts an API Gateway event to the core's request (see `toRequestHead`). */
export const toCoreRequest = (event: ApiGatewayEvent): CoreRequest => withBody(toRequestHead(event), event);

export const toApiGatewayResult = (response: CoreResponse): ApiGatewayResult =>
  typeof response.body === 'string'
    ? {
        statusCode: response.status,
        headers: { ...response.headers },
        body: response.body,
        isBase64Encoded: false,
      }
    : {
        statusCode: response.status,
        headers: { ...response.headers },
        body: Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength).toString(
          'base64',
        ),
        isBase64Encoded: true,
      };

/** Builds the connector for a Lambda container from its configuration. */
export const createLambdaConnector = (config: ConnectorConfig): Connector => {
  const logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    enabled: config.enableLogging,
  });
  // Lambda has no /metrics endpoint and nothing reads these counters: they live and die with the
  // container, unseen. What a request did is in its log line, which the core writes from the
  // request's own counts, not from these counters.
  return createConnector(config, { clients: createClientPool(config), logger, metrics: createMetrics() });
};

/**
 * Adapts the core handler to Lambda events, routing by the path's last segment (stage prefixes).
 * Every header of the core's answer is passed on (`WWW-Authenticate`, `Allow`, the remote-write 2.0
 * counts), for API Gateway (HTTP API) or the Function URL to forward. The event is admitted from
 * its head first (`Connector.admit`), so a body over the limit answers 413 before its base64 is
 * decoded and no second copy of it is allocated; that refusal is logged and counted like any other.
 *
 * @param connector - the core handler
 */
export const createLambdaHandler =
  (connector: Connector): LambdaHandler =>
  async (event, context) => {
    const requestContext: RequestContext = {
      requestId: context.awsRequestId,
      deadline: Date.now() + context.getRemainingTimeInMillis() - LAMBDA_ANSWER_MARGIN_MS,
      // API Gateway puts the stage in the path (`/dev/write`); its routes already decide what
      // reaches the function, so the last segment is enough.
      routing: 'stage-prefix',
    };
    const head = toRequestHead(event);
    const refusal = connector.admit(head, requestContext);
    if (refusal !== undefined) return toApiGatewayResult(refusal);
    return toApiGatewayResult(await connector.handle(withBody(head, event), requestContext));
  };

let containerHandler: Promise<LambdaHandler> | undefined;

const buildContainerHandler = async (): Promise<LambdaHandler> => {
  const config = await resolveAuthTokenSecret(
    readEnvironment(process.env as Environment),
    'auth_token_secret',
  );
  return createLambdaHandler(createLambdaConnector(config));
};

/**
 * The function's entry point. An invalid configuration or an unreadable token secret throws on
 * every invocation with a message naming the variable (API Gateway answers 500, so Prometheus
 * keeps the data and retries); the next invocation tries again.
 */
export const handler: LambdaHandler = async (event, context) => {
  containerHandler ??= buildContainerHandler().catch((error: unknown) => {
    containerHandler = undefined;
    throw error;
  });
  return (await containerHandler)(event, context);
};
