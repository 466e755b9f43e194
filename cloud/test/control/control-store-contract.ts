import assert from 'node:assert/strict';
import type { CommandRecord, ControlChange, ControlStore } from '../../src/control/control-store.js';
import type { ClaimRecord } from '../../src/fleet/fleet-store.js';
import type { RegistrationRecord } from '../../src/fleet/registration-store.js';

export interface ControlStoreHarness {
  store: ControlStore;
  /** a second handle on the same state (another node of a shared store, or the same store again) */
  peer: () => Promise<ControlStore>;
  cleanup?: () => Promise<void>;
}

const record = (id: string, createdAt: number, extra: Partial<CommandRecord> = {}): CommandRecord => ({
  id,
  name: 'reboot',
  args: { delay: 1 },
  target: { group: 'north' },
  createdAt,
  expiresAt: createdAt + 60_000,
  status: 'RUNNING',
  ...extra,
});

/**
 * The behaviour every control store gives the command and config services (one suite, every backend):
 * run by cloud/test/control/sqlite-control-store.test.ts and cloud/test/store/jetstream-control-store.test.ts.
 * `shared`: several nodes use the store at once, so it must report the changes other nodes make (`watch`).
 */
export function describeControlStoreContract(name: string, open: () => Promise<ControlStoreHarness>, opts: { shared: boolean }): void {
  describe(`control store contract: ${name}`, () => {
    let h: ControlStoreHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.store.close();
      await h.cleanup?.();
    });

    it('stores a command with its targets QUEUED, ordered by gateway then device', async () => {
      const c = h.store.commands;
      await c.create(record('c1', 10), [{ gateway: 'gw2', device: 'gw2' }, { gateway: 'gw1', device: 'relay.1' }, { gateway: 'gw1', device: 'gw1' }], 10);
      assert.deepEqual(await c.get('c1'), record('c1', 10));
      assert.equal(await c.get('nope'), undefined);
      assert.deepEqual((await c.targets('c1')).map((t) => [t.gateway, t.device, t.state, t.updatedAt]), [
        ['gw1', 'gw1', 'QUEUED', 10],
        ['gw1', 'relay.1', 'QUEUED', 10],
        ['gw2', 'gw2', 'QUEUED', 10],
      ]);
      const counts = await c.counts('c1');
      assert.equal(counts.QUEUED, 3);
      assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 3, 'every state is counted, zero or not');
      assert.equal(await c.hasOpen('c1'), true);
      assert.deepEqual(await c.targets('unknown'), []);
    });

    it('applies the state machine to what is stored: late and duplicate events change nothing', async () => {
      const c = h.store.commands;
      const gw = { gateway: 'gw1', device: 'gw1' };
      await c.create(record('c1', 10), [gw], 10);
      assert.equal(await c.transition('c1', gw, { type: 'sent' }, {}, 11), 'SENT');
      assert.equal(await c.transition('c1', gw, { type: 'sent' }, {}, 12), undefined, 'sent twice');
      assert.equal(await c.transition('c1', gw, { type: 'result', status: 'FAILED' }, { reason: 'flash error', output: { code: 7 } }, 13), 'FAILED');
      assert.equal(await c.transition('c1', gw, { type: 'delivered' }, {}, 14), undefined, 'a late delivered report');
      assert.equal(await c.transition('c1', gw, { type: 'cancel' }, { reason: 'x' }, 15), undefined, 'terminal stays terminal');
      assert.equal(await c.transition('c1', { gateway: 'gw9', device: 'gw9' }, { type: 'sent' }, {}, 16), undefined, 'not a target');
      const [t] = await c.targets('c1');
      assert.deepEqual(t, { gateway: 'gw1', device: 'gw1', state: 'FAILED', reason: 'flash error', output: { code: 7 }, updatedAt: 13, sentAt: 11 });
      assert.equal(await c.hasOpen('c1'), false);
      assert.deepEqual((await c.targets('c1', 'FAILED')).length, 1);
      assert.deepEqual(await c.targets('c1', 'SENT'), []);
      assert.deepEqual(await c.target('c1', gw), t, 'one target by its key is the same row');
      assert.equal(await c.target('c1', { gateway: 'gw1', device: 'relay.1' }), undefined);
      assert.equal(await c.target('nope', gw), undefined);
    });

    it('lists newest first, keeps only RUNNING commands in the work list, and moves a status once', async () => {
      const c = h.store.commands;
      for (let i = 1; i <= 4; i++) await c.create(record(`c${i}`, i * 100), [{ gateway: 'gw1', device: 'gw1' }], i * 100);
      assert.deepEqual((await c.list(3)).map((r) => r.id), ['c4', 'c3', 'c2']);
      assert.equal(await c.setStatus('c2', 'COMPLETED'), true);
      assert.equal(await c.setStatus('c2', 'CANCELED'), false, 'no longer RUNNING');
      assert.equal(await c.setStatus('nope', 'CANCELED'), false);
      assert.equal((await c.get('c2'))?.status, 'COMPLETED');
      assert.deepEqual((await c.running()).map((r) => r.id).sort(), ['c1', 'c3', 'c4']);
    });

    it('lets two nodes race on the same targets and status without losing or doubling a change', async () => {
      const other = await h.peer();
      try {
        const targets = Array.from({ length: 20 }, (_, i) => ({ gateway: `gw${i}`, device: `gw${i}` }));
        await h.store.commands.create(record('c1', 1), targets, 1);
        // every target is sent by both nodes at once: exactly one of each pair wins
        const wins = await Promise.all(targets.flatMap((t) => [h.store.commands, other.commands].map((s) => s.transition('c1', t, { type: 'sent' }, {}, 2))));
        assert.equal(wins.filter((w) => w === 'SENT').length, 20);
        // results through one node, expiry through the other: each target ends in exactly one terminal state
        await Promise.all(
          targets.flatMap((t, i) => [
            h.store.commands.transition('c1', t, { type: 'result', status: 'SUCCEEDED' }, {}, 3 + i),
            other.commands.transition('c1', t, { type: 'expire' }, { reason: 'TTL passed' }, 3 + i),
          ]),
        );
        const counts = await other.commands.counts('c1');
        assert.equal(counts.SUCCEEDED + counts.EXPIRED, 20);
        const statuses = await Promise.all([h.store.commands.setStatus('c1', 'COMPLETED'), other.commands.setStatus('c1', 'CANCELED')]);
        assert.equal(statuses.filter(Boolean).length, 1, 'one status change wins');
      } finally {
        await other.close();
      }
    });

    it('hands out config versions once each, from any node', async () => {
      const other = await h.peer();
      try {
        const versions = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? h.store : other).config.nextVersion()));
        assert.deepEqual([...versions].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      } finally {
        await other.close();
      }
    });

    it('keeps the newest document per scope and never lowers a desired version', async () => {
      const cfg = h.store.config;
      await cfg.putDoc('group:north', { version: 5, doc: { a: 1 } }, 1);
      await cfg.putDoc('group:north', { version: 3, doc: { a: 'old' } }, 2);
      assert.deepEqual(await cfg.getDoc('group:north'), { version: 5, doc: { a: 1 } });
      await cfg.putDoc('group:north', { version: 6, doc: { a: 2 } }, 3);
      assert.deepEqual(await cfg.getDoc('group:north'), { version: 6, doc: { a: 2 } });
      assert.equal(await cfg.getDoc('all'), undefined);
      await cfg.setDesired('gw1', 6);
      await cfg.setDesired('gw1', 4);
      await cfg.setReported('gw2', { version: 2, status: 'REJECTED', error: { key: 'ingest.rate', message: 'too low' }, at: 9 });
      await cfg.setReported('gw1', { version: 6, status: 'APPLIED', at: 10 });
      assert.deepEqual(await cfg.status(), [
        { gateway: 'gw1', desiredVersion: 6, reportedVersion: 6, status: 'APPLIED', reportedAt: 10 },
        { gateway: 'gw2', reportedVersion: 2, status: 'REJECTED', error: { key: 'ingest.rate', message: 'too low' }, reportedAt: 9 },
      ]);
    });

    it('records every config change in the history, newest first (issue 24)', async () => {
      const cfg = h.store.config;
      await cfg.putDoc('all', { version: 1, doc: { a: 1 } }, 10);
      await cfg.putDoc('group:north', { version: 2, doc: { b: 2 } }, 11);
      await cfg.putDoc('all', { version: 3, doc: { a: 3 } }, 12);
      assert.deepEqual(await cfg.history(10), [
        { version: 3, scope: 'all', doc: { a: 3 }, at: 12 },
        { version: 2, scope: 'group:north', doc: { b: 2 }, at: 11 },
        { version: 1, scope: 'all', doc: { a: 1 }, at: 10 },
      ]);
      assert.deepEqual((await cfg.history(2)).map((e) => e.version), [3, 2]);
    });

    it('keeps ids with dots, slashes and non-ASCII apart', async () => {
      const c = h.store.commands;
      const odd = [
        { gateway: 'gw.1', device: 'a/b' },
        { gateway: 'gw', device: '1.a' },
        { gateway: 'gw-ü', device: 'x y' },
      ];
      await c.create(record('c1', 1), odd, 1);
      await c.transition('c1', odd[0]!, { type: 'sent' }, {}, 2);
      assert.deepEqual((await c.targets('c1')).map((t) => [t.gateway, t.device, t.state]), [
        ['gw', '1.a', 'QUEUED'],
        ['gw-ü', 'x y', 'QUEUED'],
        ['gw.1', 'a/b', 'SENT'],
      ]);
      await h.store.config.setDesired('gw.1', 1);
      assert.deepEqual((await h.store.config.status()).map((r) => r.gateway), ['gw.1']);
    });

    describe('fleet (issue 20)', () => {
      const health = (records: number) => ({ uptimeSeconds: 1, outbox: { records, bytes: records, oldestAgeSeconds: 0 }, evictions: 0, expiries: 0, diskFreeBytes: 1, memFreeBytes: 1, rssBytes: 1, ports: [], configVersion: 0 });
      it('keeps the latest status per gateway; an offline status keeps the health before it; an older one changes nothing', async () => {
        const f = h.store.fleet;
        await f.putStatuses([
          { gateway: 'gw.2', online: true, reportedAt: 1, receivedAt: 10, agentVersion: '1.0.0', health: health(5), clockOffsetMs: -9 },
          { gateway: 'gw-1', online: true, reportedAt: 1, receivedAt: 10, health: health(1) },
          { gateway: 'gw.2', online: false, reportedAt: 2, receivedAt: 20 },
        ]);
        await f.putStatuses([{ gateway: 'gw-1', online: true, reportedAt: 0, receivedAt: 5, health: health(99) }]);
        await f.putStatuses([]);
        const all = await f.statuses();
        assert.deepEqual(all.map((s) => s.gateway), ['gw-1', 'gw.2']);
        assert.equal(all[0]!.health!.outbox.records, 1);
        assert.deepEqual({ ...all[1]!, health: all[1]!.health!.outbox.records }, { gateway: 'gw.2', online: false, reportedAt: 2, receivedAt: 20, agentVersion: '1.0.0', health: 5, clockOffsetMs: -9 });
      });

      const claim = (id: string, o: Partial<ClaimRecord> = {}): ClaimRecord => ({ id, secretSha256: 'ab', createdAt: 1, expiresAt: 1000, maxUses: 2, uses: 0, recent: [], groups: ['g'], tags: { t: '1' }, revoked: false, ...o });
      it('claims: created, listed newest first, used up to the count and no further, expired, revoked, released', async () => {
        const c = h.store.claims;
        await c.create(claim('k1'));
        await c.create(claim('k2', { createdAt: 5 }));
        assert.deepEqual((await c.list()).map((x) => x.id), ['k2', 'k1']);
        assert.deepEqual((await c.use('k1', 'gw-a', 10)).ok, true);
        const second = await c.use('k1', 'gw-b', 10);
        assert.ok(second.ok && second.claim.recent.join() === 'gw-a,gw-b' && second.claim.uses === 2);
        assert.deepEqual(await c.use('k1', 'gw-c', 10), { ok: false, reason: 'CLAIM_EXHAUSTED' });
        await c.release('k1', 'gw-b');
        assert.deepEqual([(await c.get('k1'))!.uses, (await c.get('k1'))!.recent], [1, ['gw-a']]);
        assert.deepEqual(await c.use('k2', 'gw-x', 1000), { ok: false, reason: 'CLAIM_EXPIRED' });
        assert.equal(await c.revoke('k2'), true);
        assert.equal(await c.revoke('nope'), false);
        assert.deepEqual(await c.use('k2', 'gw-x', 10), { ok: false, reason: 'CLAIM_REVOKED' });
        assert.deepEqual(await c.use('nope', 'gw-x', 10), { ok: false, reason: 'CLAIM_UNKNOWN' });
      });

      it('claims: uses taken at once never exceed the count', async () => {
        const c = h.store.claims;
        await c.create(claim('k3', { maxUses: 5 }));
        const other = opts.shared ? await h.peer() : h.store;
        try {
          const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? c : other.claims).use('k3', `gw-${i}`, 10)));
          assert.equal(results.filter((r) => r.ok).length, 5);
          assert.equal((await c.get('k3'))!.uses, 5);
        } finally {
          if (other !== h.store) await other.close();
        }
      });

      const reg = (gateway: string, o: Partial<RegistrationRecord> = {}): RegistrationRecord => ({ gateway, claimId: 'k1', state: 'pending', requestedAt: 10, source: '10.0.0.7', secretSha256: 'aa', secretHash: 'scrypt$x', groups: ['g'], tags: { t: '1' }, ...o });
      it('registrations: one request per gateway, listed oldest first by state, decided once', async () => {
        const r = h.store.registrations;
        assert.equal(await r.create(reg('gw.b', { requestedAt: 20 })), true);
        assert.equal(await r.create(reg('gw-a')), true);
        assert.equal(await r.create(reg('gw-a', { secretSha256: 'bb' })), false, 'a second request for the same id is not stored');
        assert.equal((await r.get('gw-a'))!.secretSha256, 'aa');
        assert.equal(await r.get('nope'), undefined);
        assert.deepEqual((await r.list()).map((x) => x.gateway), ['gw-a', 'gw.b']);
        const rej = await r.decide('gw.b', ['pending'], 'rejected', 30, 'not ours');
        assert.deepEqual(rej, reg('gw.b', { requestedAt: 20, state: 'rejected', decidedAt: 30, reason: 'not ours' }));
        assert.equal(await r.decide('gw.b', ['pending'], 'approved', 31), undefined, 'a rejected request is not pending any more');
        assert.deepEqual((await r.decide('gw.b', ['pending', 'rejected'], 'approved', 32))!.reason, undefined, 'approving clears the reason');
        assert.equal(await r.decide('nope', ['pending'], 'approved', 32), undefined);
        assert.deepEqual((await r.list('pending')).map((x) => x.gateway), ['gw-a']);
        assert.deepEqual((await r.list('approved')).map((x) => x.gateway), ['gw.b']);
        assert.deepEqual(await r.list('rejected'), []);
      });

      it('registrations: a request with a CSR keeps the PEM as sent, through a decision and on another handle (issue 20)', async () => {
        const csr = '-----BEGIN CERTIFICATE REQUEST-----\nMIHUMHwCAQAwGjEYMBYGA1UEAwwPZ3ctY3NyLjE=\r\n+/"quoted"\u00e9\n-----END CERTIFICATE REQUEST-----\n';
        const rec = reg('gw-csr.1', { csr, tags: { claim: 'k1' } });
        const r = h.store.registrations;
        assert.equal(await r.create(rec), true);
        assert.deepEqual(await r.get('gw-csr.1'), rec);
        assert.deepEqual(await r.list('pending'), [rec]);
        const approved = await r.decide('gw-csr.1', ['pending'], 'approved', 40);
        assert.deepEqual(approved, { ...rec, state: 'approved', decidedAt: 40 });
        const other = await h.peer();
        try {
          assert.deepEqual(await other.registrations.get('gw-csr.1'), approved);
          assert.deepEqual(await other.registrations.list('approved'), [approved]);
        } finally {
          await other.close();
        }
      });

      it('registrations: a revoked claim rejects its pending requests only; two deciders race, one wins', async () => {
        const r = h.store.registrations;
        await r.create(reg('p1'));
        await r.create(reg('p2'));
        await r.create(reg('done', { state: 'approved' }));
        await r.create(reg('other', { claimId: 'k2' }));
        assert.equal(await r.rejectPendingOf('k1', 'claim revoked', 50), 2);
        assert.deepEqual((await r.list('rejected')).map((x) => [x.gateway, x.reason]), [['p1', 'claim revoked'], ['p2', 'claim revoked']]);
        assert.deepEqual((await r.list('pending')).map((x) => x.gateway), ['other']);
        assert.equal((await r.get('done'))!.state, 'approved');
        const other = opts.shared ? await h.peer() : h.store;
        try {
          const results = await Promise.all([r.decide('other', ['pending'], 'approved', 60), other.registrations.decide('other', ['pending'], 'rejected', 60, 'no'), r.decide('other', ['pending'], 'approved', 61)]);
          assert.equal(results.filter((x) => x !== undefined).length, 1);
        } finally {
          if (other !== h.store) await other.close();
        }
      });
    });

    describe('sinks (issue 21)', () => {
      it('keeps the last pause or resume of each sink; an older change does not undo a newer one', async () => {
        const s = h.store.sinks;
        assert.deepEqual(await s.pauses(), new Map());
        await s.setPaused('pg-telemetry', true, 10);
        await s.setPaused('alarms', true, 11);
        await s.setPaused('alarms', false, 12);
        await s.setPaused('pg-telemetry', false, 9); // a late write (another node, an older request)
        assert.deepEqual(await s.pauses(), new Map([
          ['alarms', { paused: false, at: 12 }],
          ['pg-telemetry', { paused: true, at: 10 }],
        ]));
      });

      it('a pause is seen by another handle on the same state (a restarted node, or another node)', async () => {
        await h.store.sinks.setPaused('pg-telemetry', true, 5);
        const other = await h.peer();
        try {
          assert.deepEqual(await other.sinks.pauses(), new Map([['pg-telemetry', { paused: true, at: 5 }]]));
          await other.sinks.setPaused('pg-telemetry', false, 6);
          assert.deepEqual((await h.store.sinks.pauses()).get('pg-telemetry'), { paused: false, at: 6 });
        } finally {
          await other.close();
        }
      });
    });

    if (opts.shared) it('reports changes made through another node', async () => {
      assert.ok(h.store.commands.watch, 'a shared store must report other nodes\' changes');
      const other = await h.peer();
      try {
        const gw = { gateway: 'gw1', device: 'gw1' };
        await h.store.commands.create(record('c1', 1), [gw], 1);
        const seen: ControlChange[] = [];
        const stop = await h.store.commands.watch!('c1', (e) => seen.push(e));
        await other.commands.transition('c1', gw, { type: 'result', status: 'SUCCEEDED' }, {}, 2);
        await other.commands.setStatus('c1', 'COMPLETED');
        for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
        stop();
        assert.deepEqual(seen, [
          { kind: 'target', commandId: 'c1', gateway: 'gw1', device: 'gw1', state: 'SUCCEEDED' },
          { kind: 'command', commandId: 'c1', status: 'COMPLETED' },
        ]);
      } finally {
        await other.close();
      }
    });
  });
}
