import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrokerStore } from '../../src/store/contract.js';
import { LATEST_VERSION, migrate, schemaVersion } from '../../src/store/sqlite/migrations.js';
import { openDatabase } from '../../src/store/sqlite/open-database.js';
import { SQLITE_FILE_NAME, type SqliteStoreOptions, openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { StoreError } from '../../src/store/store-error.js';
import { describeStoreContract, makeMessage } from './store-contract.js';
import { runAppender, type Printed } from './fixtures/run-appender.js';

describeStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-store-'));
  let current: BrokerStore = openSqliteStore({ dir });
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = openSqliteStore({ dir });
      return current;
    },
    cleanup: async () => {
      await current.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('sqlite store: backend-only behaviour', () => {
  let dir: string;
  const open: BrokerStore[] = [];
  const openStore = (opts: Omit<SqliteStoreOptions, 'dir'> = {}) => {
    const s = openSqliteStore({ dir, ...opts });
    open.push(s);
    return s;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'causeway-store-'));
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a message that cannot be encoded fails alone (STORE_INVALID), not the other writes of its batch", async () => {
    const store = openStore();
    const bad = makeMessage('a', 'bad');
    bad.meta = { correlationData: null as unknown as Buffer };
    const results = await Promise.allSettled([
      store.log.append(makeMessage('a', '1'), ['q:a']),
      store.log.append(bad, ['q:a']),
      store.log.append(makeMessage('a', '2'), ['q:a']),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal(((results[1] as PromiseRejectedResult).reason as StoreError).code, 'STORE_INVALID');
    assert.deepEqual((await store.log.read('q:a', 1, 10)).map((e) => [e.offset, e.message.payload.toString()]), [[1, '1'], [2, '2']]);
  });

  it('a reader behind the in-memory tails, one entry at a time, gets what one big read gets (read-ahead)', async () => {
    const store = openStore({ cacheMaxMessages: 10 });
    const now = Date.now();
    for (let i = 0; i < 300; i++) {
      const expired = i % 7 === 3;
      await store.log.append(makeMessage('a', String(i), expired ? { expiresAt: now - 1 } : {}), ['q:a', 't:a']);
    }
    const all = (await store.log.read('q:a', 1, 1000)).map((e) => e.offset);
    assert.equal(all.length, 300 - 43);
    const oneByOne: number[] = [];
    for (let from = 1; ; ) {
      const [e] = await store.log.read('q:a', from, 1);
      if (e === undefined) break;
      oneByOne.push(e.offset);
      from = e.offset + 1;
      // another queue's reads in between must not disturb this one's
      if (e.offset % 50 === 0) await store.log.read('t:a', 1, 1);
    }
    assert.deepEqual(oneByOne, all);
    // re-reading an earlier offset, and reading in twos, still agree
    assert.deepEqual((await store.log.read('q:a', 5, 3)).map((e) => e.offset), all.filter((o) => o >= 5).slice(0, 3));
    assert.deepEqual((await store.log.read('q:a', 2, 2)).map((e) => e.offset), all.filter((o) => o >= 2).slice(0, 2));
    // retention removes what a read-ahead held
    await store.log.read('q:a', 1, 1);
    assert.ok((await store.log.prune({ maxAgeMs: 0, maxBytes: 100 })) > 0);
    const first = await store.log.firstOffset('q:a');
    assert.ok((await store.log.read('q:a', 1, 1)).every((e) => e.offset >= first));
  });

  it('stores a payload once on disk however many queues index it', async () => {
    const store = openStore();
    const queues = Array.from({ length: 50 }, (_, i) => `f:fan/${i}/#`);
    await store.log.append(makeMessage('fan/out', Buffer.alloc(100_000, 7)), queues);
    await store.close();
    const db = new Database(join(dir, SQLITE_FILE_NAME), { readonly: true });
    const row = db.prepare('SELECT (SELECT count(*) FROM messages) AS m, (SELECT sum(length(payload)) FROM messages) AS b, (SELECT count(*) FROM queue_entries) AS e').get();
    const pages = db.pragma('page_count', { simple: true }) as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    assert.deepEqual(row, { m: 1, b: 100_000, e: 50 });
    // 50 payload copies would be 5 MB; one copy plus the index is a little over 100 KB
    assert.ok(pages * pageSize < 400_000, `database is ${pages * pageSize} bytes`);
  });

  describe('group commit', () => {
    it('writes all appends of one tick in one transaction and resolves them after its COMMIT', async () => {
      const events: string[] = [];
      const store = openStore({ onCommit: (n) => events.push(`commit:${n}`) });
      await Promise.all(
        Array.from({ length: 500 }, (_, i) => store.log.append(makeMessage('a/b', String(i)), ['q:a', 't:a/b', 'f:a/+']).then(() => events.push('resolved'))),
      );
      assert.equal(events[0], 'commit:500');
      assert.equal(events.filter((e) => e === 'resolved').length, 500);
      assert.equal(events.length, 501);
    });

    it('splits at maxBatch', async () => {
      const commits: number[] = [];
      const store = openStore({ maxBatch: 100, onCommit: (n) => commits.push(n) });
      await Promise.all(Array.from({ length: 1000 }, (_, i) => store.log.append(makeMessage('a', String(i)), ['q:a'])));
      assert.deepEqual(commits, Array(10).fill(100));
      assert.equal(await store.log.nextOffset('q:a'), 1001);
    });

    it('batches offset and session writes with appends', async () => {
      const commits: number[] = [];
      const store = openStore({ onCommit: (n) => commits.push(n) });
      await Promise.all([
        store.log.append(makeMessage('a', '1'), ['q:a']),
        store.offsets.setOffset('c', 'q:a', 2),
        store.sessions.putSession({ clientId: 'c', protocolVersion: 4, expiryInterval: 10, subscriptions: [], inboundQos2: [], outbound: [] }),
      ]);
      assert.deepEqual(commits, [3]);
    });

    it('rejects every append of a failed batch with STORE_IO and leaves no trace, in memory or on disk', async () => {
      const store = openStore();
      await store.log.append(makeMessage('a', 'before'), ['q:a']);
      // A second connection adds a trigger that aborts any insert of topic "boom".
      const other = new Database(join(dir, SQLITE_FILE_NAME));
      other.exec(`CREATE TRIGGER boom BEFORE INSERT ON messages WHEN NEW.topic = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`);
      other.close();
      const results = await Promise.allSettled([
        store.log.append(makeMessage('a', 'ok1'), ['q:a', 'q:new']),
        store.log.append(makeMessage('boom', 'x'), ['q:a']),
        store.log.append(makeMessage('a', 'ok2'), ['q:a'], { dedupeKey: 'k' }),
      ]);
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        assert.equal((r.reason as StoreError).code, 'STORE_IO');
      }
      assert.equal(await store.log.nextOffset('q:a'), 2);
      assert.equal(await store.log.nextOffset('q:new'), 1);
      assert.deepEqual(await store.log.stats(), { messages: 1, bytes: 6, queues: 1 });
      const after = await store.log.append(makeMessage('a', 'after'), ['q:a', 'q:new'], { dedupeKey: 'k' });
      assert.equal(after.duplicate, false);
      assert.deepEqual(!after.duplicate && after.offsets, { 'q:a': 2, 'q:new': 1 });
      assert.equal(!after.duplicate && after.id, 2);
      await store.close();
      const reopened = openStore();
      assert.deepEqual((await reopened.log.read('q:a', 1, 10)).map((e) => e.message.payload.toString()), ['before', 'after']);
    });
    it('a failed batch that pruned before it appended puts every total back as it was before the batch', async () => {
      const store = openStore();
      await store.log.append(makeMessage('a', 'old-1'), ['q:a']);
      await store.log.append(makeMessage('a', 'old-2'), ['q:a']);
      const other = new Database(join(dir, SQLITE_FILE_NAME));
      other.exec(`CREATE TRIGGER boom BEFORE INSERT ON messages WHEN NEW.topic = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`);
      other.close();
      // One batch: a prune that removes both old messages, then appends (one of which aborts the COMMIT).
      const results = await Promise.allSettled([
        store.log.prune({ maxAgeMs: 1, maxBytes: 0 }, Date.now() + 60_000),
        store.log.append(makeMessage('a', 'ok'), ['q:a', 'q:new']),
        store.log.append(makeMessage('boom', 'x'), ['q:a']),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
      assert.deepEqual(await store.log.stats(), { messages: 2, bytes: 10, queues: 1 });
      assert.equal(await store.log.nextOffset('q:a'), 3);
      assert.equal(await store.log.nextOffset('q:new'), 1);
      assert.deepEqual((await store.log.read('q:a', 1, 10)).map((e) => e.message.payload.toString()), ['old-1', 'old-2']);
      const after = await store.log.append(makeMessage('a', 'after'), ['q:a']);
      assert.deepEqual(!after.duplicate && [after.id, after.offsets], [3, { 'q:a': 3 }]);
      await store.close();
    });
  });

  describe('hot-message cache', () => {
    it('reads a broadcast payload from disk once for 1,000 subscriber reads', async () => {
      const first = openStore();
      const r = await first.log.append(makeMessage('broadcast/all', 'x'.repeat(1024)), ['q:broadcast', 't:broadcast/all']);
      await first.close();
      const store = openStore();
      assert.equal(store.cache.size, 0);
      for (let i = 0; i < 1000; i++) {
        const [e] = await store.log.read('t:broadcast/all', 1, 10);
        assert.equal(e?.message.id, !r.duplicate && r.id);
      }
      assert.equal(store.cache.misses, 1);
      assert.equal(store.cache.hits, 999);
    });

    it('serves what was just appended without a disk read', async () => {
      const store = openStore();
      await store.log.append(makeMessage('a', 'fresh'), ['q:a']);
      await store.log.read('q:a', 1, 1);
      assert.equal(store.cache.misses, 0);
    });

    it('stays within its bounds and still reads everything', async () => {
      const store = openStore({ cacheMaxMessages: 10 });
      for (let i = 0; i < 50; i++) await store.log.append(makeMessage('a', String(i)), ['q:a']);
      assert.ok(store.cache.size > 0 && store.cache.size <= 10, `cache holds ${store.cache.size}`);
      const all = await store.log.read('q:a', 1, 100);
      assert.deepEqual(all.map((e) => e.message.payload.toString()), Array.from({ length: 50 }, (_, i) => String(i)));
      assert.ok(store.cache.size > 0 && store.cache.size <= 10, `cache holds ${store.cache.size}`);
    });
  });

  describe('migrations', () => {
    it('brings an existing v1 file to the latest schema and keeps its data', async () => {
      const file = join(dir, SQLITE_FILE_NAME);
      const v1 = openDatabase(file, { migrateTo: 1 });
      assert.equal(schemaVersion(v1), 1);
      v1.exec(`
        INSERT INTO messages (id, topic, payload, qos, retain, properties, meta, created_at, expires_at)
          VALUES (7, 'a/b', x'68690a', 1, 0, '{"qoslevel":1,"cleansessionflag":true,"mqttRealTopic":"a/b","mqttSecondTopic":"/b"}', NULL, 1000, NULL);
        INSERT INTO queues (id, name, next_offset) VALUES (1, 'q:a', 4);
        INSERT INTO queue_entries (queue_id, offset, message_id) VALUES (1, 3, 7);
        INSERT INTO dedupe (key, message_id, created_at) VALUES ('gw:1', 7, 1000);
        INSERT INTO retained (topic, message_id) VALUES ('a/b', 7);
      `);
      v1.close();
      const store = openStore();
      const db = new Database(file, { readonly: true });
      assert.equal(schemaVersion(db), LATEST_VERSION);
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all() as string[];
      db.close();
      for (const name of ['messages_by_created', 'messages_by_expiry', 'dedupe_by_message']) assert.ok(indexes.includes(name), name);
      const [e] = await store.log.read('q:a', 1, 10);
      assert.equal(e?.offset, 3);
      assert.equal(e?.message.payload.toString(), 'hi\n');
      assert.equal((await store.retained.matchRetained('a/#'))[0]?.id, 7);
      assert.deepEqual(await store.log.append(makeMessage('a', 'x'), ['q:a'], { dedupeKey: 'gw:1' }), { duplicate: true });
      const r = await store.log.append(makeMessage('a', 'x'), ['q:a']);
      assert.deepEqual(r, { duplicate: false, id: 8, offsets: { 'q:a': 4 } });
    });

    it('applies nothing twice and refuses a file from a newer version', () => {
      const file = join(dir, SQLITE_FILE_NAME);
      const db = openDatabase(file);
      assert.deepEqual(migrate(db), []);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(LATEST_VERSION + 1);
      db.prepare('INSERT INTO schema_floor (version) VALUES (?)').run(LATEST_VERSION + 1); // a breaking one
      db.close();
      assert.throws(() => openSqliteStore({ dir }), (err: unknown) => err instanceof StoreError && err.code === 'STORE_SCHEMA');
    });

    it('sets WAL and synchronous=FULL', () => {
      const db = openDatabase(join(dir, SQLITE_FILE_NAME));
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('synchronous', { simple: true }), 2);
      db.close();
    });
  });
});

