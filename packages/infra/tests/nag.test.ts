/**
 * cdk-nag's AwsSolutions pack over the stack in each auth mode: no finding is left unanswered;
 * the construct fixes what it can and acknowledges the rest, with a reason, where it arises.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  type ConnectorAuthMode,
  PrometheusTimestreamConnector,
  PrometheusTimestreamConnectorStack,
} from '../src/index.js';

describe('cdk-nag AwsSolutions', () => {
  it.each<ConnectorAuthMode>(['passthrough', 'iam', 'token'])(
    '%s mode: no unanswered finding',
    (authMode) => {
      const app = new App();
      new PrometheusTimestreamConnectorStack(app, 'PrometheusTimestreamConnector', {
        authMode,
        createDatabaseAndTable: true,
      });
      // The construct under another id in another stack: no acknowledgement may depend on ids.
      new PrometheusTimestreamConnector(new Stack(app, 'Other'), 'Prom', {
        authMode,
        createDatabaseAndTable: true,
      });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      let failure = '';
      try {
        app.synth();
      } catch (error) {
        failure = (error as Error).message;
      }
      expect(failure).toBe('');
    },
  );
});
