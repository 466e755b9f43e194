import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { ChunkHasher, keyIdOf, manifestBytes, parsePublicKey, publicKeyLine, signManifest, validateManifest, verifyManifest, type ArtifactManifest } from '../../src/artifacts/manifest.js';

const pair = () => generateKeyPairSync('ed25519');
const pem = (k: ReturnType<typeof pair>) => k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

function manifestOf(data: Buffer, chunkSize = 1024): ArtifactManifest {
  const h = new ChunkHasher(chunkSize);
  h.update(data);
  const r = h.finish();
  return { v: 1, kind: 'file', name: 'maps', version: '1.0', target: '', path: 'maps/a.bin', size: r.size, sha256: r.sha256, chunkSize, chunks: r.chunks };
}

describe('shared/artifacts/manifest', () => {
  it('hashes chunks and the whole however the bytes arrive', () => {
    const data = Buffer.alloc(2500, 7);
    const a = new ChunkHasher(1024);
    for (let i = 0; i < data.length; i += 333) a.update(data.subarray(i, i + 333));
    const r = a.finish();
    assert.equal(r.sha256, createHash('sha256').update(data).digest('hex'));
    assert.deepEqual(r.chunks, [0, 1024, 2048].map((o) => createHash('sha256').update(data.subarray(o, o + 1024)).digest('hex')));
  });

  it('signs and verifies with a trusted key; refuses another key and any changed field', () => {
    const k = pair();
    const s = signManifest(manifestOf(Buffer.alloc(3000, 1)), pem(k));
    assert.equal(s.keyId, keyIdOf(k.publicKey));
    const trusted = [parsePublicKey(publicKeyLine(k.publicKey))];
    assert.equal(verifyManifest(s, trusted).name, 'maps');
    assert.throws(() => verifyManifest(s, [pair().publicKey]), { code: 'ARTIFACT_UNTRUSTED' });
    for (const change of [{ version: '1.1' }, { path: '../x' }, { target: 'linux-arm64' }]) {
      assert.throws(() => verifyManifest({ ...s, manifest: { ...s.manifest, ...change } }, trusted), { code: 'ARTIFACT_BAD_SIGNATURE' });
    }
  });

  it('signs the fields in a fixed order, whatever order the object has', () => {
    const m = manifestOf(Buffer.alloc(10));
    const shuffled = Object.fromEntries(Object.entries(m).reverse()) as unknown as ArtifactManifest;
    assert.deepEqual(manifestBytes(shuffled), manifestBytes(m));
  });

  const BAD: Array<[string, Record<string, unknown>]> = [
    ['kind', { kind: 'exe' }],
    ['name', { name: '../etc' }],
    ['version', { version: '' }],
    ['target', { target: 'linux/arm64' }],
    ['sha256', { sha256: 'XYZ' }],
    ['chunk hashes', { chunks: [] }],
    ['chunkSize', { chunkSize: 10 }],
  ];
  for (const [what, change] of BAD) {
    it(`refuses a manifest with a bad ${what}`, () => {
      assert.throws(() => validateManifest({ ...manifestOf(Buffer.alloc(100)), ...change }), { code: 'ARTIFACT_INVALID' });
    });
  }

  it('refuses a key that is not Ed25519', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.throws(() => parsePublicKey(rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string), { code: 'ARTIFACT_BAD_KEY' });
    assert.throws(() => parsePublicKey('not a key'), { code: 'ARTIFACT_BAD_KEY' });
  });
});