describe('sqlite store: kill -9 while appending @e2e', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const fixture = fileURLToPath(new URL('./fixtures/append-loop.ts', import.meta.url));
  let dir: string;
  const children: ChildProcess[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'causeway-kill9-'));
  });
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the appender until it printed `minAcked` acknowledged appends, then SIGKILLs it mid-flight. */
  async function appendUntilKilled(start: number, minAcked: number): Promise<Printed[]> {
    let killed = false;
    const printed = await runAppender({
      root,
      fixture,
      args: [dir, String(start)],
      guardMs: 15_000,
      children,
      onAcks: (n, child) => {
        if (!killed && n >= minAcked) {
          killed = true;
          child.kill('SIGKILL');
        }
      },
    });
    if (printed.length < minAcked) throw new Error(`appender was killed after only ${printed.length} acks`);
    return printed;
  }

  async function assertAllPresent(printed: Printed[]): Promise<void> {
    const db = new Database(join(dir, SQLITE_FILE_NAME));
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
    const store = openSqliteStore({ dir });
    try {
      const byQueue = new Map<string, Map<number, number>>();
      for (const q of ['q:telemetry', 'f:telemetry/+/+/temp']) {
        const m = new Map<number, number>();
        for (const e of await store.log.read(q, 1, 1_000_000)) m.set(e.offset, e.message.id);
        byQueue.set(q, m);
      }
      for (const p of printed) {
        const m = await store.log.get(p.id);
        assert.ok(m, `acknowledged message ${p.id} (#${p.i}) lost`);
        assert.equal(m.payload.toString(), `reading-${p.i}-`.padEnd(256, 'x'));
        for (const [queue, offset] of Object.entries(p.offsets)) {
          const id = byQueue.get(queue)?.get(offset) ?? (await store.log.read(queue, offset, 1))[0]?.message.id;
          assert.equal(id, p.id, `queue ${queue} offset ${offset} does not hold ${p.id}`);
        }
      }
      // offsets stay dense: nothing committed is missing from the first-level queue
      const q = byQueue.get('q:telemetry')!;
      assert.equal(q.size, (await store.log.nextOffset('q:telemetry')) - 1);
      assert.ok((await store.log.stats()).messages >= printed.length);
      const sample = printed[printed.length - 1]!;
      const again = await store.log.append(makeMessage('telemetry/gw1/dev0/temp', 'dup'), ['q:telemetry'], { dedupeKey: `gw1:${sample.i}` });
      assert.deepEqual(again, { duplicate: true });
    } finally {
      await store.close();
    }
  }

  it('keeps every acknowledged append, twice in a row', async function () {
    this.timeout(60_000);
    const first = await appendUntilKilled(0, 2000);
    await assertAllPresent(first);
    // the recovered file takes more appends and survives a second kill
    const second = await appendUntilKilled(1_000_000, 2000);
    await assertAllPresent([...first, ...second]);
  });
});
