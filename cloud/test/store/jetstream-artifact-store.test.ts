import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { connect } from 'nats';
import { normalizeJetStreamOptions } from '../../src/store/jetstream/jetstream-options.js';
import { openJetStreamArtifactStore } from '../../src/store/jetstream/jetstream-artifact-store.js';
import { type JetStreamStore, destroyJetStreamStore, openJetStreamStore } from '../../src/store/jetstream/jetstream-store.js';
import { describeArtifactStoreContract, manifestOf } from '../files/artifact-store-contract.js';
import { natsForSuite } from './jetstream-server.js';

describe('jetstream artifact store (Object Store + KV) against a real nats-server @e2e', function () {
  this.timeout(30_000);
  const nats = natsForSuite(1);
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const cacheDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'causeway-artifact-cache-'));
    dirs.push(d);
    return d;
  };
  const storeFor = async (prefix: string): Promise<JetStreamStore> => nats.track(await openJetStreamStore({ servers: nats.urls, prefix }));
  const destroy = async (prefix: string): Promise<void> => {
    const nc = await connect({ servers: nats.urls });
    await destroyJetStreamStore(await nc.jetstreamManager(), normalizeJetStreamOptions({ servers: nats.urls, prefix }));
    await nc.close();
  };

  describeArtifactStoreContract('jetstream', async () => {
    const prefix = `a${randomBytes(4).toString('hex')}`;
    return {
      store: await openJetStreamArtifactStore(await storeFor(prefix), cacheDir()),
      // another node: its own connection and an empty cache of its own
      peer: async () => openJetStreamArtifactStore(await storeFor(prefix), cacheDir()),
      cleanup: () => destroy(prefix),
    };
  });

  it('finds a content\'s chunk size by its small references, and by its records when a crash left none; a publish again repairs it', async () => {
    const prefix = `r${randomBytes(4).toString('hex')}`;
    const js = await storeFor(prefix);
    const s = await openJetStreamArtifactStore(js, cacheDir());
    const data = randomBytes(5000);
    const m = manifestOf(data, { name: 'maps', version: '3' }, 2048);
    await s.putBlob(Readable.from([data]), m.sha256, 1e6);
    await s.insert({ manifest: m, signature: 's', keyId: 'k' }, 1);
    const kv = await js.js.views.kv(`${prefix}_artifacts`);
    assert.deepEqual((await kv.get(`s.${m.sha256}.maps.3.=`))?.json(), { chunkSize: 2048 });
    // A crash between writing a record and its reference: another node still serves the content.
    await kv.purge(`s.${m.sha256}.maps.3.=`);
    const other = await openJetStreamArtifactStore(js, cacheDir());
    assert.equal(await other.chunkSizeOf(m.sha256), 2048);
    assert.deepEqual(await other.readChunk(m.sha256, 2), data.subarray(4096));
    assert.deepEqual(await s.insert({ manifest: m, signature: 's', keyId: 'k' }, 2), { created: false });
    assert.deepEqual((await kv.get(`s.${m.sha256}.maps.3.=`))?.json(), { chunkSize: 2048 });
    assert.equal(await s.delete('maps', '3', ''), true);
    assert.equal((await kv.get(`s.${m.sha256}.maps.3.=`))?.operation, 'PURGE');
    await s.close();
    await other.close();
    await destroy(prefix);
  });

  it('keeps the node-local cache within files.cacheMaxBytes: the least recently read go first, and are fetched again when read', async () => {
    const prefix = `l${randomBytes(4).toString('hex')}`;
    const js = await storeFor(prefix);
    const publisher = await openJetStreamArtifactStore(js, cacheDir());
    const blobs = [randomBytes(40_000), randomBytes(40_000), randomBytes(40_000)];
    const ms = blobs.map((d, i) => manifestOf(d, { name: `f${i}` }, 8192));
    for (const [i, d] of blobs.entries()) {
      await publisher.putBlob(Readable.from([d]), ms[i]!.sha256, 1e6);
      await publisher.insert({ manifest: ms[i]!, signature: 's', keyId: 'k' }, i + 1);
    }
    const dir = cacheDir();
    const node = await openJetStreamArtifactStore(js, dir, 100_000); // room for two of the three
    const cached = (): string[] => readdirSync(dir).sort();
    assert.deepEqual(await node.readChunk(ms[0]!.sha256, 0), blobs[0]!.subarray(0, 8192));
    assert.deepEqual(await node.readChunk(ms[1]!.sha256, 1), blobs[1]!.subarray(8192, 16384));
    assert.deepEqual(await node.readChunk(ms[0]!.sha256, 2), blobs[0]!.subarray(16384, 24576)); // f0 read last now
    assert.deepEqual(cached(), [ms[0]!.sha256, ms[1]!.sha256].sort());
    assert.deepEqual(await node.readChunk(ms[2]!.sha256, 4), blobs[2]!.subarray(32768));
    assert.deepEqual(cached(), [ms[0]!.sha256, ms[2]!.sha256].sort(), 'f1, the least recently read, went');
    assert.equal(node.cacheEvictions, 1);
    // Read again: fetched from JetStream again, right bytes, and f0 (now the oldest) makes room.
    assert.deepEqual(await node.readChunk(ms[1]!.sha256, 0), blobs[1]!.subarray(0, 8192));
    assert.deepEqual(cached(), [ms[1]!.sha256, ms[2]!.sha256].sort());
    // A restarted node knows what its cache holds and keeps bounding it.
    await node.close();
    const again = await openJetStreamArtifactStore(js, dir, 100_000);
    await again.readChunk(ms[0]!.sha256, 0);
    assert.equal(cached().length, 2);
    assert.equal(again.cacheEvictions, 1);
    await again.close();
    await publisher.close();
    await destroy(prefix);
  });

  it('fetches content into the node-local cache once, serves every chunk from it, and sweeps what is no longer published', async () => {
    const prefix = `b${randomBytes(4).toString('hex')}`;
    const js = await storeFor(prefix);
    const dirA = cacheDir();
    const a = await openJetStreamArtifactStore(js, dirA);
    const data = randomBytes(300_000); // three Object Store messages of 128 KiB
    const m = manifestOf(data, { name: 'big' }, 16_384);
    await a.putBlob(Readable.from([data]), m.sha256, 1e6);
    await a.insert({ manifest: m, signature: 's', keyId: 'k' }, 1);
    const dirB = cacheDir();
    const b = await openJetStreamArtifactStore(js, dirB);
    assert.deepEqual(readdirSync(dirB), [], 'a new node starts with an empty cache');
    // Many chunk requests at once: one fetch (one consumer on the blobs' stream), every chunk right.
    const nc = await connect({ servers: nats.urls });
    let fetches = 0;
    nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.CREATED.OBJ_${prefix}_blobs.>`, { callback: () => fetches++ });
    await nc.flush();
    const chunks = await Promise.all(m.chunks.map((_, i) => b.readChunk(m.sha256, i)));
    assert.deepEqual(Buffer.concat(chunks), data);
    assert.deepEqual(await b.readChunk(m.sha256, 3), data.subarray(3 * 16_384, 4 * 16_384));
    await nc.flush();
    await nc.close();
    assert.equal(fetches, 1, `${fetches} fetches of one content`);
    assert.deepEqual(readdirSync(dirB), [m.sha256]);
    // Left-overs of a crash and of content deleted through another node go when a node opens its cache.
    writeFileSync(join(dirB, '.upload-0123'), 'partial');
    writeFileSync(join(dirB, 'f'.repeat(64)), 'gone');
    await b.close();
    const b2 = await openJetStreamArtifactStore(js, dirB);
    assert.deepEqual(readdirSync(dirB), [m.sha256]);
    assert.equal(await b2.delete('big', '1', ''), true);
    assert.equal(existsSync(join(dirB, m.sha256)), false);
    await assert.rejects(a.readChunk(m.sha256, 0), (err: { code?: string }) => err.code === 'ARTIFACT_NOT_FOUND');
    await a.close();
    await b2.close();
    await destroy(prefix);
  });
});
