/**
 * The deployed artifact as an end-to-end target: the stack synthesized for X86_64 (what `cdk
 * deploy` would upload), its Lambda asset loaded in a fresh Node process behind the HTTP API v2
 * event shim (lambda-shim.mjs), with the function's environment taken from the template as
 * CloudFormation would set it for the given parameters — only the Timestream endpoints point at
 * the emulator instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { CONFIG_OPTIONS } from '../../../../connector/src/config.js';
import {
  type ConnectorStack,
  type ConnectorTarget,
  DATABASE,
  startE2EEmulator,
  TABLE,
} from '../../../../connector/support/connector-stack.js';
import { startProcess, waitFor } from '../../../../connector/support/processes.js';
import type { ExposedSample } from '../../../../connector/support/samples.js';
import { PrometheusTimestreamConnectorStack } from '../../../src/index.js';
import { deployed, ofType } from '../../helpers/deployed.js';

const SHIM = fileURLToPath(new URL('../../../../connector/support/lambda-shim.mjs', import.meta.url));

/** The function's own credentials (its role's, in Lambda): passthrough mode must never use them. */
export const ROLE_ACCESS_KEY_ID = 'ASIAE2EFUNCTIONROLE';

export interface SynthesizedFunction {
  /** The asset directory in the cloud assembly: the function's code as uploaded. */
  readonly codeDirectory: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly stageName: string;
  readonly environment: Readonly<Record<string, string>>;
  /** Route keys (`POST /write`) the HTTP API authorizes with IAM (AuthorizationType AWS_IAM). */
  readonly iamRoutes: readonly string[];
  /** Removes the cloud assembly. */
  readonly remove: () => void;
}

/**
 * Synthesizes the stack (X86_64, the one architecture this machine executes) into a temporary
 * cloud assembly and reads the function from it as deployed with `parameters`.
 */
export const synthesizeFunction = (
  parameters: Readonly<Record<string, string>>,
  /** The physical id CloudFormation would give a resource the environment references (e.g. a secret's ARN). */
  physicalId: (logicalId: string) => string = (logicalId) => {
    throw new Error(`the function's environment references ${logicalId}, and the test gave no physical id`);
  },
): SynthesizedFunction => {
  const outdir = mkdtempSync(join(tmpdir(), 'connector-assembly-'));
  const app = new App({ outdir });
  const stack = new PrometheusTimestreamConnectorStack(app, 'PrometheusTimestreamConnector', {
    architecture: Architecture.X86_64,
  });
  const template = Template.fromStack(stack);
  const assembly = app.synth();
  const resources = deployed(template, parameters);
  const [fn] = ofType(resources, 'AWS::Lambda::Function');
  const [stage] = ofType(resources, 'AWS::ApiGatewayV2::Stage');
  if (fn === undefined || stage === undefined) throw new Error('the stack has no function or no stage');
  const iamRoutes = ofType(resources, 'AWS::ApiGatewayV2::Route')
    .filter((route) => route.Properties.AuthorizationType === 'AWS_IAM')
    .map((route) => String(route.Properties.RouteKey))
    .sort();
  const properties = fn.Properties as {
    Code: { S3Key: string };
    Handler: string;
    Timeout: number | string;
    Environment: { Variables: Record<string, unknown> };
  };
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties.Environment.Variables)) {
    if (typeof value === 'string') environment[name] = value;
    else if (typeof value === 'object' && value !== null && 'Ref' in value)
      environment[name] = physicalId((value as { Ref: string }).Ref);
    else throw new Error(`environment variable ${name} is ${JSON.stringify(value)}, not text or a reference`);
  }
  return {
    codeDirectory: join(assembly.directory, `asset.${properties.Code.S3Key.replace(/\.zip$/, '')}`),
    handler: properties.Handler,
    timeoutSeconds: Number(properties.Timeout),
    stageName: String(stage.Properties.StageName),
    environment,
    iamRoutes,
    remove: () => rmSync(outdir, { recursive: true, force: true }),
  };
};

/** The connector's command-line flags as the Lambda environment variables of the same options. */
export const flagsAsEnvironment = (flags: readonly string[]): Record<string, string> => {
  const environment: Record<string, string> = {};
  for (const flag of flags) {
    const [name, value = 'true'] = flag.replace(/^--/, '').split(/=(.*)/s);
    const option = Object.values(CONFIG_OPTIONS).find((spec) => spec.flag === name);
    if (option?.env === undefined) throw new Error(`${flag} has no Lambda environment variable`);
    environment[option.env] = value;
  }
  return environment;
};

