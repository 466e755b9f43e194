import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { issueToken, looksLikeToken, verifyToken } from '../../src/identity/access-token.js';

describe('cloud/identity/access-token', () => {
  const key = randomBytes(32);
  const now = 1_800_000_000_000;

  it('verifies a token for its client until it expires', () => {
    const t = issueToken(key, 'gw1', now + 60_000, 0);
    assert.ok(looksLikeToken(t));
    assert.deepEqual(verifyToken(key, t, 'gw1', now), { ok: true, clientId: 'gw1', generation: 0, expiresAt: now + 60_000 });
    assert.deepEqual(verifyToken(key, t, 'gw1', now + 60_000), { ok: false, reason: 'EXPIRED' });
  });

  const tamper = (t: string, i: number, v: string): string => {
    const p = t.split('.');
    p[i] = v;
    return p.join('.');
  };
  const CASES: Array<[string, (t: string) => string, string]> = [
    ['a different key', () => issueToken(randomBytes(32), 'gw1', now + 60_000, 0), 'BAD_SIGNATURE'],
    ['an extended expiry', (t) => tamper(t, 3, String(Math.floor(now / 1000) + 999_999)), 'BAD_SIGNATURE'],
    ['another client id inside', (t) => tamper(t, 1, Buffer.from('gw2').toString('base64url')), 'BAD_SIGNATURE'],
    ['a lowered generation', (t) => tamper(t, 2, '0'), 'BAD_SIGNATURE'],
    ['garbage', () => 'cw2.x.y.z.w', 'MALFORMED'],
    ['a legacy shape with the new prefix', (t) => t.split('.').filter((_, i) => i !== 2).join('.'), 'MALFORMED'],
    ['the wrong prefix', (t) => tamper(t, 0, 'cw0'), 'MALFORMED'],
    ['a truncated signature', (t) => t.slice(0, -5), 'BAD_SIGNATURE'],
  ];
  for (const [what, make, reason] of CASES) {
    it(`refuses a token with ${what} (${reason})`, () => {
      const t = make(issueToken(key, 'gw1', now + 60_000, 3));
      assert.deepEqual(verifyToken(key, t, 'gw1', now), { ok: false, reason });
    });
  }
  it('refuses a valid token presented by another client', () => {
    assert.deepEqual(verifyToken(key, issueToken(key, 'gw1', now + 1000, 0), 'gw2', now), { ok: false, reason: 'WRONG_CLIENT' });
  });
  it('carries the generation it was issued at', () => {
    const t = issueToken(key, 'gw1', now + 60_000, 7);
    assert.deepEqual(verifyToken(key, t, 'gw1', now), { ok: true, clientId: 'gw1', generation: 7, expiresAt: now + 60_000 });
    assert.throws(() => issueToken(key, 'gw1', now + 60_000, -1), /non-negative/);
  });
  it('still reads a legacy cw1 token as generation 0', () => {
    const exp = Math.floor((now + 60_000) / 1000);
    const sig = createHmac('sha256', key).update(`cw1\ngw1\n${exp}`).digest('base64url');
    const legacy = ['cw1', Buffer.from('gw1').toString('base64url'), String(exp), sig].join('.');
    assert.ok(looksLikeToken(legacy));
    assert.deepEqual(verifyToken(key, legacy, 'gw1', now), { ok: true, clientId: 'gw1', generation: 0, expiresAt: exp * 1000 });
  });
  it('refuses a weak signing key', () => {
    assert.throws(() => issueToken(Buffer.alloc(8), 'gw1', now, 0), /at least 32 bytes/);
  });
});
