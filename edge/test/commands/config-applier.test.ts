import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigApplier } from '../../src/commands/config-applier.js';
import { CommandInbox } from '../../src/commands/command-inbox.js';
import { encodeEnvelope } from '../../../shared/src/codec/envelope-codec.js';
import { ConfigError } from '../../../shared/src/errors/config-error.js';
import { createLogger, silentLogger } from '../../../shared/src/log/logger.js';
import { RecordingResults } from './fakes.js';

const doc = (version: number, config: Record<string, unknown>): Buffer => encodeEnvelope({ v: 1, type: 'config', version, issuedAt: 1, config });

describe('edge/commands/config-applier', () => {
  let dir: string;
  let inbox: CommandInbox;
  let results: RecordingResults;
  let applied: Array<Record<string, unknown>>;
  let linkOk: boolean;
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
      linkHealthy: async () => linkOk,
      rollbackTimeoutMs: 50,
      logger: silentLogger,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-config-'));
    inbox = new CommandInbox(join(dir, 'inbox.db'));
    results = new RecordingResults();
    applied = [];
    linkOk = true;
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

  it('drops payloads that are not config envelopes', async () => {
    const a = make();
    await a.receive(Buffer.from('garbage'));
    await a.receive(Buffer.alloc(0));
    assert.equal(results.reports.length, 0);
    assert.equal(applied.length, 0);
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
