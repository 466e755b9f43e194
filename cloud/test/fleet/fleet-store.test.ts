import assert from 'node:assert/strict';
import { CLAIM_RECENT_IDS, giveBack, mergeStatus, takeUse, type ClaimRecord } from '../../src/fleet/fleet-store.js';

describe('fleet/fleet-store: the pure rules both backends apply', () => {
  const claim: ClaimRecord = { id: 'k', secretSha256: 'x', createdAt: 0, expiresAt: 100, maxUses: 1000, uses: 0, recent: [], groups: [], tags: {}, revoked: false };

  it('a use counts, remembers only the last gateways, and can be given back', () => {
    let c = claim;
    for (let i = 0; i < 120; i++) {
      const u = takeUse(c, `gw-${i}`, 1);
      assert.ok(u.ok);
      c = u.claim;
    }
    assert.equal(c.uses, 120);
    assert.equal(c.recent.length, CLAIM_RECENT_IDS);
    assert.equal(c.recent.at(-1), 'gw-119');
    const back = giveBack(c, 'gw-119')!;
    assert.deepEqual([back.uses, back.recent.includes('gw-119')], [119, false]);
    assert.equal(giveBack(c, 'gw-0')!.uses, 119, 'one no longer in the recent list still gives its use back');
    assert.equal(giveBack({ ...claim }, 'gw-0'), undefined);
    assert.deepEqual(takeUse({ ...claim, uses: 1000 }, 'x', 1), { ok: false, reason: 'CLAIM_EXHAUSTED' });
    assert.deepEqual(takeUse(claim, 'x', 100), { ok: false, reason: 'CLAIM_EXPIRED' });
  });

  it('statuses: the later one wins; one without health keeps the health before it', () => {
    const h = { uptimeSeconds: 1, outbox: { records: 3, bytes: 3, oldestAgeSeconds: 0 }, evictions: 0, expiries: 0, diskFreeBytes: 1, memFreeBytes: 1, rssBytes: 1, ports: [], configVersion: 0 };
    const on = { gateway: 'g', online: true, reportedAt: 1, receivedAt: 10, agentVersion: '1.0.0', health: h, clockOffsetMs: 5 };
    assert.equal(mergeStatus(on, { gateway: 'g', online: false, reportedAt: 0, receivedAt: 9 }), undefined);
    assert.deepEqual(mergeStatus(on, { gateway: 'g', online: false, reportedAt: 0, receivedAt: 11 }), { gateway: 'g', online: false, reportedAt: 0, receivedAt: 11, agentVersion: '1.0.0', health: h, clockOffsetMs: 5 });
    assert.deepEqual(mergeStatus(undefined, on), on);
  });
});
