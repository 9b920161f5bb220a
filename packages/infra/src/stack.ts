/**
 * The deployable stack: the one-click template's CloudFormation parameters (same names, defaults
 * and constraints) and outputs, around the `PrometheusTimestreamConnector` construct.
 */

import { LOG_LEVELS, type LogLevel, TIMESTREAM_NAME_PATTERN } from '@prometheus-timestream/connector/options';
import { CfnCondition, CfnOutput, CfnParameter, Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  AUTH_MODES,
  CONNECTOR_DEFAULTS,
  HTTP_API_INTEGRATION_TIMEOUT_MS,
  PrometheusTimestreamConnector,
  TOKEN_MODES,
} from './connector.js';

/** The one-click template's order of the LogLevel choices (the console lists them so). */
const ONE_CLICK_LOG_LEVEL_ORDER: Readonly<Record<LogLevel, number>> = {
  info: 0,
  warn: 1,
  debug: 2,
  error: 3,
};

/** How the CloudFormation console groups the parameters. */
const CONSOLE_INTERFACE = {
  'AWS::CloudFormation::Interface': {
    ParameterGroups: [
      {
        Label: { default: 'Timestream' },
        Parameters: [
          'DefaultDatabase',
          'DefaultTable',
          'CreateDatabaseAndTable',
          'MemoryStoreRetentionPeriodInHours',
          'MagneticStoreRetentionPeriodInDays',
        ],
      },
      {
        Label: { default: 'API Gateway' },
        Parameters: [
          'APIGatewayStageName',
          'AuthMode',
          'ApiGatewayTimeoutInMillis',
          'WriteThrottlingBurstLimit',
          'ReadThrottlingBurstLimit',
        ],
      },
      {
        Label: { default: 'Lambda' },
        Parameters: ['MemorySize', 'LambdaTimeoutInSeconds', 'LogLevel', 'ExecutionPolicyName'],
      },
    ],
  },
};

