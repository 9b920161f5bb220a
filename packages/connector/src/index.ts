/**
 * Public API of the connector: the core request handler, its two runtimes (Lambda and the
 * standalone server), configuration and its option table, and the remote-write → Timestream
 * translation.
 */
export { type AwsCredentials, bearerTokenCheck, credentialsFromBasicAuth } from './auth.js';
export { type ClientPool, createClientPool } from './clients.js';
export { type ConnectorConfig, type Environment, readEnvironment, readFlags } from './config.js';
export {
  BadRequestError,
  ConnectorError,
  DestinationMisconfiguredError,
  InvalidConfigError,
  InvalidTimestreamAnswerError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  TimestreamUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from './errors.js';
export {
  type Connector,
  type CoreRequest,
  type CoreResponse,
  createConnector,
  type RequestContext,
  routeOf,
} from './handler.js';
export {
  type ApiGatewayEvent,
  type ApiGatewayResult,
  createLambdaConnector,
  createLambdaHandler,
  handler,
  type LambdaContext,
  toApiGatewayResult,
  toCoreRequest,
} from './lambda.js';
export { createLogger, type Logger } from './logger.js';
export { type ConnectorMetrics, createMetrics } from './metrics.js';
export {
  type AuthMode,
  CONFIG_OPTIONS,
  DEFAULT_DATABASE,
  DEFAULT_TABLE,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
  TIMESTREAM_NAME_PATTERN,
} from './options.js';
export { resolveAuthTokenSecret } from './secrets.js';
export { type RunningServer, startServer } from './server.js';
export { classifyWriteError, type RejectionReason, writeBatches } from './timestream-write.js';
export {
  formatMeasureValue,
  MAX_RECORDS_PER_BATCH,
  type SkipReason,
  type TranslatedWrite,
  toTimestreamBatches,
  type WriteBatch,
} from './translate.js';
