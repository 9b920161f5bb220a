import { INFRA_PACKAGE } from '../src/index.js';

describe('infra placeholder', () => {
  it('exports its package name until the infrastructure issue lands', () => {
    expect(INFRA_PACKAGE).toBe('@prometheus-timestream/infra');
  });
});
