/**
 * Public API of the infrastructure package: the CDK construct other apps import, the deployable
 * stack, and the Lambda asset builder they share.
 */
export {
  type ConnectorAuthMode,
  PrometheusTimestreamConnector,
  type PrometheusTimestreamConnectorProps,
  type RouteThrottling,
} from './connector.js';
export { buildLambdaAsset, elfMachine, LAMBDA_NODE_TARGET, type LambdaArchitecture } from './lambda-asset.js';
export { PrometheusTimestreamConnectorStack, type PrometheusTimestreamConnectorStackProps } from './stack.js';
