/**
 * The deployed artifact works: the stack's synthesized X86_64 Lambda asset, loaded in a fresh Node
 * process behind an API Gateway HTTP API v2 event shim, driven by the same end-to-end suites as
 * the standalone server — Prometheus 2.42 and vmagent remote-writing, Prometheus remote-reading —
 * into the Timestream emulator. (ARM_64 cannot execute here; stack.test.ts checks its binding.)
 */
import { describeReadE2E } from '../../../connector/tests/e2e/suites/read.js';
import { describeWriteE2E } from '../../../connector/tests/e2e/suites/write.js';
import { E2E_PARAMETERS, lambdaAssetTarget, synthesizeFunction } from './helpers/lambda-target.js';

const fn = synthesizeFunction(E2E_PARAMETERS);
afterAll(() => fn.remove());

describeWriteE2E(lambdaAssetTarget(fn));
describeReadE2E(lambdaAssetTarget(fn));
