/**
 * cdk-nag's AwsSolutions pack over the stack (every auth mode, decided at deploy time) and over
 * the construct in each auth mode fixed at synth time: no finding is left unanswered; the
 * construct fixes what it can and acknowledges the rest, with a reason, where it arises.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  type ConnectorAuthMode,
  PrometheusTimestreamConnector,
  PrometheusTimestreamConnectorStack,
} from '../src/index.js';

const unansweredFindings = (app: App): string => {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (error) {
    return (error as Error).message;
  }
  return '';
};

describe('cdk-nag AwsSolutions', () => {
  it('the stack, with the auth mode and the database and table left to parameters: no unanswered finding', () => {
    const app = new App();
    new PrometheusTimestreamConnectorStack(app, 'PrometheusTimestreamConnector');
    expect(unansweredFindings(app)).toBe('');
  });

  it.each<ConnectorAuthMode>(['passthrough', 'iam', 'token'])(
    'the construct in %s mode, under another id in another stack, in a VPC: no unanswered finding',
    (authMode) => {
      const app = new App();
      const stack = new Stack(app, 'Other');
      new PrometheusTimestreamConnector(stack, 'Prom', {
        authMode,
        createDatabaseAndTable: true,
        magneticStoreWrites: { rejectedDataBucket: Bucket.fromBucketName(stack, 'Rejects', 'rejects') },
        functionOverrides: {
          vpc: Vpc.fromVpcAttributes(stack, 'Vpc', {
            vpcId: 'vpc-0123456789abcdef0',
            availabilityZones: ['eu-west-1a'],
            privateSubnetIds: ['subnet-0123456789abcdef0'],
          }),
        },
      });
      expect(unansweredFindings(app)).toBe('');
    },
  );

  /** The reasons acknowledged for `AwsSolutions-APIG4` (a route without API Gateway authorization) on a route. */
  const apig4Reasons = (route: PrometheusTimestreamConnector['writeRoute']): string[] =>
    route.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>)
          .filter(([id]) => id.endsWith('AwsSolutions-APIG4'))
          .map(([, reason]) => reason),
      );

  it.each([
    {
      authMode: 'iam' as const,
      write: [],
      read: [expect.stringMatching(/^iam mode: .*bearer token.*constant-time/)],
    },
    {
      authMode: 'token' as const,
      write: [expect.stringMatching(/^token mode: /)],
      read: [expect.stringMatching(/^token mode: /)],
    },
    {
      authMode: 'passthrough' as const,
      write: [expect.stringMatching(/^passthrough mode: /)],
      read: [expect.stringMatching(/^passthrough mode: /)],
    },
  ])(
    '$authMode mode: each route without IAM authorization acknowledges AwsSolutions-APIG4 once, with its reason',
    ({ authMode, write, read }) => {
      const connector = new PrometheusTimestreamConnector(new Stack(new App(), 'Other'), 'Prom', {
        authMode,
      });
      expect(apig4Reasons(connector.writeRoute)).toEqual(write);
      expect(apig4Reasons(connector.readRoute)).toEqual(read);
    },
  );

  it('the stack (mode left to AuthMode): /read names the iam mode’s bearer token among its reasons, /write does not', () => {
    const app = new App();
    const { connector } = new PrometheusTimestreamConnectorStack(app, 'PrometheusTimestreamConnector');
    expect(apig4Reasons(connector.readRoute)).toEqual([expect.stringContaining('iam mode: ')]);
    expect(apig4Reasons(connector.writeRoute)).toEqual([expect.not.stringContaining('iam mode')]);
  });
});
