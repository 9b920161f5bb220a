/**
 * `PrometheusTimestreamConnector`: the connector as a Lambda function behind an API Gateway HTTP
 * API (`POST /write`, `POST /read`) on a throttled stage, with a least-privilege role and,
 * optionally, the Timestream database and table it writes to.
 */

import {
  DEFAULT_DATABASE,
  DEFAULT_TABLE,
  LOG_LEVELS,
  CONFIG_OPTIONS as OPTION,
  type Parser,
  TIMESTREAM_NAME_PATTERN,
} from '@prometheus-timestream/connector/options';
import {
  Aws,
  CfnCondition,
  type CfnParameter,
  type CfnResource,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import {
  type CfnRoute,
  type CfnStage,
  HttpApi,
  HttpMethod,
  type HttpRoute,
  HttpStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as timestream from 'aws-cdk-lib/aws-timestream';
import { DISABLE_ASSET_STAGING_CONTEXT } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { buildLambdaAsset } from './lambda-asset.js';

/**
 * How callers are authenticated:
 * - `passthrough`: Prometheus's basic auth carries AWS keys, used for Timestream (the one-click template's way);
 * - `iam`: API Gateway IAM authorization (SigV4) of `POST /write`; `POST /read` is authenticated by
 *   the function with the bearer token kept in Secrets Manager, because Prometheus never signs
 *   remote_read (its `remote_read` has no `sigv4`); the function's role writes and reads;
 * - `token`: a bearer token kept in Secrets Manager on both routes, the function's role writes and reads.
 */
export type ConnectorAuthMode = 'passthrough' | 'iam' | 'token';

export const AUTH_MODES: readonly ConnectorAuthMode[] = ['passthrough', 'iam', 'token'];
/** The modes in which the function checks a bearer token: on every route (`token`), on `/read` (`iam`). */
export const TOKEN_MODES: readonly ConnectorAuthMode[] = ['iam', 'token'];

/**
 * A choice fixed at synth time (`true`/`false`) or left to deploy time: a `CfnCondition`, with
 * which the resources the choice adds are created only when it holds.
 */
export type DeployChoice = boolean | CfnCondition;

/**
 * The function's props a user may override (`functionOverrides`); the code, handler,
 * architecture, role and environment belong to the construct (see the props of the same names).
 */
export type FunctionOverrides = Partial<
  Omit<lambda.FunctionProps, 'code' | 'handler' | 'architecture' | 'role' | 'environment'>
>;

export interface MagneticStoreWrites {
  /** Where Timestream writes reports of records it rejected asynchronously (required when magnetic writes are on). */
  readonly rejectedDataBucket: s3.IBucket;
  /** @default no prefix */
  readonly rejectedDataPrefix?: string;
}

export interface RouteThrottling {
  /** Requests allowed in a burst. @default 1200 */
  readonly burstLimit?: number;
  /** Steady requests per second. @default the account's stage default */
  readonly rateLimit?: number;
}

export interface PrometheusTimestreamConnectorProps {
  /** Timestream database. @default 'PrometheusDatabase' */
  readonly databaseName?: string;
  /** Timestream table. @default 'PrometheusMetricsTable' */
  readonly tableName?: string;
  /** Create the database and table (or a CfnCondition deciding it at deploy time); otherwise they must exist. @default false */
  readonly createDatabaseAndTable?: DeployChoice;
  /** Memory-store retention of a created table, in hours. @default 24 */
  readonly memoryStoreRetentionHours?: number;
  /** Magnetic-store retention of a created table, in days. @default 365 */
  readonly magneticStoreRetentionDays?: number;
  /**
   * Let a created table accept records older than its memory-store retention (backfill), writing
   * them to the magnetic store; Timestream reports the records it rejects later to the bucket.
   * @default off: records older than the memory-store retention are refused (400)
   */
  readonly magneticStoreWrites?: MagneticStoreWrites;
  /** HTTP API stage; the URLs are `…/<stageName>/write` and `…/<stageName>/read`. @default 'dev' */
  readonly stageName?: string;
  /** Throttling of `POST /write`. @default { burstLimit: 1200 } */
  readonly writeThrottling?: RouteThrottling;
  /** Throttling of `POST /read`. @default { burstLimit: 1200 } */
  readonly readThrottling?: RouteThrottling;
  /** Lambda memory, MB. @default 512 */
  readonly memorySize?: number;
  /** Lambda timeout. @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** API Gateway integration timeout (CDK accepts 50 ms to 29 s). @default Duration.seconds(29) */
  readonly integrationTimeout?: Duration;
  /** Connector log level: debug, info, warn or error (or a CloudFormation parameter's value). @default 'info' */
  readonly logLevel?: string;
  /** @default lambda.Architecture.ARM_64 */
  readonly architecture?: lambda.Architecture;
  /**
   * How callers are authenticated; a CfnParameter (whose allowed values must be the three modes)
   * leaves it to deploy time, with each mode's resources created under a condition.
   * @default 'passthrough'
   */
  readonly authMode?: ConnectorAuthMode | CfnParameter;
  /**
   * `token` and `iam` modes: the secret holding the bearer token (both routes in `token` mode,
   * `POST /read` in `iam` mode).
   * @default a generated 48-character secret
   */
  readonly tokenSecret?: secretsmanager.ISecret;
  /** Retention of the function's and the API's log groups. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Name of the role's inline policy (the one-click template's `ExecutionPolicyName`). @default 'LambdaExecutionPolicy' */
  readonly executionPolicyName?: string;
  /** Extra environment variables for the connector (see the README's configuration table). @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Further props of the function (reserved concurrency, VPC, tracing, runtime, …), applied last. @default none */
  readonly functionOverrides?: FunctionOverrides;
}

/**
 * API Gateway HTTP APIs take an integration timeout from 50 ms to 30 s, and 30 s is also what they
 * use when none is set (the stack's `ApiGatewayTimeoutInMillis` parameter: default and range).
 */
export const HTTP_API_INTEGRATION_TIMEOUT_MS = { min: 50, max: 30_000 } as const;

/**
 * The construct's defaults; the stack's parameters default to the same, so a stack deployed
 * without parameters is what the construct makes without props.
 */
export const CONNECTOR_DEFAULTS = {
  databaseName: DEFAULT_DATABASE,
  tableName: DEFAULT_TABLE,
  memoryStoreRetentionHours: 24,
  magneticStoreRetentionDays: 365,
  stageName: 'dev',
  burstLimit: 1200,
  memorySizeMb: 512,
  timeoutSeconds: 30,
  /**
   * 1 s below HTTP APIs' maximum: CDK refuses a literal Duration above 29 s (WebSocket APIs' limit,
   * which it checks for HTTP APIs too). The stack's parameter is a token CDK does not check, so it
   * can default to the maximum itself.
   */
  integrationTimeout: Duration.millis(HTTP_API_INTEGRATION_TIMEOUT_MS.max - 1000),
  logLevel: OPTION.logLevel.defaultValue,
  architecture: lambda.Architecture.ARM_64,
  authMode: 'passthrough',
  logRetention: logs.RetentionDays.ONE_MONTH,
  executionPolicyName: 'LambdaExecutionPolicy',
} as const;

/** Whether the connector would start with `raw` as the option's value (its own parser decides). */
const connectorAccepts = (option: { readonly parse: Parser<unknown> }, raw: string): boolean => {
  try {
    option.parse(raw, '');
    return true;
  } catch {
    return false;
  }
};

/** Refuses at synth time what would otherwise fail at deploy time or at the first request. */
const checkProps = (props: PrometheusTimestreamConnectorProps): void => {
  const literal = (value: string | undefined): value is string =>
    value !== undefined && !Token.isUnresolved(value);
  if (literal(props.logLevel) && !connectorAccepts(OPTION.logLevel, props.logLevel))
    throw new Error(`logLevel must be one of ${LOG_LEVELS.join(', ')}, got "${props.logLevel}"`);
  // The pattern, not the connector's parser: that one trims, CloudFormation would not.
  for (const [prop, name] of [
    ['databaseName', props.databaseName],
    ['tableName', props.tableName],
  ] as const)
    if (literal(name) && !TIMESTREAM_NAME_PATTERN.test(name))
      throw new Error(`${prop} must be 3 to 256 letters, digits, "_", "." or "-", got "${name}"`);
  if (props.createDatabaseAndTable === undefined || props.createDatabaseAndTable === false)
    for (const prop of [
      'memoryStoreRetentionHours',
      'magneticStoreRetentionDays',
      'magneticStoreWrites',
    ] as const)
      if (props[prop] !== undefined) throw new Error(`${prop} applies only with createDatabaseAndTable`);
  const authMode = props.authMode ?? CONNECTOR_DEFAULTS.authMode;
  if (props.tokenSecret !== undefined && typeof authMode === 'string' && !TOKEN_MODES.includes(authMode))
    throw new Error(`tokenSecret applies only with authMode "token" or "iam", got "${authMode}"`);
};

/** `yes` or `no` as the choice decides, at synth time or (an `Fn::If`) at deploy time. */
const valueIf = (choice: DeployChoice, yes: string, no: string): string =>
  choice instanceof CfnCondition
    ? Token.asString(Fn.conditionIf(choice.logicalId, yes, no))
    : choice
      ? yes
      : no;

/** Creates `resource` only when a deploy-time choice holds (synth-time choices never get here false). */
const createOnlyIf = (choice: DeployChoice, resource: CfnResource): void => {
  if (choice instanceof CfnCondition) resource.cfnOptions.condition = choice;
};

export class PrometheusTimestreamConnector extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly httpApi: HttpApi;
  public readonly stage: HttpStage;
  public readonly writeRoute: HttpRoute;
  public readonly readRoute: HttpRoute;
  public readonly writeUrl: string;
  public readonly readUrl: string;
  public readonly databaseName: string;
  public readonly tableName: string;
  /** Set unless `createDatabaseAndTable` is false (under its condition when decided at deploy time). */
  public readonly database: timestream.CfnDatabase | undefined;
  public readonly table: timestream.CfnTable | undefined;
  /** Set when `token` or `iam` mode may be chosen (both check the bearer token it holds). */
  public readonly tokenSecret: secretsmanager.ISecret | undefined;
  private readonly authModeParameter: CfnParameter | undefined;
  private readonly staticAuthMode: ConnectorAuthMode | undefined;
  private readonly authConditions = new Map<string, CfnCondition>();

  public constructor(scope: Construct, id: string, props: PrometheusTimestreamConnectorProps = {}) {
    super(scope, id);
    const authMode = props.authMode ?? CONNECTOR_DEFAULTS.authMode;
    if (typeof authMode === 'string') {
      if (!AUTH_MODES.includes(authMode))
        throw new Error(`authMode must be one of ${AUTH_MODES.join(', ')}, got "${authMode}"`);
      this.staticAuthMode = authMode;
    } else this.authModeParameter = authMode;
    checkProps(props);
    this.databaseName = props.databaseName ?? CONNECTOR_DEFAULTS.databaseName;
    this.tableName = props.tableName ?? CONNECTOR_DEFAULTS.tableName;
    const logRetention = props.logRetention ?? CONNECTOR_DEFAULTS.logRetention;

    const createTable = props.createDatabaseAndTable ?? false;
    const created = createTable === false ? undefined : this.createDatabaseAndTable(createTable, props);
    this.database = created?.database;
    this.table = created?.table;
    const { role, policy, logGroup } = this.executionRole(props, logRetention);
    this.role = role;

    const token = this.authModeIn(TOKEN_MODES);
    const tokenAccess = token === false ? undefined : this.tokenSecretAccess(token, props.tokenSecret);
    this.tokenSecret = tokenAccess?.secret;
    const tokenPolicy = tokenAccess?.policy;

    const architecture = props.architecture ?? CONNECTOR_DEFAULTS.architecture;
    this.function = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      memorySize: props.memorySize ?? CONNECTOR_DEFAULTS.memorySizeMb,
      timeout: props.timeout ?? Duration.seconds(CONNECTOR_DEFAULTS.timeoutSeconds),
      logGroup,
      description: 'Prometheus remote_write / remote_read connector for Amazon Timestream',
      ...props.functionOverrides,
      architecture,
      code: lambda.Code.fromAsset(
        buildLambdaAsset(architecture.name === lambda.Architecture.ARM_64.name ? 'arm64' : 'x64', {
          keep: this.node.tryGetContext(DISABLE_ASSET_STAGING_CONTEXT) === true,
        }),
      ),
      role: this.role,
      environment: this.functionEnvironment(props, token),
    });
    this.function.node.addDependency(policy);
    // Lambda adds this policy only to roles it creates; the function's role is the construct's.
    if (props.functionOverrides?.vpc !== undefined) {
      this.role.addManagedPolicy(
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
      );
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'The AWS-managed policy Lambda itself attaches to functions in a VPC: network interfaces only',
      });
    }
    // A conditional resource cannot be depended on (it may not exist); the function re-reads the
    // secret at its next start if the grant was not there yet.
    if (tokenPolicy !== undefined && token === true) this.function.node.addDependency(tokenPolicy);

    const api = this.createApi(props, logRetention);
    this.httpApi = api.httpApi;
    this.writeRoute = api.writeRoute;
    this.readRoute = api.readRoute;
    this.stage = api.stage;
    const stageName = props.stageName ?? CONNECTOR_DEFAULTS.stageName;
    const base = `https://${this.httpApi.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${stageName}`;
    this.writeUrl = `${base}/write`;
    this.readUrl = `${base}/read`;
  }

  /** The Timestream database and table, kept when the stack is deleted. */
  private createDatabaseAndTable(
    createTable: DeployChoice,
    props: PrometheusTimestreamConnectorProps,
  ): { database: timestream.CfnDatabase; table: timestream.CfnTable } {
    const database = new timestream.CfnDatabase(this, 'Database', { databaseName: this.databaseName });
    const table = new timestream.CfnTable(this, 'Table', {
      databaseName: this.databaseName,
      tableName: this.tableName,
      // Passed through untyped: PascalCase keys, string values.
      retentionProperties: {
        MemoryStoreRetentionPeriodInHours: String(
          props.memoryStoreRetentionHours ?? CONNECTOR_DEFAULTS.memoryStoreRetentionHours,
        ),
        MagneticStoreRetentionPeriodInDays: String(
          props.magneticStoreRetentionDays ?? CONNECTOR_DEFAULTS.magneticStoreRetentionDays,
        ),
      },
      ...(props.magneticStoreWrites === undefined
        ? {}
        : {
            magneticStoreWriteProperties: {
              EnableMagneticStoreWrites: true,
              MagneticStoreRejectedDataLocation: {
                S3Configuration: {
                  BucketName: props.magneticStoreWrites.rejectedDataBucket.bucketName,
                  EncryptionOption: 'SSE_S3',
                  ...(props.magneticStoreWrites.rejectedDataPrefix === undefined
                    ? {}
                    : { ObjectKeyPrefix: props.magneticStoreWrites.rejectedDataPrefix }),
                },
              },
            },
          }),
    });
    table.addResourceDependency(database);
    for (const resource of [database, table]) {
      // Data outlives the stack: deleting the stack must not delete the metrics.
      resource.applyRemovalPolicy(RemovalPolicy.RETAIN);
      createOnlyIf(createTable, resource);
      Validations.of(resource).acknowledge({
        id: 'CloudFormation-Validate::W3697',
        reason:
          'Timestream for LiveAnalytics is in maintenance mode: existing users keep it, and this connector exists for them',
      });
      Validations.of(resource).acknowledge({
        id: 'AwsSolutions-TS3',
        reason:
          'Encrypted at rest with the AWS-owned key by default; a customer-managed key is a cost users opt into on their own database',
      });
    }
    return { database, table };
  }

  /** The function's log group, and its role with the least-privilege policy: logs, and the table. */
  private executionRole(
    props: PrometheusTimestreamConnectorProps,
    logRetention: logs.RetentionDays,
  ): { role: iam.Role; policy: iam.Policy; logGroup: logs.LogGroup } {
    const stack = Stack.of(this);
    const tableArn = stack.formatArn({
      service: 'timestream',
      resource: 'database',
      resourceName: `${this.databaseName}/table/${this.tableName}`,
    });
    const logGroup = new logs.LogGroup(this, 'FunctionLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Prometheus remote storage connector for Timestream',
    });
    const policy = new iam.Policy(this, 'ExecutionPolicy', {
      policyName: props.executionPolicyName ?? CONNECTOR_DEFAULTS.executionPolicyName,
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [`${logGroup.logGroupArn}:*`],
        }),
        // The service's endpoint discovery needs it on every resource.
        new iam.PolicyStatement({ actions: ['timestream:DescribeEndpoints'], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: ['timestream:WriteRecords', 'timestream:Select'],
          resources: [tableArn],
        }),
      ],
    });
    policy.attachToRole(role);
    const logGroupId = stack.getLogicalId(logGroup.node.defaultChild as logs.CfnLogGroup);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logGroupId}.Arn>:*]`,
      reason:
        'Lambda names the log streams it creates in the function’s own log group; the grant is limited to that group',
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'timestream:DescribeEndpoints supports no resource-level permissions; the service requires "*"',
    });
    return { role, policy, logGroup };
  }

  /** The connector's configuration, by the names its option table gives the Lambda environment. */
  private functionEnvironment(
    props: PrometheusTimestreamConnectorProps,
    token: DeployChoice,
  ): Record<string, string> {
    const iamMode = this.authModeIs('iam');
    return {
      [OPTION.defaultDatabase.env]: this.databaseName,
      [OPTION.defaultTable.env]: this.tableName,
      [OPTION.logLevel.env]: props.logLevel ?? CONNECTOR_DEFAULTS.logLevel,
      [OPTION.auth.env]: valueIf(this.authModeIs('passthrough'), 'passthrough', 'iam'),
      // Only /write is IAM-authorized by API Gateway (iam mode): the function skips the bearer
      // token there alone, for requests AWS authorized.
      ...(iamMode === false
        ? {}
        : { [OPTION.iamAuthorizedRoutes.env]: valueIf(iamMode, 'write', Aws.NO_VALUE) }),
      ...(this.tokenSecret === undefined
        ? {}
        : { [OPTION.authTokenSecret.env]: valueIf(token, this.tokenSecret.secretArn, Aws.NO_VALUE) }),
      // No NODE_OPTIONS=--enable-source-maps: the bundle maps a stack trace to the sources when it
      // prints one (the connector's mapStackTracesLazily), without the flag's ~13 ms per cold start.
      ...props.environment,
    };
  }

  /** The HTTP API: its two routes (IAM-authorized `/write` in iam mode) and the throttled stage. */
  private createApi(
    props: PrometheusTimestreamConnectorProps,
    logRetention: logs.RetentionDays,
  ): { httpApi: HttpApi; writeRoute: HttpRoute; readRoute: HttpRoute; stage: HttpStage } {
    const integration = new HttpLambdaIntegration('Integration', this.function, {
      timeout: props.integrationTimeout ?? CONNECTOR_DEFAULTS.integrationTimeout,
    });
    const iamAuth = this.authModeIs('iam');
    const httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `${Stack.of(this).stackName}-APIGateway`,
      createDefaultStage: false,
    });
    // Only /write is authorized by IAM: Prometheus signs remote_write (`sigv4:`), never remote_read,
    // so in iam mode /read is left to the function, which checks the bearer token.
    const writeRoute = httpApi.addRoutes({
      path: '/write',
      methods: [HttpMethod.POST],
      integration,
      ...(iamAuth === true ? { authorizer: new HttpIamAuthorizer() } : {}),
    })[0] as HttpRoute;
    const readRoute = httpApi.addRoutes({
      path: '/read',
      methods: [HttpMethod.POST],
      integration,
    })[0] as HttpRoute;
    if (iamAuth instanceof CfnCondition)
      (writeRoute.node.defaultChild as CfnRoute).authorizationType = valueIf(iamAuth, 'AWS_IAM', 'NONE');
    if (iamAuth !== true)
      Validations.of(writeRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: this.unauthorizedRouteReason('write'),
      });
    Validations.of(readRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: this.unauthorizedRouteReason('read'),
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stage = new HttpStage(this, 'Stage', {
      httpApi,
      stageName: props.stageName ?? CONNECTOR_DEFAULTS.stageName,
      autoDeploy: true,
    });
    // Route settings name routes that must exist before the stage (else "Unable to find Route").
    stage.node.addDependency(writeRoute, readRoute);
    const cfnStage = stage.node.defaultChild as CfnStage;
    const throttling = (route: RouteThrottling | undefined) => ({
      ThrottlingBurstLimit: route?.burstLimit ?? CONNECTOR_DEFAULTS.burstLimit,
      ...(route?.rateLimit === undefined ? {} : { ThrottlingRateLimit: route.rateLimit }),
    });
    cfnStage.routeSettings = {
      'POST /write': throttling(props.writeThrottling),
      'POST /read': throttling(props.readThrottling),
    };
    cfnStage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        routeKey: '$context.routeKey',
        status: '$context.status',
        responseLength: '$context.responseLength',
        integrationLatency: '$context.integrationLatency',
        integrationError: '$context.integrationErrorMessage',
      }),
    };
    return { httpApi, writeRoute, readRoute, stage };
  }

  /**
   * Whether callers are authenticated in `mode`: `true`/`false` when the mode was fixed at synth
   * time, a `CfnCondition` when the `authMode` parameter decides it at deploy time (e.g. to create
   * an output only in that mode).
   */
  public authModeIs(mode: ConnectorAuthMode): DeployChoice {
    return this.authModeIn([mode]);
  }

  /**
   * Whether callers are authenticated in one of `modes` (e.g. `['iam', 'token']`, the modes with a
   * bearer token): `true`/`false` when the mode was fixed at synth time, a `CfnCondition` (an
   * `Fn::Or` of the modes' conditions) when the `authMode` parameter decides it at deploy time.
   */
  public authModeIn(modes: readonly ConnectorAuthMode[]): DeployChoice {
    const parameter = this.authModeParameter;
    if (parameter === undefined)
      return this.staticAuthMode !== undefined && modes.includes(this.staticAuthMode);
    const name = `AuthModeIs${modes.map((mode) => `${mode[0]?.toUpperCase()}${mode.slice(1)}`).join('Or')}`;
    let condition = this.authConditions.get(name);
    if (condition === undefined) {
      condition = new CfnCondition(this, name, {
        expression:
          modes.length === 1
            ? Fn.conditionEquals(parameter.valueAsString, modes[0])
            : Fn.conditionOr(...modes.map((mode) => this.authModeIn([mode]) as CfnCondition)),
      });
      this.authConditions.set(name, condition);
    }
    return condition;
  }

  /** The token secret (given or generated) and the policy that lets the function read it. */
  private tokenSecretAccess(
    token: DeployChoice,
    given: secretsmanager.ISecret | undefined,
  ): { secret: secretsmanager.ISecret; policy: iam.Policy } {
    const secret: secretsmanager.ISecret =
      given ??
      (new secretsmanager.Secret(this, 'TokenSecret', {
        description: 'Bearer token Prometheus presents to the connector',
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      }) as secretsmanager.ISecret);
    if (given === undefined) {
      createOnlyIf(token, secret.node.defaultChild as CfnResource);
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The token is shared with Prometheus, which reads it from a file; rotating it needs Prometheus reconfigured, so it is rotated by the operator',
      });
    }
    // A secret imported by name has no full ARN: its ARN ends in six random characters.
    const secretArn = secret.secretFullArn ?? `${secret.secretArn}-??????`;
    const tokenPolicy = new iam.Policy(this, 'TokenSecretPolicy', {
      statements: [
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: [secretArn],
        }),
        ...(secret.encryptionKey === undefined
          ? []
          : [
              new iam.PolicyStatement({
                actions: ['kms:Decrypt'],
                resources: [secret.encryptionKey.keyArn],
              }),
            ]),
      ],
    });
    tokenPolicy.attachToRole(this.role);
    createOnlyIf(token, tokenPolicy.node.defaultChild as CfnResource);
    if (secret.secretFullArn === undefined)
      Validations.of(tokenPolicy).acknowledge({
        id: 'AwsSolutions-IAM5',
        reason:
          'A secret imported by name is known by its ARN without the six characters Secrets Manager appends',
      });
    return { secret, policy: tokenPolicy };
  }

  /**
   * Why a route without API Gateway authorization is still authenticated, for each mode in which
   * it has none (`/write` is authorized by IAM in iam mode, `/read` never is).
   */
  private unauthorizedRouteReason(route: 'write' | 'read'): string {
    const reasons: Record<ConnectorAuthMode, string> = {
      token:
        'token mode: the function authenticates every request by its bearer token (constant-time comparison) before any work',
      iam: 'iam mode: Prometheus never signs remote_read, so the function authenticates every /read request by the bearer token of the TokenSecretArn secret (constant-time comparison) before any work',
      passthrough:
        'passthrough mode: every request carries the caller’s AWS keys, which Timestream itself authenticates and authorizes; without them the function answers 401',
    };
    const modes: readonly ConnectorAuthMode[] =
      route === 'read' ? ['token', 'iam', 'passthrough'] : ['token', 'passthrough'];
    return modes
      .filter((mode) => this.authModeIs(mode) !== false)
      .map((mode) => reasons[mode])
      .join('; ');
  }
}
