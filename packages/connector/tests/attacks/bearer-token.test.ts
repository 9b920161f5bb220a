/**
 * Attack: get past the bearer token of `iam` mode with something that is almost the token, or
 * learn it byte by byte from how long the check takes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearerTokenCheck } from '../../src/auth.js';
import { UnauthorizedError } from '../../src/errors.js';
import { basicAuth, type Harness, nodeSeries, startHarness, text, writeBody } from '../../support/harness.js';

const TOKEN = 'Zx4vQm9TgR2kLp7WcN1yHb6JdF3sAe8U';
const REFUSAL =
  'missing or wrong bearer token: configure Prometheus remote_write authorization: { type: Bearer, credentials_file: ... }\n';

describe('bearer-token mode', () => {
  let directory: string;
  let h: Harness;
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'bearer-attack-'));
    const tokenFile = join(directory, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    h = await startHarness({ flags: ['--auth=iam', `--auth-token-file=${tokenFile}`] });
  });
  afterAll(async () => {
    await h.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  const flipCase = (token: string): string =>
    [...token].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');

  it.each([
    { description: 'a wrong token', authorization: 'Bearer wrong-token' },
    { description: 'no Authorization header', authorization: undefined },
    { description: 'an empty header', authorization: '' },
    { description: 'the scheme without a token', authorization: 'Bearer ' },
    { description: 'the token without a scheme', authorization: TOKEN },
    { description: 'the token as basic auth', authorization: `Basic ${TOKEN}` },
    { description: 'the token base64 as basic auth', authorization: basicAuth(TOKEN, TOKEN) },
    { description: 'a prefix of the token', authorization: `Bearer ${TOKEN.slice(0, -1)}` },
    { description: 'the token and one character more', authorization: `Bearer ${TOKEN}x` },
    { description: 'the token in another case', authorization: `Bearer ${flipCase(TOKEN)}` },
    { description: 'the token twice', authorization: `Bearer ${TOKEN} ${TOKEN}` },
    { description: 'two bearer credentials', authorization: `Bearer ${TOKEN}, Bearer ${TOKEN}` },
    { description: 'the token with a NUL appended', authorization: `Bearer ${TOKEN}\u0000` },
    { description: 'the token quoted', authorization: `Bearer "${TOKEN}"` },
  ])('refuses $description with 401 and the same readable message', async ({ authorization }) => {
    // Act
    const response = await h.post(writeBody(nodeSeries(1, Date.now(), 'bearer-refused')), { authorization });

    // Assess: the same text whatever was wrong, and nothing was written.
    expect(response.status).toBe(401);
    expect(text(response)).toBe(REFUSAL);
    expect(text(response)).not.toContain(TOKEN.slice(0, 8));
  });

  it('sent nothing to Timestream for any refused request', () => {
    expect(h.emulator.requests().filter((r) => r.operation === 'WriteRecords')).toEqual([]);
  });

  it.each([
    { description: 'the token', authorization: `Bearer ${TOKEN}` },
    { description: 'a lower-case scheme (schemes are case-insensitive)', authorization: `bearer ${TOKEN}` },
  ])('accepts $description', async ({ authorization }) => {
    const job = `bearer-ok-${authorization.slice(0, 6)}`;
    const response = await h.post(writeBody(nodeSeries(2, Date.now(), job)), { authorization });
    expect(response.status).toBe(204);
    const rows = await h.query(`SELECT count(*) AS n FROM "prom"."metrics" WHERE job = '${job}'`);
    expect(Number(rows[0]?.n)).toBe(2);
  });

  it('takes as long for a token wrong in its first character as for one wrong only in its last', () => {
    // Prepare: same length as the token; a byte-by-byte comparison would return at once for the first.
    const check = bearerTokenCheck(TOKEN);
    const wrongFirst = `Bearer ${TOKEN[0] === 'a' ? 'b' : 'a'}${TOKEN.slice(1)}`;
    const wrongLast = `Bearer ${TOKEN.slice(0, -1)}${TOKEN.at(-1) === 'a' ? 'b' : 'a'}`;
    const BATCHES = 200;
    const CALLS = 500;
    const batch = (authorization: string): number => {
      const started = process.hrtime.bigint();
      for (let i = 0; i < CALLS; i++) {
        try {
          check(authorization, 'remote_write');
        } catch (error) {
          if (!(error instanceof UnauthorizedError)) throw error;
        }
      }
      return Number(process.hrtime.bigint() - started);
    };
    // Warm up both paths, so the JIT has compiled them before anything is measured.
    for (let i = 0; i < 20; i++) batch(i % 2 === 0 ? wrongFirst : wrongLast);

    // Act: interleaved, alternating which goes first, so drifts of the machine hit both alike.
    const first: number[] = [];
    const last: number[] = [];
    for (let i = 0; i < BATCHES; i++) {
      if (i % 2 === 0) {
        first.push(batch(wrongFirst));
        last.push(batch(wrongLast));
      } else {
        last.push(batch(wrongLast));
        first.push(batch(wrongFirst));
      }
    }

    // Assess: medians within a band wide enough for a noisy machine, narrow enough for an early exit
    // on the first byte (which would make `first` several times faster).
    const median = (values: number[]): number => {
      const sorted = [...values].sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)] as number;
    };
    const ratio = median(first) / median(last);
    expect(ratio).toBeGreaterThan(0.7);
    expect(ratio).toBeLessThan(1.4);
  }, 30_000);
});
