/**
 * Placeholder public API: the Lambda handler, local server and Timestream read/write paths
 * arrive with the write-path and read-path issues.
 */
export const CONNECTOR_PACKAGE = '@prometheus-timestream/connector';