export interface PrometheusTimestreamConnectorStackProps extends StackProps {
  /** Fixed at synth time (the asset holds the native binding for it; CDK context `architecture`). @default lambda.Architecture.ARM_64 */
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
      CONNECTOR_DEFAULTS.stageName,
      'API Gateway stage; the URLs end in /<stage>/write and /<stage>/read',
    );
    const memorySize = number('MemorySize', CONNECTOR_DEFAULTS.memorySizeMb, 'Lambda memory in MB', {
      minValue: 128,
      maxValue: 8192,
    });
    const integrationTimeout = number(
      'ApiGatewayTimeoutInMillis',
      HTTP_API_INTEGRATION_TIMEOUT_MS.max,
      `API Gateway integration timeout in ms (HTTP APIs allow at most ${HTTP_API_INTEGRATION_TIMEOUT_MS.max})`,
      { minValue: HTTP_API_INTEGRATION_TIMEOUT_MS.min, maxValue: HTTP_API_INTEGRATION_TIMEOUT_MS.max },
    );
    const lambdaTimeout = number(
      'LambdaTimeoutInSeconds',
      CONNECTOR_DEFAULTS.timeoutSeconds,
      'Lambda timeout in seconds',
      {
        minValue: 3,
        maxValue: 900,
      },
    );
    const readBurst = number(
      'ReadThrottlingBurstLimit',
      CONNECTOR_DEFAULTS.burstLimit,
      'Burst limit of POST /read',
      { minValue: 0 },
    );
    const writeBurst = number(
      'WriteThrottlingBurstLimit',
      CONNECTOR_DEFAULTS.burstLimit,
      'Burst limit of POST /write',
      {
        minValue: 0,
      },
    );
    const timestreamName = { allowedPattern: TIMESTREAM_NAME_PATTERN.source };
    const database = text(
      'DefaultDatabase',
      CONNECTOR_DEFAULTS.databaseName,
      'Timestream database',
      timestreamName,
    );
    const table = text('DefaultTable', CONNECTOR_DEFAULTS.tableName, 'Timestream table', timestreamName);
    const policyName = text(
      'ExecutionPolicyName',
      CONNECTOR_DEFAULTS.executionPolicyName,
      "Name of the Lambda role's inline policy",
    );
    const logLevel = text('LogLevel', CONNECTOR_DEFAULTS.logLevel, 'Connector log level', {
      allowedValues: [...LOG_LEVELS].sort(
        (a, b) => ONE_CLICK_LOG_LEVEL_ORDER[a] - ONE_CLICK_LOG_LEVEL_ORDER[b],
      ),
    });
    const authMode = text(
      'AuthMode',
      CONNECTOR_DEFAULTS.authMode,
      'passthrough: Prometheus sends AWS keys as basic auth (the one-click behaviour); iam: API Gateway IAM (SigV4) authorization of /write, and /read (never signed by Prometheus) by the bearer token from the TokenSecretArn output; token: the bearer token from the TokenSecretArn output on both routes',
      { allowedValues: [...AUTH_MODES] },
    );
    const createDatabaseAndTable = text(
      'CreateDatabaseAndTable',
      'false',
      'true: create DefaultDatabase and DefaultTable (kept when the stack is deleted); false: they must exist',
      { allowedValues: ['false', 'true'] },
    );
    const memoryRetention = number(
      'MemoryStoreRetentionPeriodInHours',
      CONNECTOR_DEFAULTS.memoryStoreRetentionHours,
      'Memory-store retention of a created table (records older than this are refused)',
      { minValue: 1, maxValue: 8766 },
    );
    const magneticRetention = number(
      'MagneticStoreRetentionPeriodInDays',
      CONNECTOR_DEFAULTS.magneticStoreRetentionDays,
      'Magnetic-store retention of a created table',
      { minValue: 1, maxValue: 73000 },
    );
    const createTable = new CfnCondition(this, 'ShouldCreateDatabaseAndTable', {
      expression: Fn.conditionEquals(createDatabaseAndTable.valueAsString, 'true'),
    });

    this.connector = new PrometheusTimestreamConnector(this, 'Connector', {
      databaseName: database.valueAsString,
      tableName: table.valueAsString,
      createDatabaseAndTable: createTable,
      memoryStoreRetentionHours: memoryRetention.valueAsNumber,
      magneticStoreRetentionDays: magneticRetention.valueAsNumber,
      stageName: stageName.valueAsString,
      writeThrottling: { burstLimit: writeBurst.valueAsNumber },
      readThrottling: { burstLimit: readBurst.valueAsNumber },
      memorySize: memorySize.valueAsNumber,
      timeout: Duration.seconds(lambdaTimeout.valueAsNumber),
      integrationTimeout: Duration.millis(integrationTimeout.valueAsNumber),
      logLevel: logLevel.valueAsString,
      executionPolicyName: policyName.valueAsString,
      architecture: props.architecture ?? CONNECTOR_DEFAULTS.architecture,
      authMode,
    });

    // Outputs share two names with parameters; CloudFormation keeps them apart, the construct tree does not.
    const outputs = new Construct(this, 'Outputs');
    const output = (name: string, value: string, description: string) =>
      new CfnOutput(outputs, name, { value, description }).overrideLogicalId(name);
    output('InvokeWriteURL', this.connector.writeUrl, 'remote_write URL for Prometheus');
    output('InvokeReadURL', this.connector.readUrl, 'remote_read URL for Prometheus');
    output('DefaultDatabase', database.valueAsString, 'Timestream database');
    output('DefaultTable', table.valueAsString, 'Timestream table');
    const tokenSecret = this.connector.tokenSecret;
    const tokenModes = this.connector.authModeIn(TOKEN_MODES);
    if (tokenSecret !== undefined && tokenModes instanceof CfnCondition)
      new CfnOutput(outputs, 'TokenSecretArn', {
        value: tokenSecret.secretArn,
        description:
          'token mode: the bearer token Prometheus sends on remote_write and remote_read; iam mode: the bearer token of remote_read (remote_write is signed with SigV4)',
        condition: tokenModes,
      }).overrideLogicalId('TokenSecretArn');

    this.templateOptions.metadata = CONSOLE_INTERFACE;
  }
}
