/**
 * The deployable stack: the one-click template's CloudFormation parameters (same names, defaults
 * and constraints) and outputs, around the `PrometheusTimestreamConnector` construct.
 */
import { CfnOutput, CfnParameter, Duration, Stack, type StackProps, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { type ConnectorAuthMode, PrometheusTimestreamConnector } from './connector.js';

export interface PrometheusTimestreamConnectorStackProps extends StackProps {
  /** Callers' authentication, fixed at synth time (CDK context `authMode`). @default 'passthrough' */
  readonly authMode?: ConnectorAuthMode;
  /** Create the database and table (CDK context `createDatabaseAndTable`). @default false */
  readonly createDatabaseAndTable?: boolean;
  /** @default lambda.Architecture.ARM_64 */
  readonly architecture?: lambda.Architecture;
}

export class PrometheusTimestreamConnectorStack extends Stack {
  public readonly connector: PrometheusTimestreamConnector;

  public constructor(scope: Construct, id: string, props: PrometheusTimestreamConnectorStackProps = {}) {
    super(scope, id, {
      description: 'Prometheus remote storage connector for Amazon Timestream for LiveAnalytics',
      ...props,
    });
    const text = (name: string, defaultValue: string, description: string, extra = {}) =>
      new CfnParameter(this, name, { type: 'String', default: defaultValue, description, ...extra });
    const number = (name: string, defaultValue: number, description: string, extra = {}) =>
      new CfnParameter(this, name, { type: 'Number', default: defaultValue, description, ...extra });

    const stageName = text(
      'APIGatewayStageName',
      'dev',
      'API Gateway stage; the URLs end in /<stage>/write and /<stage>/read',
    );
    const memorySize = number('MemorySize', 512, 'Lambda memory in MB', { minValue: 128, maxValue: 8192 });
    const integrationTimeout = number(
      'ApiGatewayTimeoutInMillis',
      30000,
      'API Gateway integration timeout in ms (HTTP APIs allow at most 30000)',
      {
        minValue: 50,
        maxValue: 30000,
      },
    );
    const lambdaTimeout = number('LambdaTimeoutInSeconds', 30, 'Lambda timeout in seconds', {
      minValue: 3,
      maxValue: 900,
    });
    const readBurst = number('ReadThrottlingBurstLimit', 1200, 'Burst limit of POST /read', { minValue: 0 });
    const writeBurst = number('WriteThrottlingBurstLimit', 1200, 'Burst limit of POST /write', {
      minValue: 0,
    });
    const database = text('DefaultDatabase', 'PrometheusDatabase', 'Timestream database', {
      allowedPattern: '^[a-zA-Z0-9_.-]{3,256}$',
    });
    const table = text('DefaultTable', 'PrometheusMetricsTable', 'Timestream table', {
      allowedPattern: '^[a-zA-Z0-9_.-]{3,256}$',
    });
    const policyName = text(
      'ExecutionPolicyName',
      'LambdaExecutionPolicy',
      "Name of the Lambda role's inline policy",
    );
    const logLevel = text('LogLevel', 'info', 'Connector log level', {
      allowedValues: ['info', 'warn', 'debug', 'error'],
    });
    const createTable = props.createDatabaseAndTable === true;
    const memoryRetention = createTable
      ? number('MemoryStoreRetentionPeriodInHours', 24, 'Memory-store retention of the created table', {
          minValue: 1,
          maxValue: 8766,
        })
      : undefined;
    const magneticRetention = createTable
      ? number('MagneticStoreRetentionPeriodInDays', 365, 'Magnetic-store retention of the created table', {
          minValue: 1,
          maxValue: 73000,
        })
      : undefined;

    this.connector = new PrometheusTimestreamConnector(this, 'Connector', {
      databaseName: database.valueAsString,
      tableName: table.valueAsString,
      createDatabaseAndTable: createTable,
      ...(memoryRetention === undefined ? {} : { memoryStoreRetentionHours: memoryRetention.valueAsNumber }),
      ...(magneticRetention === undefined
        ? {}
        : { magneticStoreRetentionDays: magneticRetention.valueAsNumber }),
      stageName: stageName.valueAsString,
      writeThrottling: { burstLimit: writeBurst.valueAsNumber },
      readThrottling: { burstLimit: readBurst.valueAsNumber },
      memorySize: memorySize.valueAsNumber,
      timeout: Duration.seconds(lambdaTimeout.valueAsNumber),
      integrationTimeout: Duration.millis(Token.asNumber(integrationTimeout.value)),
      logLevel: logLevel.valueAsString,
      executionPolicyName: policyName.valueAsString,
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      authMode: props.authMode ?? 'passthrough',
    });

    // Outputs share two names with parameters; CloudFormation keeps them apart, the construct tree does not.
    const outputs = new Construct(this, 'Outputs');
    const output = (name: string, value: string, description: string) =>
      new CfnOutput(outputs, name, { value, description }).overrideLogicalId(name);
    output('InvokeWriteURL', this.connector.writeUrl, 'remote_write URL for Prometheus');
    output('InvokeReadURL', this.connector.readUrl, 'remote_read URL for Prometheus');
    output('DefaultDatabase', database.valueAsString, 'Timestream database');
    output('DefaultTable', table.valueAsString, 'Timestream table');
  }
}
