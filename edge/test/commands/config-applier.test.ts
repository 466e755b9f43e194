import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigApplier, MAX_UNCONFIRMED_BOOTS } from '../../src/commands/config-applier.js';
import { CommandInbox } from '../../src/commands/command-inbox.js';
import { encodeEnvelope, ConfigError, createLogger, silentLogger } from '@causeway/shared';
import { RecordingResults } from './fakes.js';

const doc = (version: number, config: Record<string, unknown>): Buffer => encodeEnvelope({ v: 1, type: 'config', version, issuedAt: 1, config });

describe('edge/commands/config-applier', () => {
  let dir: string;
  let inbox: CommandInbox;
  let results: RecordingResults;
  let applied: Array<Record<string, unknown>>;
  let linkOk: boolean;
  /** set: linkHealthy never answers, as when the agent is killed during the rollback wait */
  let linkHangs: boolean;
  const make = (): ConfigApplier =>
    new ConfigApplier({
      gateway: 'gw1',
      inbox,
      results,
      validate: (c) => {
        const rate = (c.ingest as { rate?: unknown } | undefined)?.rate;
        if (rate !== undefined && (typeof rate !== 'number' || rate <= 0)) throw new ConfigError(`ingest.rate: must be a positive number: value was ${JSON.stringify(rate)}`, { key: 'ingest.rate' });
      },
      apply: async (c) => void applied.push(c),
      linkHealthy: () => (linkHangs ? new Promise<boolean>(() => {}) : Promise.resolve(linkOk)),
      rollbackTimeoutMs: 50,
      logger: silentLogger,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-config-'));
    inbox = new CommandInbox(join(dir, 'inbox.db'));
    results = new RecordingResults();
    applied = [];
    linkOk = true;
    linkHangs = false;
  });
  afterEach(() => {
    inbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies, persists and reports a valid config; ignores the retained copy on reconnect', async () => {
    const a = make();
    await a.receive(doc(3, { ingest: { rate: 5 } }));
    await a.receive(doc(3, { ingest: { rate: 5 } }));
    assert.deepEqual(applied, [{ ingest: { rate: 5 } }]);
    assert.deepEqual(results.reports.map((r) => [r.version, r.status]), [[3, 'APPLIED']]);
    assert.deepEqual(a.current(), { version: 3, config: { ingest: { rate: 5 } } });
    // restart: the persisted config comes back before the uplink connects
    const again = make();
    assert.equal(await again.restore(), 3);
    assert.deepEqual(applied.at(-1), { ingest: { rate: 5 } });
  });

  it('rejects a config that fails the schema, naming the key, and keeps the old one', async () => {
    const a = make();
    await a.receive(doc(1, { ingest: { rate: 5 } }));
    await a.receive(doc(2, { ingest: { rate: 'fast' } }));
    await a.receive(doc(2, { ingest: { rate: 'fast' } })); // retained again after a reconnect
    assert.deepEqual(results.reports.map((r) => [r.version, r.status, r.error?.key]), [[1, 'APPLIED', undefined], [2, 'REJECTED', 'ingest.rate']]);
    assert.equal(a.current()?.version, 1);
    assert.equal(applied.length, 1);
  });

  it('rolls back a config after which the uplink does not come back', async () => {
    const a = make();
    await a.receive(doc(1, { cloud: { url: 'mqtt://good' } }));
    linkOk = false;
    await a.receive(doc(2, { cloud: { url: 'mqtt://nowhere' } }));
    assert.deepEqual(applied, [{ cloud: { url: 'mqtt://good' } }, { cloud: { url: 'mqtt://nowhere' } }, { cloud: { url: 'mqtt://good' } }]);
    assert.deepEqual(results.reports.map((r) => [r.version, r.status]), [[1, 'APPLIED'], [2, 'ROLLED_BACK']]);
    assert.equal(a.current()?.version, 1);
    linkOk = true;
    await a.receive(doc(2, { cloud: { url: 'mqtt://nowhere' } })); // the retained copy must not break the link again
    assert.equal(applied.length, 3);
    await a.receive(doc(3, { cloud: { url: 'mqtt://better' } }));
    assert.equal(a.current()?.version, 3);
  });

  it('a valid config the agent cannot apply is rejected with the reason, and the previous one runs again', async () => {
    const a = new ConfigApplier({
      gateway: 'gw1',
      inbox,
      results,
      validate: () => undefined,
      apply: async (c) => {
        applied.push(c);
        if ((c.ingest as { rate?: number } | undefined)?.rate === 13) throw new Error('port /dev/ttyS9 cannot be opened');
      },
      linkHealthy: async () => linkOk,
      rollbackTimeoutMs: 50,
      logger: silentLogger,
    });
    await a.receive(doc(1, { ingest: { rate: 5 } }));
    await a.receive(doc(2, { ingest: { rate: 13 } }));
    assert.deepEqual(applied, [{ ingest: { rate: 5 } }, { ingest: { rate: 13 } }, { ingest: { rate: 5 } }]);
    const last = results.reports.at(-1)!;
    assert.deepEqual([last.version, last.status], [2, 'REJECTED']);
    assert.match(last.error?.message ?? '', /could not be applied: port \/dev\/ttyS9/);
    assert.equal(a.current()?.version, 1);
    assert.equal(a.pendingConfirmation(), false);
    await a.receive(doc(2, { ingest: { rate: 13 } })); // the retained copy is not tried again
    assert.equal(applied.length, 3);
  });

  it('drops payloads that are not config envelopes', async () => {
    const a = make();
    await a.receive(Buffer.from('garbage'));
    await a.receive(Buffer.alloc(0));
    assert.equal(results.reports.length, 0);
    assert.equal(applied.length, 0);
  });
  describe('the rollback holds across restarts (issue 23, item 4)', () => {
    /** Applies v1 (confirmed), then v2 whose confirmation never finishes: the agent "dies" there. */
    const crashDuringConfirmation = async (): Promise<void> => {
      const a = make();
      await a.receive(doc(1, { uplink: { inflight: 4 } }));
      linkHangs = true;
      void a.receive(doc(2, { uplink: { inflight: 2 } }));
      while (applied.length < 2) await new Promise((r) => setTimeout(r, 5));
      assert.equal(a.pendingConfirmation(), true);
    };
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

    it('a restart with an unconfirmed config re-arms the rollback: no link → ROLLED_BACK, previous config back', async () => {
      await crashDuringConfirmation();
      linkHangs = false;
      linkOk = false;
      const restarted = make();
      assert.equal(await restarted.restore(), 2, 'the new config runs again at start-up, on probation');
      await settle();
      assert.deepEqual(applied.at(-1), { uplink: { inflight: 4 } }, 'rolled back to v1');
      assert.deepEqual(results.reports.map((r) => [r.version, r.status]), [[1, 'APPLIED'], [2, 'ROLLED_BACK']]);
      assert.equal(restarted.current()?.version, 1);
      assert.equal(restarted.pendingConfirmation(), false);
      // and the retained v2, redelivered on reconnect, is not applied again
      linkOk = true;
      const count = applied.length;
      await restarted.receive(doc(2, { uplink: { inflight: 2 } }));
      assert.equal(applied.length, count);
    });

    it('a restart with an unconfirmed config and a working link confirms it: APPLIED once', async () => {
      await crashDuringConfirmation();
      linkHangs = false;
      const restarted = make();
      assert.equal(await restarted.restore(), 2);
      await settle();
      assert.deepEqual(results.reports.map((r) => [r.version, r.status]), [[1, 'APPLIED'], [2, 'APPLIED']]);
      assert.equal(restarted.pendingConfirmation(), false);
      await restarted.receive(doc(2, { uplink: { inflight: 2 } })); // retained copy
      assert.equal(applied.filter((c) => JSON.stringify(c) === JSON.stringify({ uplink: { inflight: 2 } })).length, 2, 'applied when received and once at the restart, never for the redelivery');
    });

    it(`after ${MAX_UNCONFIRMED_BOOTS} restarts without a confirmation (a config that kills the agent) the previous config is restored at start-up`, async () => {
      await crashDuringConfirmation();
      for (let boot = 1; boot <= MAX_UNCONFIRMED_BOOTS; boot++) {
        const b = make();
        assert.equal(await b.restore(), 2, `boot ${boot} still tries v2`);
      }
      const count = applied.length;
      const last = make();
      assert.equal(await last.restore(), 1, 'the next boot starts on v1');
      assert.deepEqual(applied.slice(count), [{ uplink: { inflight: 4 } }], 'v2 is not applied again');
      const rolled = results.reports.find((r) => r.version === 2);
      assert.equal(rolled?.status, 'ROLLED_BACK');
      assert.match(rolled?.error?.message ?? '', /restarted 3 times/);
    });
  });

  describe('issue 23', () => {
    let lines: string[];
    const logged = (): Array<Record<string, unknown>> => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const withLog = (): ConfigApplier =>
      new ConfigApplier({
        gateway: 'gw1',
        inbox,
        results,
        validate: (c) => {
          if ((c.cloud as { url?: unknown } | undefined)?.url !== undefined) throw new ConfigError('cloud.url cannot be changed remotely', { key: 'cloud.url' });
        },
        apply: async (c) => void applied.push(c),
        linkHealthy: async () => linkOk,
        rollbackTimeoutMs: 50,
        logger: createLogger({ write: (l) => void lines.push(l) }),
      });
    beforeEach(() => (lines = []));

    it('item 15: the log line of a rejected config names the key (not redacted)', async () => {
      await withLog().receive(doc(4, { cloud: { url: 'mqtt://attacker:1883' } }));
      const line = logged().find((l) => l.msg === 'desired config rejected');
      assert.equal(line?.configKey, 'cloud.url');
      assert.doesNotMatch(lines.join(''), /\[redacted\]/);
    });

    it('item 2: a stored document with a prototype key is refused with an error logged, not run again', async () => {
      inbox.db.prepare('INSERT INTO applied_config (id, version, doc, previous) VALUES (1, ?, ?, NULL)').run(7, '{"__proto__":{"polluted":1},"ingest":{"rate":5}}');
      const a = withLog();
      assert.equal(a.current(), undefined);
      assert.equal(await a.restore(), undefined);
      assert.equal(applied.length, 0);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      const line = logged().find((l) => l.level === 'error');
      assert.equal(line?.version, 7);
      assert.match(String((line?.err as { message?: string } | undefined)?.message), /__proto__/);
      // a newer version from the cloud is applied as usual
      await a.receive(doc(8, { ingest: { rate: 5 } }));
      assert.equal(a.current()?.version, 8);
    });
  });
});
