/**
 * Placeholder public API: the CDK construct and stack arrive with the infrastructure issue.
 */
export const INFRA_PACKAGE = '@prometheus-timestream/infra';
