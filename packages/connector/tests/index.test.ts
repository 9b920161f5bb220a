import { CONNECTOR_PACKAGE } from '../src/index.js';

describe('connector placeholder', () => {
  it('exports its package name until the write-path issue lands', () => {
    expect(CONNECTOR_PACKAGE).toBe('@prometheus-timestream/connector');
  });
});