/** The shim's invocation counts as the standalone server's request counter. */
const invocationMetrics = (counts: Record<string, number>): ExposedSample[] =>
  Object.entries(counts).map(([key, value]) => {
    const [, path, code] = /^POST \/(\w+) (\d+)$/.exec(key) ?? [];
    return {
      name: 'timestream_connector_http_requests_total',
      labels: { handler: path ?? key, code: code ?? '' },
      value,
    };
  });

/** The region the shim's API is in: what a caller's SigV4 credential scope must name. */
export const SHIM_REGION = 'us-east-1';

/**
 * @param environment - variables Lambda's environment would add (e.g. service endpoints of stubs)
 * @param iamCallers - access key id → secret access key of the IAM identities allowed to call the
 *   routes the stack authorizes with IAM (`fn.iamRoutes`); no one else gets through them
 */
export const lambdaAssetTarget = (
  fn: SynthesizedFunction,
  environment: Readonly<Record<string, string>> = {},
  iamCallers: Readonly<Record<string, string>> = {},
): ConnectorTarget => ({
  name: 'the synthesized x86_64 Lambda asset behind an HTTP API v2 shim',
  start: async (flags = []): Promise<ConnectorStack> => {
    const emulator = await startE2EEmulator();
    const workDir = mkdtempSync(join(tmpdir(), 'connector-lambda-'));
    const logFile = join(workDir, 'lambda.log');
    const shim = startProcess(
      'lambda-shim',
      process.execPath,
      [
        SHIM,
        fn.codeDirectory,
        fn.handler,
        fn.stageName,
        String(fn.timeoutSeconds),
        JSON.stringify({ routes: fn.iamRoutes, region: SHIM_REGION, callers: iamCallers }),
      ],
      {
        cwd: workDir,
        logFile,
        // What Lambda gives a function: its configured variables, the region and its role's
        // credentials; nothing of this test process's environment.
        env: {
          PATH: process.env.PATH,
          LANG: 'C',
          TZ: 'UTC',
          AWS_REGION: SHIM_REGION,
          AWS_DEFAULT_REGION: SHIM_REGION,
          AWS_LAMBDA_FUNCTION_NAME: 'PrometheusTimestreamConnector-Function',
          AWS_ACCESS_KEY_ID: ROLE_ACCESS_KEY_ID,
          AWS_SECRET_ACCESS_KEY: 'function-role-secret',
          AWS_SESSION_TOKEN: 'function-role-session',
          ...environment,
          ...fn.environment,
          ...flagsAsEnvironment(flags),
          write_base_endpoint: emulator.endpoint,
          query_base_endpoint: emulator.endpoint,
        },
      },
    );
    const logLines = () =>
      shim
        .log()
        .split('\n')
        .filter((line) => line.trim() !== '');
    try {
      const url = await waitFor(
        'the Lambda shim to listen',
        async () => {
          if (shim.exited() !== undefined) throw new Error(`the shim exited: ${shim.logTail()}`);
          const line = logLines().find((text) => text.startsWith('{"url":'));
          return line === undefined ? undefined : (JSON.parse(line) as { url: string }).url;
        },
        { timeoutMs: 30_000, describe: () => shim.logTail() },
      );
      const base = `${url}/${fn.stageName}`;
      return {
        emulator,
        writeUrl: `${base}/write`,
        readUrl: `${base}/read`,
        // The function logs at the configured level (the suites' parameters say warn); everything
        // but the shim's address line is a warning, as it would be in CloudWatch.
        get warnings() {
          return logLines().filter((line) => !line.startsWith('{"url":'));
        },
        metrics: async () => {
          const response = await fetch(`${url}/__shim/invocations`);
          return invocationMetrics((await response.json()) as Record<string, number>);
        },
        stop: async () => {
          await shim.stop(5_000);
          await emulator.stop();
          rmSync(workDir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      await shim.stop(1_000);
      await emulator.stop();
      throw error;
    }
  },
});

/** The parameters the suites deploy with: their database and table, warnings only. */
export const E2E_PARAMETERS = { DefaultDatabase: DATABASE, DefaultTable: TABLE, LogLevel: 'warn' } as const;
