// The "attacks that must fail" suite (issue 8): hostile clients against the real server, core
// handler and Lambda adapter, in tests/attacks. Kept out of the unit run (jest.config.cjs).
const { PACKAGES, project } = require('./jest.project.cjs');

module.exports = {
  projects: PACKAGES.map((name) => project(name, ['<rootDir>/tests/attacks/**/*.test.ts'])),
  passWithNoTests: true,
};
