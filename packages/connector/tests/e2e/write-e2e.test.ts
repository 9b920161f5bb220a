/** The write-path end-to-end suite (suites/write.ts) against the standalone server. */
import { standaloneServer } from './helpers/connector.js';
import { describeWriteE2E } from './suites/write.js';

describeWriteE2E(standaloneServer);
