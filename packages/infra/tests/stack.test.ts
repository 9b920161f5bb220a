/**
 * The synthesized stack and construct: the one-click template's parameters and outputs, routes,
 * stage throttling, the role's statements, the Timestream resources when asked for, and the
 * Lambda asset's native binding built for the function's own architecture.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { Architecture, Tracing } from 'aws-cdk-lib/aws-lambda';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  elfMachine,
  PrometheusTimestreamConnector,
  PrometheusTimestreamConnectorStack,
} from '../src/index.js';
import { deployed, ofType } from './helpers/deployed.js';

const synthStack = (props: ConstructorParameters<typeof PrometheusTimestreamConnectorStack>[2] = {}) => {
  const app = new App();
  const stack = new PrometheusTimestreamConnectorStack(app, 'PrometheusTimestreamConnector', props);
  return { app, stack, template: Template.fromStack(stack) };
};

describe('PrometheusTimestreamConnectorStack (what cdk synth and cdk deploy use)', () => {
  const { template } = synthStack();

  it.each([
    ['APIGatewayStageName', { Type: 'String', Default: 'dev' }],
    ['MemorySize', { Type: 'Number', Default: 512, MinValue: 128, MaxValue: 8192 }],
    ['ApiGatewayTimeoutInMillis', { Type: 'Number', Default: 30000, MinValue: 50, MaxValue: 30000 }],
    ['LambdaTimeoutInSeconds', { Type: 'Number', Default: 30, MinValue: 3 }],
    ['ReadThrottlingBurstLimit', { Type: 'Number', Default: 1200 }],
    ['WriteThrottlingBurstLimit', { Type: 'Number', Default: 1200 }],
    ['DefaultDatabase', { Type: 'String', Default: 'PrometheusDatabase' }],
    ['DefaultTable', { Type: 'String', Default: 'PrometheusMetricsTable' }],
    ['ExecutionPolicyName', { Type: 'String', Default: 'LambdaExecutionPolicy' }],
    ['LogLevel', { Type: 'String', Default: 'info', AllowedValues: ['info', 'warn', 'debug', 'error'] }],
  ])('parameter %s keeps the one-click name, default and constraints', (name, expected) => {
    template.hasParameter(name, expected);
  });

  it.each([
    ['AuthMode', { Type: 'String', Default: 'passthrough', AllowedValues: ['passthrough', 'iam', 'token'] }],
    ['CreateDatabaseAndTable', { Type: 'String', Default: 'false', AllowedValues: ['false', 'true'] }],
    ['MemoryStoreRetentionPeriodInHours', { Type: 'Number', Default: 24, MinValue: 1, MaxValue: 8766 }],
    ['MagneticStoreRetentionPeriodInDays', { Type: 'Number', Default: 365, MinValue: 1, MaxValue: 73000 }],
  ])('new parameter %s defaults to the one-click behaviour', (name, expected) => {
    template.hasParameter(name, expected);
  });

  it('groups every parameter for the console', () => {
    const groups = (
      template.toJSON().Metadata['AWS::CloudFormation::Interface'].ParameterGroups as {
        Parameters: string[];
      }[]
    ).flatMap((group) => group.Parameters);
    expect(groups.sort()).toEqual(
      Object.keys(template.findParameters('*'))
        .filter((name) => !name.startsWith('BootstrapVersion'))
        .sort(),
    );
  });

  it('has the one-click outputs (and the token secret in the token and iam modes)', () => {
    expect(Object.keys(deployed(template, {}).outputs).sort()).toEqual(
      ['DefaultDatabase', 'DefaultTable', 'InvokeReadURL', 'InvokeWriteURL'].sort(),
    );
    for (const AuthMode of ['token', 'iam'])
      expect(deployed(template, { AuthMode }).outputs.TokenSecretArn).toEqual({
        Ref: expect.stringMatching(/TokenSecret/),
      });
    template.hasOutput('InvokeWriteURL', {
      Value: {
        'Fn::Join': [
          '',
          Match.arrayWith([
            Match.stringLikeRegexp('^https://$'),
            '/',
            { Ref: 'APIGatewayStageName' },
            '/write',
          ]),
        ],
      },
    });
    template.hasOutput('DefaultTable', { Value: { Ref: 'DefaultTable' } });
  });

  it('routes POST /write and POST /read to the function (payload 2.0, the integration timeout)', () => {
    expect(
      ofType(deployed(template, {}), 'AWS::ApiGatewayV2::Route').map((route) => route.Properties.RouteKey),
    ).toEqual(['POST /write', 'POST /read']);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      TimeoutInMillis: { Ref: 'ApiGatewayTimeoutInMillis' },
    });
  });

  it('throttles each route on the named stage, after the routes exist, with access logs', () => {
    const stages = template.findResources('AWS::ApiGatewayV2::Stage');
    const [stage] = Object.values(stages) as { Properties: Record<string, unknown>; DependsOn?: string[] }[];
    expect(stage?.Properties).toMatchObject({
      StageName: { Ref: 'APIGatewayStageName' },
      AutoDeploy: true,
      RouteSettings: {
        'POST /write': { ThrottlingBurstLimit: { Ref: 'WriteThrottlingBurstLimit' } },
        'POST /read': { ThrottlingBurstLimit: { Ref: 'ReadThrottlingBurstLimit' } },
      },
      AccessLogSettings: {
        DestinationArn: expect.anything(),
        Format: expect.stringContaining('$context.status'),
      },
    });
    const routes = Object.keys(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(stage?.DependsOn).toEqual(expect.arrayContaining(routes));
  });

  it('runs a current Node.js runtime on ARM_64 with the parameters and the connector’s configuration', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: { Ref: 'MemorySize' },
      Timeout: { Ref: 'LambdaTimeoutInSeconds' },
      Environment: {
        Variables: Match.objectLike({
          default_database: { Ref: 'DefaultDatabase' },
          default_table: { Ref: 'DefaultTable' },
          log_level: { Ref: 'LogLevel' },
        }),
      },
    });
  });

  it('leaves NODE_OPTIONS to the caller: the bundle maps its own stack traces, at no cold-start cost', () => {
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    }[];
    expect(fn?.Properties.Environment.Variables).not.toHaveProperty('NODE_OPTIONS');
  });

  it.each([
    {
      AuthMode: 'passthrough',
      write: 'NONE',
      read: 'NONE',
      auth: 'passthrough',
      secrets: 0,
      secretVariable: false,
      iamRoutes: undefined,
    },
    // Prometheus signs remote_write only: /read is left to the function's bearer-token check, and
    // the function skips the token only on /write, for requests API Gateway IAM-authorized.
    {
      AuthMode: 'iam',
      write: 'AWS_IAM',
      read: 'NONE',
      auth: 'iam',
      secrets: 1,
      secretVariable: true,
      iamRoutes: 'write',
    },
    {
      AuthMode: 'token',
      write: 'NONE',
      read: 'NONE',
      auth: 'iam',
      secrets: 1,
      secretVariable: true,
      iamRoutes: undefined,
    },
  ])(
    'AuthMode=$AuthMode: /write authorizes with $write, /read with $read, the function runs auth=$auth, $secrets token secret(s), IAM-authorized routes $iamRoutes',
    ({ AuthMode, write, read, auth, secrets, secretVariable, iamRoutes }) => {
      const resources = deployed(template, { AuthMode });
      expect(
        Object.fromEntries(
          ofType(resources, 'AWS::ApiGatewayV2::Route').map((route) => [
            route.Properties.RouteKey,
            route.Properties.AuthorizationType,
          ]),
        ),
      ).toEqual({ 'POST /write': write, 'POST /read': read });
      const [fn] = ofType(resources, 'AWS::Lambda::Function');
      const environment = fn?.Properties.Environment as { Variables: Record<string, unknown> } | undefined;
      const variables = environment?.Variables ?? {};
      expect(variables.auth).toBe(auth);
      expect(variables.iam_authorized_routes).toBe(iamRoutes);
      expect('auth_token_secret' in variables).toBe(secretVariable);
      expect(ofType(resources, 'AWS::SecretsManager::Secret')).toHaveLength(secrets);
      // The grant to read it exists exactly when the secret does, and names it.
      const secretGrants = ofType(resources, 'AWS::IAM::Policy').filter((policy) =>
        JSON.stringify(policy.Properties).includes('secretsmanager:GetSecretValue'),
      );
      expect(secretGrants).toHaveLength(secrets);
      if (secretVariable)
        expect(JSON.stringify(secretGrants[0]?.Properties)).toContain(
          JSON.stringify(variables.auth_token_secret),
        );
    },
  );

  it('decides the token secret, its grant and its output by one condition: AuthMode is iam or token', () => {
    const json = template.toJSON() as {
      Conditions: Record<string, unknown>;
      Resources: Record<string, { Type: string; Condition?: string; Properties: Record<string, unknown> }>;
      Outputs: Record<string, { Condition?: string }>;
    };
    const [condition] = Object.keys(json.Conditions).filter((name) => name.includes('AuthModeIsIamOrToken'));
    const [iam] = Object.keys(json.Conditions).filter((name) => /AuthModeIsIam[A-F0-9]{8}$/.test(name));
    const [token] = Object.keys(json.Conditions).filter((name) => /AuthModeIsToken[A-F0-9]{8}$/.test(name));
    expect(condition).toBeDefined();
    expect(json.Conditions[condition as string]).toEqual({
      'Fn::Or': expect.arrayContaining([{ Condition: iam }, { Condition: token }]),
    });
    const secrets = Object.values(json.Resources).filter((r) => r.Type === 'AWS::SecretsManager::Secret');
    expect(secrets.map((secret) => secret.Condition)).toEqual([condition]);
    const grants = Object.values(json.Resources).filter(
      (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties).includes('GetSecretValue'),
    );
    expect(grants.map((grant) => grant.Condition)).toEqual([condition]);
    expect(json.Outputs.TokenSecretArn?.Condition).toBe(condition);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          auth_token_secret: { 'Fn::If': [condition, { Ref: Match.anyValue() }, { Ref: 'AWS::NoValue' }] },
        }),
      },
    });
    // Only /write is authorized by IAM, and only in iam mode.
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /write',
      AuthorizationType: { 'Fn::If': [iam, 'AWS_IAM', 'NONE'] },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /read',
      AuthorizationType: 'NONE',
    });
  });

  it('grants least privilege in the policy named by ExecutionPolicyName', () => {
    const tableArn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':timestream:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':database/',
          { Ref: 'DefaultDatabase' },
          '/table/',
          { Ref: 'DefaultTable' },
        ],
      ],
    };
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: { Ref: 'ExecutionPolicyName' },
      PolicyDocument: {
        Statement: [
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Effect: 'Allow',
            Resource: Match.anyValue(),
          },
          { Action: 'timestream:DescribeEndpoints', Effect: 'Allow', Resource: '*' },
          { Action: ['timestream:WriteRecords', 'timestream:Select'], Effect: 'Allow', Resource: tableArn },
        ],
      },
    });
    expect(ofType(deployed(template, {}), 'AWS::IAM::Policy')).toHaveLength(1);
  });

  it.each(
    ['passthrough', 'iam', 'token'].flatMap((AuthMode) =>
      ['false', 'true'].map((create) => [AuthMode, create]),
    ),
  )(
    'AuthMode=%s CreateDatabaseAndTable=%s: every reference and dependency is to a resource that is created',
    (AuthMode, CreateDatabaseAndTable) => {
      expect(() =>
        deployed(template, {
          AuthMode: AuthMode as string,
          CreateDatabaseAndTable: CreateDatabaseAndTable as string,
        }),
      ).not.toThrow();
    },
  );

  it('(the evaluation refuses a reference to a resource whose condition is false, as CloudFormation does)', () => {
    const broken = Template.fromJSON({
      Parameters: { Create: { Type: 'String', Default: 'false' } },
      Conditions: { ShouldCreate: { 'Fn::Equals': [{ Ref: 'Create' }, 'true'] } },
      Resources: {
        Secret: { Type: 'AWS::SecretsManager::Secret', Condition: 'ShouldCreate', Properties: {} },
        Reader: {
          Type: 'AWS::IAM::Policy',
          Properties: { Resource: { Ref: 'Secret' } },
          DependsOn: ['Secret'],
        },
      },
    });
    expect(() => deployed(broken, {})).toThrow('Reader references Secret, which is not created for {}');
    expect(() => deployed(broken, { Create: 'true' })).not.toThrow();
  });

  it('creates no database or table by default (the one-click template used existing ones)', () => {
    const resources = deployed(template, {});
    expect(ofType(resources, 'AWS::Timestream::Database')).toEqual([]);
    expect(ofType(resources, 'AWS::Timestream::Table')).toEqual([]);
  });

  it('creates them, with the retention parameters, with CreateDatabaseAndTable=true', () => {
    const resources = deployed(template, { CreateDatabaseAndTable: 'true' });
    expect(ofType(resources, 'AWS::Timestream::Database')).toHaveLength(1);
    expect(ofType(resources, 'AWS::Timestream::Table')).toHaveLength(1);
    template.hasResourceProperties('AWS::Timestream::Database', { DatabaseName: { Ref: 'DefaultDatabase' } });
    template.hasResource('AWS::Timestream::Table', {
      Properties: {
        DatabaseName: { Ref: 'DefaultDatabase' },
        TableName: { Ref: 'DefaultTable' },
        RetentionProperties: {
          MemoryStoreRetentionPeriodInHours: { Ref: 'MemoryStoreRetentionPeriodInHours' },
          MagneticStoreRetentionPeriodInDays: { Ref: 'MagneticStoreRetentionPeriodInDays' },
        },
      },
      DependsOn: [Match.stringLikeRegexp('Database')],
      DeletionPolicy: 'Retain',
    });
  });
});

describe('deployer-policy.json (what the README tells a deploying user or execution role to hold)', () => {
  /** What CloudFormation calls to create each resource type; a new type fails until listed. */
  const CREATE_ACTIONS: Readonly<Record<string, readonly string[]>> = {
    'AWS::ApiGatewayV2::Api': ['apigateway:POST'],
    'AWS::ApiGatewayV2::Integration': ['apigateway:POST'],
    'AWS::ApiGatewayV2::Route': ['apigateway:POST'],
    'AWS::ApiGatewayV2::Stage': ['apigateway:POST', 'logs:CreateLogDelivery', 'logs:PutResourcePolicy'],
    'AWS::Lambda::Function': ['lambda:CreateFunction', 'iam:PassRole', 's3:GetObject'],
    'AWS::Lambda::Permission': ['lambda:AddPermission'],
    'AWS::IAM::Role': ['iam:CreateRole'],
    'AWS::IAM::Policy': ['iam:PutRolePolicy'],
    'AWS::Logs::LogGroup': ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'],
    'AWS::SecretsManager::Secret': ['secretsmanager:CreateSecret', 'secretsmanager:GetRandomPassword'],
    'AWS::Timestream::Database': ['timestream:CreateDatabase'],
    'AWS::Timestream::Table': ['timestream:CreateTable'],
    'AWS::CDK::Metadata': [],
  };
  const policy = JSON.parse(readFileSync(join(__dirname, '..', 'deployer-policy.json'), 'utf8')) as {
    Statement: { Action: string[] }[];
  };
  const actions = new Set(policy.Statement.flatMap((statement) => statement.Action));

  it('holds what CloudFormation calls to create every resource type of the template, in every mode', () => {
    const types = new Set(
      Object.values(synthStack().template.toJSON().Resources as Record<string, { Type: string }>).map(
        (resource) => resource.Type,
      ),
    );
    const missing = [...types].flatMap((type) =>
      CREATE_ACTIONS[type] === undefined
        ? [`${type}: not listed`]
        : (CREATE_ACTIONS[type] ?? [])
            .filter((action) => !actions.has(action))
            .map((action) => `${type}: ${action}`),
    );
    expect(missing).toEqual([]);
    expect([...actions].filter((action) => action.startsWith('cloudformation:'))).toEqual(
      expect.arrayContaining(['cloudformation:CreateChangeSet', 'cloudformation:ExecuteChangeSet']),
    );
  });
});

