// The Jest project definition shared by the unit (jest.config.cjs) and end-to-end
// (jest.e2e.config.cjs) configurations: TypeScript stripped by swc (types are checked separately
// by `npm run typecheck`), sources imported from `src/` directly.
const path = require('node:path');

const PACKAGES = ['codec', 'timestream-local', 'connector', 'infra'];

const swcTransform = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  },
];

const project = (name, testMatch) => ({
  displayName: name,
  rootDir: path.join(__dirname, 'packages', name),
  testMatch,
  transform: { '^.+\\.ts$': swcTransform },
  moduleNameMapper: {
    // Sources use NodeNext-style `./x.js` specifiers; Jest resolves them to the `.ts` file.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^@prometheus-timestream/(codec|timestream-local|connector|infra)$': path.join(
      __dirname,
      'packages/$1/src/index.ts',
    ),
    // The option table infra imports without the connector's runtime.
    '^@prometheus-timestream/connector/options$': path.join(__dirname, 'packages/connector/src/options.ts'),
  },
  testEnvironment: 'node',
});

module.exports = { PACKAGES, project };
