import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ChunkHasher, type ArtifactManifest, type SignedManifest } from '@causeway/shared';
import type { ArtifactStore } from '../../src/files/contract.js';

export interface ArtifactStoreHarness {
  store: ArtifactStore;
  /** a second handle on the same artifacts (another node of a shared store, or the same directory reopened) */
  peer: () => Promise<ArtifactStore>;
  cleanup?: () => Promise<void>;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const body = (b: Buffer, pieces = 3): Readable => {
  const step = Math.max(1, Math.ceil(b.length / pieces));
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += step) parts.push(b.subarray(i, i + step));
  return Readable.from(parts);
};
const code = (c: string) => (err: unknown): boolean => (err as { code?: string }).code === c;
const read = async (r: Readable): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
};

export function manifestOf(data: Buffer, over: Partial<ArtifactManifest> = {}, chunkSize = 1000): ArtifactManifest {
  const h = new ChunkHasher(chunkSize);
  h.update(data);
  const r = h.finish();
  return { v: 1, kind: 'file', name: 'dbc', version: '1', target: '', path: 'dbc/can0.dbc', size: r.size, sha256: r.sha256, chunkSize, chunks: r.chunks, ...over };
}
/** The store never checks signatures (the delivery service does): any string will do here. */
const signed = (m: ArtifactManifest): SignedManifest => ({ manifest: m, signature: 'c2ln', keyId: 'k1' });

/**
 * The behaviour every artifact store gives the delivery service, the API and the chunk server (one suite,
 * every backend): run by cloud/test/files/sqlite-artifact-store.test.ts and
 * cloud/test/store/jetstream-artifact-store.test.ts. `peer` sees what `store` published.
 */
