/**
 * The deployed artifact works: the stack's synthesized X86_64 Lambda asset, loaded in a fresh Node
 * process behind an API Gateway HTTP API v2 event shim, driven by the same end-to-end suites as
 * the standalone server — Prometheus 2.42 and vmagent remote-writing, Prometheus 2.42 (SAMPLES)
 * and Prometheus 3 (STREAMED_XOR_CHUNKS) remote-reading — into the Timestream emulator. (ARM_64
 * cannot execute here; stack.test.ts checks its binding.)
 *
 * Fewer writers than the standalone server's suites: decoding and answering remote write 1.0 and
 * 2.0 is the same core code behind both adapters, and each writer costs over a minute of CI. The
 * Prometheus 3 reader costs seconds (it shares the writer) and takes the streamed answer, a body
 * the shim must carry as binary, through the Lambda path.
 */
import { describeReadE2E, READ_SCENARIOS } from '../../../connector/tests/e2e/suites/read.js';
import { describeWriteE2E, WRITE_SENDERS } from '../../../connector/tests/e2e/suites/write.js';
import { E2E_PARAMETERS, lambdaAssetTarget, synthesizeFunction } from './helpers/lambda-target.js';

const fn = synthesizeFunction(E2E_PARAMETERS);
afterAll(() => fn.remove());

describeWriteE2E(lambdaAssetTarget(fn), [WRITE_SENDERS.prometheus2, WRITE_SENDERS.vmagent]);
describeReadE2E(lambdaAssetTarget(fn), [READ_SCENARIOS.fromPrometheus2]);
