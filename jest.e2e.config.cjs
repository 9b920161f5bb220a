// End-to-end tests run real peers (Prometheus, the Timestream emulator) and live in tests/e2e.
const { PACKAGES, project } = require('./jest.project.cjs');

module.exports = {
  // Prometheus 3 is built from the Go module proxy (cached after the first run).
  globalSetup: '<rootDir>/packages/connector/tests/e2e/peers/global-setup.cjs',
  projects: PACKAGES.map((name) => project(name, ['<rootDir>/tests/e2e/**/*.test.ts'])),
  passWithNoTests: true,
};
