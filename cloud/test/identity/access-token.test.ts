import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { issueToken, looksLikeToken, verifyToken } from '../../src/identity/access-token.js';

describe('cloud/identity/access-token', () => {
  const key = randomBytes(32);
  const now = 1_800_000_000_000;

  it('verifies a token for its client until it expires', () => {
    const t = issueToken(key, 'gw1', now + 60_000);
    assert.ok(looksLikeToken(t));
    assert.deepEqual(verifyToken(key, t, 'gw1', now), { ok: true, clientId: 'gw1', expiresAt: now + 60_000 });
    assert.deepEqual(verifyToken(key, t, 'gw1', now + 60_000), { ok: false, reason: 'EXPIRED' });
  });

  const tamper = (t: string, i: number, v: string): string => {
    const p = t.split('.');
    p[i] = v;
    return p.join('.');
  };
  const CASES: Array<[string, (t: string) => string, string]> = [
    ['a different key', () => issueToken(randomBytes(32), 'gw1', now + 60_000), 'BAD_SIGNATURE'],
    ['an extended expiry', (t) => tamper(t, 2, String(Math.floor(now / 1000) + 999_999)), 'BAD_SIGNATURE'],
    ['another client id inside', (t) => tamper(t, 1, Buffer.from('gw2').toString('base64url')), 'BAD_SIGNATURE'],
    ['garbage', () => 'cw1.x.y.z', 'MALFORMED'],
    ['the wrong prefix', (t) => tamper(t, 0, 'cw0'), 'MALFORMED'],
    ['a truncated signature', (t) => t.slice(0, -5), 'BAD_SIGNATURE'],
  ];
  for (const [what, make, reason] of CASES) {
    it(`refuses a token with ${what} (${reason})`, () => {
      const t = make(issueToken(key, 'gw1', now + 60_000));
      assert.deepEqual(verifyToken(key, t, 'gw1', now), { ok: false, reason });
    });
  }
  it('refuses a valid token presented by another client', () => {
    assert.deepEqual(verifyToken(key, issueToken(key, 'gw1', now + 1000), 'gw2', now), { ok: false, reason: 'WRONG_CLIENT' });
  });
  it('refuses a weak signing key', () => {
    assert.throws(() => issueToken(Buffer.alloc(8), 'gw1', now), /at least 32 bytes/);
  });
});
