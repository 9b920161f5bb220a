/** The write-path end-to-end suite (suites/write.ts) against the standalone server. */
import { standaloneServer } from '../../support/connector-stack.js';
import { describeWriteE2E } from './suites/write.js';

describeWriteE2E(standaloneServer);
