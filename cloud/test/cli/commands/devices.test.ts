import assert from 'node:assert/strict';
import { deviceSummary } from '../../../src/cli/commands/devices.js';

describe('cloud/cli/commands/devices: show', () => {
  const base = { id: 'gw1', kind: 'gateway', groups: [], tags: {}, enabled: true, online: true, createdAt: 0, hasSecret: false };

  it('a CSR gateway: certificate only, its pin and end, a renewed one not used yet, a revocation (issue 20)', () => {
    const pin = 'ab'.repeat(32);
    const next = 'cd'.repeat(32);
    const out = deviceSummary({ ...base, certSha256: pin, certNotAfter: 1_900_000_000_000, certSha256Next: next }, undefined);
    assert.match(out, /Secret:\s+none \(certificate only\)/);
    assert.match(out, new RegExp(`Certificate:\\s+pinned sha256 ${pin}, ends \\S+`));
    assert.match(out, new RegExp(`Renewed:\\s+sha256 ${next}, not used yet`));
    const used = deviceSummary({ ...base, certSha256: next, certSha256Next: next, certRevokedAt: 1_800_000_000_000 }, undefined);
    assert.doesNotMatch(used, /Renewed:/, 'pinned at its first use: nothing pending');
    assert.match(used, /Certificate:.*REVOKED/);
  });

  it('a gateway with a secret and no certificate says nothing of certificates', () => {
    const out = deviceSummary({ ...base, hasSecret: true }, undefined);
    assert.match(out, /Secret:\s+set/);
    assert.doesNotMatch(out, /Certificate:/);
  });
});
