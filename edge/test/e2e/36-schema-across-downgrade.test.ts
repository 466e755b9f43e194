import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { apiCall, startBroker, type BrokerProcess, waitFor as waitForValue } from '../../../cloud/test/e2e/fixtures/broker-process.js';
import { startAgent, type Agent } from '../helpers/agent.js';

/**
 * The outbox and inbox across a downgrade (issue 17: a rolled-back release runs on files the newer one
 * migrated). The newer release's migrations are applied to the agent's real files here as it would apply
 * them. Additive ones (schema_floor unchanged) leave the files readable: the older agent starts and
 * delivers what the outbox held. A breaking one (the floor above what the agent knows) makes the older
 * agent refuse the file with exit 65 and the reason, the file untouched, nothing lost.
 */
describe('edge e2e 36: outbox and inbox schema versions across a downgrade @e2e', function () {
  this.timeout(120_000);
  let dir: string;
  let cloud: BrokerProcess;
  let api: string;
  let token: string;
  let agent: Agent | undefined;
  const file = (n: string): string => join(dir, 'gw1', n);
  const waitFor = <T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => waitForValue(what, ms, probe, { everyMs: 50 });
  const start = (cloudUp: boolean): Agent => (agent = startAgent(['--config', join(dir, 'gw1.json'), ...(cloudUp ? [] : ['--cloud.url', 'mqtt://127.0.0.1:1'])]));
  const records = (): number => {
    const db = new Database(file('outbox.db'), { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  /** What a newer release's migration does to a file: its version row, its floor, its change. */
  const newerMigration = (name: string, sql: string, additive: boolean): void => {
    const db = new Database(file(name));
    db.transaction(() => {
      db.exec(sql);
      const v = (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number }).v + 1;
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(v);
      if (!additive) db.prepare('INSERT INTO schema_floor (version) VALUES (?)').run(v);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  };
  const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-schema-down-'));
    cloud = await startBroker(join(dir, 'cloud'), ['--auth.allowAnonymous', 'false']);
    api = `http://127.0.0.1:${cloud.apiPort}`;
    token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
    const secret = (await apiCall(api, token, 'POST', '/v1/devices', { id: 'gw1' })).secret;
    mkdirSync(join(dir, 'gw1'), { recursive: true });
    writeFileSync(
      join(dir, 'gw1.json'),
      JSON.stringify({
        gateway: { id: 'gw1' },
        cloud: { url: `mqtt://127.0.0.1:${cloud.port}`, username: 'gw1', password: secret, backoffBaseMs: 100, backoffMaxMs: 300, connectTimeoutSeconds: 2 },
        store: { path: file('outbox.db') },
      }),
    );
  });
  after(async () => {
    await agent?.kill('SIGKILL');
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens files whose newer migrations were additive, and delivers what the outbox held', async () => {
    // Readings committed while the cloud is unreachable, then the agent stops.
    const a = start(false);
    for (let i = 0; i < 20; i++) a.send({ device: 'dev1', stream: 'temp', ts: 1_700_000_000_000 + i, value: i, unit: 'C' });
    await a.waitAck(20, 30_000);
    assert.deepEqual(await a.kill('SIGTERM'), { code: 0, signal: null });
    assert.equal(records(), 20);
    // The newer release added a column and a table: additive.
    newerMigration('outbox.db', 'ALTER TABLE records ADD COLUMN trace TEXT; CREATE TABLE future_thing (x INTEGER)', true);
    newerMigration('inbox.db', 'CREATE TABLE future_inbox_thing (x INTEGER)', true);
    const b = start(true);
    await waitFor('the outbox delivered', 60_000, () => (records() === 0 ? true : undefined));
    assert.equal(b.proc.exitCode, null, b.stderr);
    assert.deepEqual(await b.kill('SIGTERM'), { code: 0, signal: null });
  });

  for (const name of ['outbox.db', 'inbox.db']) {
    it(`refuses ${name} after a breaking migration: exit 65, the reason, the file untouched`, async () => {
      const a = start(false);
      for (let i = 0; i < 5; i++) a.send({ device: 'dev1', stream: 'temp', ts: 1_700_000_100_000 + i, value: i, unit: 'C' });
      await a.waitAck(5, 30_000);
      await a.kill('SIGTERM');
      const held = records();
      newerMigration(name, name === 'outbox.db' ? 'ALTER TABLE records RENAME COLUMN body TO payload' : 'CREATE TABLE breaking_thing (x INTEGER)', false);
      const before = sha(file(name));
      const b = start(true);
      const exit = await b.exited;
      assert.equal(exit.code, 65, b.stderr);
      assert.match(b.stderr + JSON.stringify(b.logs), /schema version \d+ is newer than this (agent|build) knows/);
      assert.equal(sha(file(name)), before, 'the refused file is untouched');
      // Nothing was lost; then the breaking change is undone here (as only a newer release could read
      // the file) so the next case starts from a file this agent opens.
      const db = new Database(file(name));
      if (name === 'outbox.db') {
        assert.equal((db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n, held);
        db.exec('ALTER TABLE records RENAME COLUMN payload TO body');
      }
      db.exec('DELETE FROM schema_floor WHERE version = (SELECT max(version) FROM schema_version); DELETE FROM schema_version WHERE version = (SELECT max(version) FROM schema_version)');
      db.close();
    });
  }
});
