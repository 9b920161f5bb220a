/**
 * `PrometheusTimestreamConnector`: the connector as a Lambda function behind an API Gateway HTTP
 * API (`POST /write`, `POST /read`) on a throttled stage, with a least-privilege role and,
 * optionally, the Timestream database and table it writes to.
 */
import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type CfnStage, HttpApi, HttpMethod, type HttpRoute, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as timestream from 'aws-cdk-lib/aws-timestream';
import { Construct } from 'constructs';
import { buildLambdaAsset } from './lambda-asset.js';

/**
 * How callers are authenticated:
 * - `passthrough`: Prometheus's basic auth carries AWS keys, used for Timestream (the one-click template's way);
 * - `iam`: API Gateway IAM authorization (SigV4), the function's role writes and reads;
 * - `token`: a bearer token kept in Secrets Manager, the function's role writes and reads.
 */
export type ConnectorAuthMode = 'passthrough' | 'iam' | 'token';

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
  /** Create the database and table; otherwise they must exist. @default false */
  readonly createDatabaseAndTable?: boolean;
  /** Memory-store retention of a created table, in hours. @default 24 */
  readonly memoryStoreRetentionHours?: number;
  /** Magnetic-store retention of a created table, in days. @default 365 */
  readonly magneticStoreRetentionDays?: number;
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
  /** Connector log level: debug, info, warn or error. @default 'info' */
  readonly logLevel?: string;
  /** @default lambda.Architecture.ARM_64 */
  readonly architecture?: lambda.Architecture;
  /** @default 'passthrough' */
  readonly authMode?: ConnectorAuthMode;
  /** `token` mode: the secret holding the bearer token. @default a generated 48-character secret */
  readonly tokenSecret?: secretsmanager.ISecret;
  /** Retention of the function's and the API's log groups. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Name of the role's inline policy (the one-click template's `ExecutionPolicyName`). @default 'LambdaExecutionPolicy' */
  readonly executionPolicyName?: string;
  /** Extra environment variables for the connector (see the README's configuration table). @default none */
  readonly environment?: Readonly<Record<string, string>>;
}

const DEFAULT_BURST = 1200;

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
  /** Set when `createDatabaseAndTable` is true. */
  public readonly database: timestream.CfnDatabase | undefined;
  public readonly table: timestream.CfnTable | undefined;
  /** Set in `token` mode. */
  public readonly tokenSecret: secretsmanager.ISecret | undefined;

  public constructor(scope: Construct, id: string, props: PrometheusTimestreamConnectorProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const authMode = props.authMode ?? 'passthrough';
    this.databaseName = props.databaseName ?? 'PrometheusDatabase';
    this.tableName = props.tableName ?? 'PrometheusMetricsTable';
    const architecture = props.architecture ?? lambda.Architecture.ARM_64;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    if (props.createDatabaseAndTable === true) {
      this.database = new timestream.CfnDatabase(this, 'Database', { databaseName: this.databaseName });
      this.database.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.table = new timestream.CfnTable(this, 'Table', {
        databaseName: this.databaseName,
        tableName: this.tableName,
        // Passed through untyped: PascalCase keys, string values.
        retentionProperties: {
          MemoryStoreRetentionPeriodInHours: String(props.memoryStoreRetentionHours ?? 24),
          MagneticStoreRetentionPeriodInDays: String(props.magneticStoreRetentionDays ?? 365),
        },
      });
      this.table.addResourceDependency(this.database);
      for (const resource of [this.database, this.table]) {
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
      this.table.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }
    const tableArn = stack.formatArn({
      service: 'timestream',
      resource: 'database',
      resourceName: `${this.databaseName}/table/${this.tableName}`,
    });

    const logGroup = new logs.LogGroup(this, 'FunctionLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Prometheus remote storage connector for Timestream',
    });
    const policy = new iam.Policy(this, 'ExecutionPolicy', {
      policyName: props.executionPolicyName ?? 'LambdaExecutionPolicy',
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
    policy.attachToRole(this.role);
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

    this.tokenSecret =
      authMode === 'token'
        ? (props.tokenSecret ??
          (new secretsmanager.Secret(this, 'TokenSecret', {
            description: 'Bearer token Prometheus presents to the connector',
            generateSecretString: { passwordLength: 48, excludePunctuation: true },
          }) as secretsmanager.ISecret))
        : undefined;
    this.tokenSecret?.grantRead(this.role);
    if (this.tokenSecret !== undefined && props.tokenSecret === undefined)
      Validations.of(this.tokenSecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The token is shared with Prometheus, which reads it from a file; rotating it needs Prometheus reconfigured, so it is rotated by the operator',
      });

    this.function = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(
        buildLambdaAsset(architecture.name === lambda.Architecture.ARM_64.name ? 'arm64' : 'x64'),
      ),
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup,
      description: 'Prometheus remote_write / remote_read connector for Amazon Timestream',
      environment: {
        default_database: this.databaseName,
        default_table: this.tableName,
        log_level: props.logLevel ?? 'info',
        auth: authMode === 'passthrough' ? 'passthrough' : 'iam',
        ...(this.tokenSecret === undefined ? {} : { auth_token_secret: this.tokenSecret.secretArn }),
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    });
    this.function.node.addDependency(policy);

    const integration = new HttpLambdaIntegration('Integration', this.function, {
      timeout: props.integrationTimeout ?? Duration.seconds(29),
    });
    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `${stack.stackName}-APIGateway`,
      createDefaultStage: false,
      ...(authMode === 'iam' ? { defaultAuthorizer: new HttpIamAuthorizer() } : {}),
    });
    const [writeRoute, readRoute] = (['/write', '/read'] as const).map(
      (path) => this.httpApi.addRoutes({ path, methods: [HttpMethod.POST], integration })[0] as HttpRoute,
    );
    this.writeRoute = writeRoute as HttpRoute;
    this.readRoute = readRoute as HttpRoute;
    if (authMode !== 'iam')
      for (const route of [this.writeRoute, this.readRoute])
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            authMode === 'token'
              ? 'The function authenticates every request by its bearer token (constant-time comparison) before any work'
              : 'Passthrough mode: every request carries the caller’s AWS keys, which Timestream itself authenticates and authorizes; without them the function answers 401',
        });

    const stageName = props.stageName ?? 'dev';
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'Stage', { httpApi: this.httpApi, stageName, autoDeploy: true });
    // Route settings name routes that must exist before the stage (else "Unable to find Route").
    this.stage.node.addDependency(this.writeRoute, this.readRoute);
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    const throttling = (route: RouteThrottling | undefined) => ({
      ThrottlingBurstLimit: route?.burstLimit ?? DEFAULT_BURST,
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

    const base = `https://${this.httpApi.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${stageName}`;
    this.writeUrl = `${base}/write`;
    this.readUrl = `${base}/read`;
  }
}
