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
});
