// One Jest configuration for the whole monorepo: a project per package, unit tests only.
const { PACKAGES, project } = require('./jest.project.cjs');

module.exports = {
  projects: PACKAGES.map((name) =>
    project(name, ['<rootDir>/tests/**/*.test.ts', '!<rootDir>/tests/e2e/**']),
  ),
  collectCoverageFrom: ['<rootDir>/packages/*/src/**/*.ts'],
};
