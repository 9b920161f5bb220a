// End-to-end tests run real peers (Prometheus, the Timestream emulator) and live in tests/e2e.
const { project } = require('./jest.config.cjs');

module.exports = {
  projects: ['codec', 'connector', 'infra'].map((name) => project(name, ['<rootDir>/tests/e2e/**/*.test.ts'])),
  passWithNoTests: true,
};
