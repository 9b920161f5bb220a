#!/usr/bin/env node
// Runs the compiled CLI (`npm run build` compiles it; the root `prepare` script does so on install).
import '../lib/cli.js';