describe('PrometheusTimestreamConnector (imported into another app, props only)', () => {
  const build = (props: ConstructorParameters<typeof PrometheusTimestreamConnector>[2]) => {
    const stack = new Stack(new App(), 'Other');
    const connector = new PrometheusTimestreamConnector(stack, 'Prom', props);
    return { connector, template: Template.fromStack(stack) };
  };

  it('iam mode: /write uses API Gateway IAM authorization, /read the bearer token of a generated secret', () => {
    const { template, connector } = build({
      authMode: 'iam',
      stageName: 'prod',
      databaseName: 'db1',
      tableName: 'table1',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /write',
      AuthorizationType: 'AWS_IAM',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /read',
      AuthorizationType: 'NONE',
    });
    expect(connector.tokenSecret).toBeDefined();
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          auth: 'iam',
          auth_token_secret: { Ref: Match.stringLikeRegexp('TokenSecret') },
          default_database: 'db1',
          default_table: 'table1',
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: { Ref: Match.stringLikeRegexp('TokenSecret') },
          }),
        ],
      },
    });
    // A synth-time mode adds no condition.
    expect(JSON.stringify(template.toJSON())).not.toContain('"Condition"');
  });

  it('iam mode with a given tokenSecret: no secret is generated, the function reads the given one', () => {
    const stack = new Stack(new App(), 'Other');
    const given = Secret.fromSecretCompleteArn(
      stack,
      'Given',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prometheus-token-AbCdEf',
    );
    const connector = new PrometheusTimestreamConnector(stack, 'Prom', {
      authMode: 'iam',
      tokenSecret: given,
    });
    const template = Template.fromStack(stack);
    expect(connector.tokenSecret).toBe(given);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ auth_token_secret: given.secretArn }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Resource: given.secretArn })] },
    });
  });

  it('token mode: a generated secret the function may read, named in its environment', () => {
    const { template, connector } = build({ authMode: 'token' });
    expect(connector.tokenSecret).toBeDefined();
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ auth: 'iam', auth_token_secret: { Ref: Match.anyValue() } }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] }),
        ]),
      },
    });
  });

  it('takes throttling rates, memory and the architecture from props', () => {
    const { template, connector } = build({
      writeThrottling: { burstLimit: 50, rateLimit: 20 },
      memorySize: 1024,
      architecture: Architecture.X86_64,
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      RouteSettings: {
        'POST /write': { ThrottlingBurstLimit: 50, ThrottlingRateLimit: 20 },
        'POST /read': { ThrottlingBurstLimit: 1200 },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 1024, Architectures: ['x86_64'] });
    expect(connector.function.node.id).toBe('Function');
  });

  it('creates the database and table, with magnetic-store writes reporting rejects to a bucket', () => {
    const stack = new Stack(new App(), 'Other');
    const bucket = Bucket.fromBucketName(stack, 'Rejects', 'my-rejected-records');
    const connector = new PrometheusTimestreamConnector(stack, 'Prom', {
      createDatabaseAndTable: true,
      memoryStoreRetentionHours: 6,
      magneticStoreWrites: { rejectedDataBucket: bucket, rejectedDataPrefix: 'prometheus/' },
    });
    const template = Template.fromStack(stack);
    expect(connector.database).toBeDefined();
    template.hasResource('AWS::Timestream::Table', {
      Properties: {
        DatabaseName: 'PrometheusDatabase',
        TableName: 'PrometheusMetricsTable',
        RetentionProperties: {
          MemoryStoreRetentionPeriodInHours: '6',
          MagneticStoreRetentionPeriodInDays: '365',
        },
        MagneticStoreWriteProperties: {
          EnableMagneticStoreWrites: true,
          MagneticStoreRejectedDataLocation: {
            S3Configuration: {
              BucketName: 'my-rejected-records',
              EncryptionOption: 'SSE_S3',
              ObjectKeyPrefix: 'prometheus/',
            },
          },
        },
      },
      DeletionPolicy: 'Retain',
    });
    // Created unconditionally: a synth-time choice adds no condition.
    expect(JSON.stringify(template.toJSON())).not.toContain('"Condition"');
  });

  it('applies function overrides, but keeps the code, handler, role and environment its own', () => {
    const { template } = build({
      functionOverrides: { reservedConcurrentExecutions: 20, tracing: Tracing.ACTIVE, memorySize: 2048 },
      memorySize: 1024,
      logLevel: 'debug',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 20,
      TracingConfig: { Mode: 'Active' },
      MemorySize: 2048,
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ log_level: 'debug', auth: 'passthrough' }) },
    });
  });

  it('in a VPC (functionOverrides.vpc), gives its role the network-interface policy Lambda gives roles it creates', () => {
    const stack = new Stack(new App(), 'Other');
    const vpc = Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a'],
      privateSubnetIds: ['subnet-0123456789abcdef0'],
    });
    new PrometheusTimestreamConnector(stack, 'Prom', { functionOverrides: { vpc } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
            ],
          ],
        },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: ['subnet-0123456789abcdef0'] },
    });
  });

  it.each([
    [{ logLevel: 'warning' }, 'logLevel must be one of debug, info, warn, error, got "warning"'],
    [{ databaseName: 'db' }, 'databaseName must be 3 to 256 letters, digits, "_", "." or "-", got "db"'],
    [{ tableName: 'my table' }, 'tableName must be 3 to 256 letters'],
    [{ memoryStoreRetentionHours: 6 }, 'memoryStoreRetentionHours applies only with createDatabaseAndTable'],
    [
      { createDatabaseAndTable: false, magneticStoreRetentionDays: 30 },
      'magneticStoreRetentionDays applies only with createDatabaseAndTable',
    ],
    [
      { authMode: 'passthrough' as const, tokenSecret: {} as never },
      'tokenSecret applies only with authMode "token" or "iam", got "passthrough"',
    ],
    [
      { tokenSecret: {} as never },
      'tokenSecret applies only with authMode "token" or "iam", got "passthrough"',
    ],
  ])('refuses %j at synth time', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  it('refuses an unknown auth mode', () => {
    expect(() => build({ authMode: 'basic' as 'iam' })).toThrow(
      'authMode must be one of passthrough, iam, token, got "basic"',
    );
  });
});

describe('the synthesized Lambda asset', () => {
  it.each([
    {
      architecture: Architecture.ARM_64,
      binary: 'snappy.linux-arm64-gnu.node',
      machine: 0xb7,
      name: 'AArch64',
    },
    { architecture: Architecture.X86_64, binary: 'snappy.linux-x64-gnu.node', machine: 0x3e, name: 'x86-64' },
  ])(
    '$architecture.name: the handler bundle and an $name snappy binding',
    ({ architecture, binary, machine }) => {
      const { app, template } = synthStack({ architecture });
      const assembly = app.synth();
      const [fn] = Object.values(template.findResources('AWS::Lambda::Function')) as {
        Properties: { Code: { S3Key: string } };
      }[];
      const hash = fn?.Properties.Code.S3Key.replace(/\.zip$/, '') ?? '';
      const asset = join(assembly.directory, `asset.${hash}`);
      expect(existsSync(join(asset, 'index.mjs'))).toBe(true);
      const arch = binary.split('.')[1];
      expect(elfMachine(join(asset, 'node_modules', '@napi-rs', `snappy-${arch}`, binary))).toBe(machine);
    },
  );
});
