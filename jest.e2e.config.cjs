// End-to-end tests run real peers (Prometheus, the Timestream emulator) and live in tests/e2e.
const { PACKAGES, project } = require('./jest.project.cjs');

module.exports = {
  projects: PACKAGES.map((name) => project(name, ['<rootDir>/tests/e2e/**/*.test.ts'])),
  passWithNoTests: true,
};
