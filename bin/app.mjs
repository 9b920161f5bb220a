// The CDK app behind `npx cdk synth` / `npx cdk deploy`: one stack, named
// PrometheusTimestreamConnector unless the `stackName` context says otherwise. The architecture is
// fixed at synth time (`-c architecture=x86_64`: the asset carries its native binding); everything
// else is a CloudFormation parameter (`cdk deploy --parameters AuthMode=iam`).

import { PrometheusTimestreamConnectorStack } from '@prometheus-timestream/infra';
import { App } from 'aws-cdk-lib';
import { Architecture } from 'aws-cdk-lib/aws-lambda';

const app = new App();
const context = (name) => app.node.tryGetContext(name);
const architecture = context('architecture') ?? 'arm64';
if (!['arm64', 'x86_64'].includes(architecture))
  throw new Error(`context architecture must be arm64 or x86_64, got "${architecture}"`);
new PrometheusTimestreamConnectorStack(app, context('stackName') ?? 'PrometheusTimestreamConnector', {
  architecture: architecture === 'x86_64' ? Architecture.X86_64 : Architecture.ARM_64,
});
