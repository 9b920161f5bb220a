// The CDK app behind `npx cdk synth` / `npx cdk deploy`: one stack, named
// PrometheusTimestreamConnector unless the `stackName` context says otherwise. Choices fixed at
// synth time come from context (`-c authMode=iam`, `-c createDatabaseAndTable=true`,
// `-c architecture=x86_64`); everything else is a CloudFormation parameter.

import { PrometheusTimestreamConnectorStack } from '@prometheus-timestream/infra';
import { App } from 'aws-cdk-lib';
import { Architecture } from 'aws-cdk-lib/aws-lambda';

const app = new App();
const context = (name) => app.node.tryGetContext(name);
const authMode = context('authMode') ?? 'passthrough';
if (!['passthrough', 'iam', 'token'].includes(authMode))
  throw new Error(`context authMode must be passthrough, iam or token, got "${authMode}"`);
new PrometheusTimestreamConnectorStack(app, context('stackName') ?? 'PrometheusTimestreamConnector', {
  authMode,
  createDatabaseAndTable: String(context('createDatabaseAndTable')) === 'true',
  architecture: context('architecture') === 'x86_64' ? Architecture.X86_64 : Architecture.ARM_64,
});
