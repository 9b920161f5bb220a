/** The read-path end-to-end suite (suites/read.ts) against the standalone server. */
import { standaloneServer } from '../../support/connector-stack.js';
import { describeReadE2E } from './suites/read.js';

describeReadE2E(standaloneServer);
