// Jest globalSetup of the end-to-end configuration: builds Prometheus 3 once, before any test
// (the first build takes minutes, longer than a test's timeout; later runs find it cached), and
// hands its directory to the tests through PROMETHEUS3_DIR.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async () => {
  const output = execFileSync('bash', [path.join(__dirname, 'build-prometheus3.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.env.PROMETHEUS3_DIR = output.trim().split('\n').pop();
};