export function describeArtifactStoreContract(name: string, open: () => Promise<ArtifactStoreHarness>): void {
  describe(`artifact store contract: ${name}`, () => {
    let h: ArtifactStoreHarness;
    const others: ArtifactStore[] = [];
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      for (const o of others.splice(0)) await o.close();
      await h.store.close();
      await h.cleanup?.();
    });
    const peer = async (): Promise<ArtifactStore> => {
      const p = await h.peer();
      others.push(p);
      return p;
    };

    it('stores content once, named by its sha256, hashed as it arrives', async () => {
      const s = h.store;
      const data = randomBytes(5000);
      assert.equal(await s.hasBlob(sha(data)), undefined);
      assert.deepEqual(await s.putBlob(body(data), sha(data), 10_000), { size: 5000, stored: true });
      assert.deepEqual(await s.putBlob(body(data), sha(data), 10_000), { size: 5000, stored: false });
      assert.equal(await s.hasBlob(sha(data)), 5000);
      const empty = Buffer.alloc(0);
      assert.deepEqual(await s.putBlob(body(empty), sha(empty), 10_000), { size: 0, stored: true });
      assert.equal(await s.hasBlob(sha(empty)), 0);
    });

    it('refuses a body that does not hash to its name, or is too large, or a name that is not a sha256: nothing is stored', async () => {
      const s = h.store;
      const data = randomBytes(5000);
      await assert.rejects(s.putBlob(body(data.subarray(0, 4000)), sha(data), 10_000), code('ARTIFACT_MISMATCH'));
      await assert.rejects(s.putBlob(body(data), sha(data), 4999), code('API_TOO_LARGE'));
      assert.equal(await s.hasBlob(sha(data)), undefined);
      await assert.rejects(s.putBlob(body(data), 'not-a-sha', 10_000), code('ARTIFACT_INVALID'));
      await assert.rejects(s.hasBlob('../etc/passwd'), code('ARTIFACT_INVALID'));
    });

    it('checks a manifest against the stored content, chunk by chunk', async () => {
      const s = h.store;
      const data = randomBytes(3500);
      const m = manifestOf(data);
      await assert.rejects(s.checkBlob(m), code('ARTIFACT_NO_BLOB'));
      await s.putBlob(body(data), m.sha256, 10_000);
      await s.checkBlob(m);
      await assert.rejects(s.checkBlob({ ...m, size: 3000 }), code('ARTIFACT_MISMATCH'));
      await assert.rejects(s.checkBlob({ ...m, chunks: manifestOf(randomBytes(3500)).chunks }), code('ARTIFACT_MISMATCH'));
    });

    it('records (name, version, target) once: again with the same content is fine, with other content refused; lists by name then newest first', async () => {
      const s = h.store;
      const a = randomBytes(1500);
      const b = randomBytes(1200);
      await s.putBlob(body(a), sha(a), 10_000);
      await s.putBlob(body(b), sha(b), 10_000);
      const m1 = manifestOf(a, { name: 'fw', version: '1.0.0', target: 'linux-arm64', kind: 'release', path: '' });
      assert.deepEqual(await s.insert(signed(m1), 10), { created: true });
      assert.deepEqual(await s.insert(signed(m1), 11), { created: false });
      await assert.rejects(s.insert(signed(manifestOf(b, { name: 'fw', version: '1.0.0', target: 'linux-arm64' })), 12), code('ARTIFACT_EXISTS'));
      await s.insert(signed(manifestOf(b, { name: 'fw', version: '1.1.0', target: 'linux-arm64' })), 20);
      await s.insert(signed(manifestOf(a, { name: 'dbc', version: 'v.2', target: '' })), 5);
      const row = await s.get('fw', '1.0.0', 'linux-arm64');
      assert.deepEqual(row, { name: 'fw', version: '1.0.0', target: 'linux-arm64', kind: 'release', sha256: sha(a), size: 1500, createdAt: 10, signed: signed(m1) });
      assert.equal(await s.get('fw', '1.0.0', ''), undefined);
      assert.deepEqual((await s.list()).map((r) => `${r.name} ${r.version}`), ['dbc v.2', 'fw 1.1.0', 'fw 1.0.0']);
      assert.deepEqual((await s.list({ name: 'fw' })).map((r) => r.version), ['1.1.0', '1.0.0']);
      assert.deepEqual(await s.list({ name: 'none' }), []);
      assert.equal(await s.storedBytes(), 2700, 'each distinct content counted once');
    });

    it('serves published content by chunk and by byte range', async () => {
      const s = h.store;
      const data = randomBytes(2500);
      const m = manifestOf(data);
      await s.putBlob(body(data), m.sha256, 10_000);
      await assert.rejects(s.readChunk(m.sha256, 0), code('ARTIFACT_NOT_FOUND'), 'stored but not published');
      assert.equal(await s.chunkSizeOf(m.sha256), undefined);
      await s.insert(signed(m), 1);
      assert.equal(await s.chunkSizeOf(m.sha256), 1000);
      assert.deepEqual(await s.readChunk(m.sha256, 0), data.subarray(0, 1000));
      assert.deepEqual(await s.readChunk(m.sha256, 2), data.subarray(2000));
      await assert.rejects(s.readChunk(m.sha256, 3), code('ARTIFACT_RANGE'));
      assert.deepEqual(await read(await s.blobStream(m.sha256, 0, 2499)), data);
      assert.deepEqual(await read(await s.blobStream(m.sha256, 999, 1500)), data.subarray(999, 1501));
      const empty = Buffer.alloc(0);
      const e = manifestOf(empty, { name: 'empty' });
      await s.putBlob(body(empty), e.sha256, 10);
      await s.insert(signed(e), 2);
      assert.deepEqual(await s.readChunk(e.sha256, 0), empty);
    });

    it('deletes the record, and the content with its last record', async () => {
      const s = h.store;
      const data = randomBytes(1800);
      await s.putBlob(body(data), sha(data), 10_000);
      await s.insert(signed(manifestOf(data, { version: '1' })), 1);
      await s.insert(signed(manifestOf(data, { version: '2' })), 2);
      assert.equal(await s.delete('dbc', '1', ''), true);
      assert.equal(await s.delete('dbc', '1', ''), false);
      assert.equal(await s.hasBlob(sha(data)), 1800, 'version 2 still names the content');
      assert.equal((await s.readChunk(sha(data), 1)).length, 800);
      assert.equal(await s.delete('dbc', '2', ''), true);
      assert.equal(await s.hasBlob(sha(data)), undefined);
      await assert.rejects(s.readChunk(sha(data), 0), code('ARTIFACT_NOT_FOUND'));
      assert.deepEqual(await s.list(), []);
      assert.equal(await s.storedBytes(), 0);
    });

    it('gives another handle what was published through this one', async () => {
      const data = randomBytes(4200);
      const m = manifestOf(data, { name: 'map', version: '7' }, 1024);
      await h.store.putBlob(body(data), m.sha256, 10_000);
      await h.store.checkBlob(m);
      await h.store.insert(signed(m), 3);
      const p = await peer();
      assert.equal(await p.hasBlob(m.sha256), 4200);
      assert.deepEqual((await p.list()).map((r) => [r.name, r.version, r.sha256]), [['map', '7', m.sha256]]);
      assert.equal(await p.chunkSizeOf(m.sha256), 1024);
      assert.deepEqual(Buffer.concat(await Promise.all([0, 1, 2, 3, 4].map((i) => p.readChunk(m.sha256, i)))), data);
      assert.deepEqual(await read(await p.blobStream(m.sha256, 4000, 4199)), data.subarray(4000));
      assert.deepEqual(await p.putBlob(body(data), m.sha256, 10_000), { size: 4200, stored: false });
      assert.equal(await p.delete('map', '7', ''), true);
      assert.equal(await h.store.get('map', '7', ''), undefined);
    });
  });
}
