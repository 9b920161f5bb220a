import { createClientPool } from '../src/clients.js';
import { readFlags } from '../src/config.js';

const config = readFlags(
  [
    '--default-database=prom',
    '--default-table=metrics',
    '--credential-cache-size=2',
    '--write-base-endpoint=http://127.0.0.1:9',
  ],
  {},
);
const caller = (n: number) => ({ accessKeyId: `AKIDCALLER${n}`, secretAccessKey: `secret-${n}` });

describe('createClientPool (passthrough)', () => {
  it('gives each caller its own client and the same caller the same client', () => {
    const pool = createClientPool(config);
    const first = pool.acquire(caller(1));
    const again = pool.acquire(caller(1));
    const other = pool.acquire(caller(2));
    const sameKeyOtherSecret = pool.acquire({ accessKeyId: 'AKIDCALLER1', secretAccessKey: 'different' });
    expect(again.writeClient).toBe(first.writeClient);
    expect(other.writeClient).not.toBe(first.writeClient);
    expect(sameKeyOtherSecret.writeClient).not.toBe(first.writeClient);
    pool.destroy();
  });

  it('keeps at most credential-cache-size clients and destroys an evicted one after its last request', () => {
    // Prepare
    const pool = createClientPool(config);
    const inFlight = pool.acquire(caller(1));
    const destroyInFlight = jest.spyOn(inFlight.writeClient, 'destroy');
    const idle = pool.acquire(caller(2));
    idle.release();
    const destroyIdle = jest.spyOn(idle.writeClient, 'destroy');

    // Act: two more callers evict both.
    pool.acquire(caller(3)).release();
    pool.acquire(caller(4)).release();

    // Assess
    expect(pool.size()).toBe(2);
    expect(destroyIdle).toHaveBeenCalledTimes(1);
    expect(destroyInFlight).not.toHaveBeenCalled();
    inFlight.release();
    inFlight.release();
    expect(destroyInFlight).toHaveBeenCalledTimes(1);
    pool.destroy();
  });

  it('gives each caller a query client of its own too, destroyed with its write client on eviction', async () => {
    // Prepare
    const pool = createClientPool(config);
    const first = pool.acquire(caller(1));
    const again = pool.acquire(caller(1));
    const other = pool.acquire(caller(2));
    expect(again.queryClient).toBe(first.queryClient);
    expect(other.queryClient).not.toBe(first.queryClient);
    expect(await first.queryClient.config.credentials()).toMatchObject({ accessKeyId: 'AKIDCALLER1' });
    expect(await other.queryClient.config.credentials()).toMatchObject({ accessKeyId: 'AKIDCALLER2' });
    const destroyQuery = jest.spyOn(first.queryClient, 'destroy');
    const destroyWrite = jest.spyOn(first.writeClient, 'destroy');

    // Act: both leases end, then two other callers evict the pair.
    first.release();
    again.release();
    other.release();
    pool.acquire(caller(3)).release();
    pool.acquire(caller(4)).release();

    // Assess
    expect([destroyQuery.mock.calls.length, destroyWrite.mock.calls.length]).toEqual([1, 1]);
    pool.destroy();
  });

  it('does not grow with callers cycling through many keys', () => {
    const pool = createClientPool(config);
    for (let i = 0; i < 500; i++) pool.acquire(caller(i)).release();
    expect(pool.size()).toBe(2);
    pool.destroy();
  });
});
