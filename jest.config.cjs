// One Jest configuration for the whole monorepo: a project per package, unit tests only (the
// end-to-end and attack suites have their own configurations).
const { PACKAGES, project } = require('./jest.project.cjs');

module.exports = {
  // A negated testMatch glob does not exclude files named on the command line; this does.
  projects: PACKAGES.map((name) => ({
    ...project(name, ['<rootDir>/tests/**/*.test.ts']),
    testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/e2e/', '<rootDir>/tests/attacks/'],
  })),
  collectCoverageFrom: ['<rootDir>/packages/*/src/**/*.ts'],
};
