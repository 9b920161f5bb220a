/**
 * The construct's defaults and the rules it shares with the connector: log retention, the log
 * level as the connector reads it, the Lambda environment named by the connector's option table,
 * and that importing infra (as a CDK app does at synth) loads none of the connector's runtime.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_OPTIONS } from '@prometheus-timestream/connector/options';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { PrometheusTimestreamConnector, PrometheusTimestreamConnectorStack } from '../src/index.js';

const build = (props: ConstructorParameters<typeof PrometheusTimestreamConnector>[2] = {}) => {
  const stack = new Stack(new App(), 'Other');
  new PrometheusTimestreamConnector(stack, 'Prom', props);
  return Template.fromStack(stack);
};

describe('PrometheusTimestreamConnector defaults', () => {
  it('keeps the function’s and the API’s logs for a month unless logRetention says otherwise', () => {
    // Prepare
    const retained = (template: Template) =>
      Object.values(template.findResources('AWS::Logs::LogGroup')).map(
        (group) => (group as { Properties: { RetentionInDays: number } }).Properties.RetentionInDays,
      );

    // Act / Assess
    expect(retained(build())).toEqual([30, 30]);
    expect(retained(build({ logRetention: RetentionDays.ONE_WEEK }))).toEqual([7, 7]);
  });

  it('accepts a log level as the connector reads it (any letter case) and passes it on as given', () => {
    // Act
    const template = build({ logLevel: 'WARN' });

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ log_level: 'WARN' }) },
    });
  });

  it('names the function’s environment as the connector’s option table does', () => {
    // Act
    const template = build({ authMode: 'iam', databaseName: 'db1', tableName: 'table1' });

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [CONFIG_OPTIONS.defaultDatabase.env]: 'db1',
          [CONFIG_OPTIONS.defaultTable.env]: 'table1',
          [CONFIG_OPTIONS.logLevel.env]: CONFIG_OPTIONS.logLevel.defaultValue,
          [CONFIG_OPTIONS.auth.env]: 'iam',
          [CONFIG_OPTIONS.iamAuthorizedRoutes.env]: 'write',
          [CONFIG_OPTIONS.authTokenSecret.env]: Match.anyValue(),
        }),
      },
    });
  });

  it('the stack’s parameters default to what the construct does without props', () => {
    // Prepare
    const parameters = Template.fromStack(
      new PrometheusTimestreamConnectorStack(new App(), 'PrometheusTimestreamConnector'),
    ).toJSON().Parameters as Record<string, { Default: unknown }>;
    const construct = build();

    // Assess
    construct.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: parameters.MemorySize?.Default,
      Timeout: parameters.LambdaTimeoutInSeconds?.Default,
      Environment: {
        Variables: Match.objectLike({
          default_database: parameters.DefaultDatabase?.Default,
          default_table: parameters.DefaultTable?.Default,
          log_level: parameters.LogLevel?.Default,
          auth: parameters.AuthMode?.Default,
        }),
      },
    });
    construct.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: parameters.APIGatewayStageName?.Default,
      RouteSettings: {
        'POST /write': { ThrottlingBurstLimit: parameters.WriteThrottlingBurstLimit?.Default },
        'POST /read': { ThrottlingBurstLimit: parameters.ReadThrottlingBurstLimit?.Default },
      },
    });
    construct.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: parameters.ExecutionPolicyName?.Default,
    });
  });
});

describe('importing @prometheus-timestream/infra (what a CDK app does at synth)', () => {
  it('loads the connector’s option table but none of its runtime: no AWS SDK', () => {
    // Prepare: the built package, as `cdk synth` runs it; every module it resolves is recorded.
    const infraDir = join(dirname(fileURLToPath(import.meta.url)), '..');
    const script = `
      import { registerHooks } from 'node:module';
      const resolved = [];
      registerHooks({ resolve: (specifier, context, next) => (resolved.push(specifier), next(specifier, context)) });
      await import('@prometheus-timestream/infra');
      process.stdout.write(JSON.stringify(resolved));`;

    // Act
    const resolved = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: infraDir,
        encoding: 'utf8',
      }),
    ) as string[];

    // Assess
    expect(resolved).toContain('@prometheus-timestream/connector/options');
    expect(resolved.filter((specifier) => /^@aws-sdk\/|^@smithy\//.test(specifier))).toEqual([]);
    expect(resolved.filter((specifier) => /(^|\/)(handler|lambda|clients)\.js$/.test(specifier))).toEqual([]);
  });
});
