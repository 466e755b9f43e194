import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkHasher, publicKeyLine, signManifest, type ArtifactManifest } from '@causeway/shared';
import { startBroker, type BrokerProcess } from './fixtures/broker-process.js';

/**
 * The artifact routes of a real causeway-cloud (issue 17): content is hashed as it arrives and refused
 * when it does not match its name (a truncated upload), stored once, over a size limit refused; a
 * manifest is refused without a trusted key, with a forged signature, or when it does not describe the
 * stored bytes. Every refusal is a 4xx with a code, and the process keeps serving.
 */
describe('cloud e2e 30: artifacts API refusals @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  const token = 'operator-token-for-cloud-e2e-30';
  const keys = generateKeyPairSync('ed25519');
  const pem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  let trusting: BrokerProcess;
  let untrusting: BrokerProcess;

  const req = async (b: BrokerProcess, method: string, path: string, body?: Buffer | unknown): Promise<{ status: number; json: any }> => {
    const raw = Buffer.isBuffer(body);
    const r = await fetch(`http://127.0.0.1:${b.apiPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': raw ? 'application/octet-stream' : 'application/json' }) },
      ...(body === undefined ? {} : { body: raw ? (body as Buffer) : JSON.stringify(body) }),
    });
    return { status: r.status, json: await r.json() };
  };
  const manifestOf = (data: Buffer, over: Partial<ArtifactManifest> = {}): ArtifactManifest => {
    const h = new ChunkHasher(1024);
    h.update(data);
    const r = h.finish();
    return { v: 1, kind: 'file', name: 'dbc', version: '1', target: '', path: 'dbc/can0.dbc', size: r.size, sha256: r.sha256, chunkSize: 1024, chunks: r.chunks, ...over };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-cloud-e2e-artifacts-'));
    writeFileSync(join(dir, 'trusting.json'), JSON.stringify({ api: { operatorToken: token }, files: { trustedKeys: [publicKeyLine(keys.publicKey)], maxArtifactBytes: 100_000 } }));
    writeFileSync(join(dir, 'untrusting.json'), JSON.stringify({ api: { operatorToken: token } }));
    trusting = await startBroker(join(dir, 'a'), ['--config', join(dir, 'trusting.json')]);
    untrusting = await startBroker(join(dir, 'b'), ['--config', join(dir, 'untrusting.json')]);
  });
  after(async () => {
    await trusting?.stop();
    await untrusting?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hashes an upload as it arrives: a truncated one is refused and nothing is stored; the same content is stored once', async () => {
    const data = randomBytes(5000);
    const sha = createHash('sha256').update(data).digest('hex');
    const cut = await req(trusting, 'PUT', `/v1/blobs/${sha}`, data.subarray(0, 4000));
    assert.equal(cut.status, 422);
    assert.equal(cut.json.error.code, 'ARTIFACT_MISMATCH');
    assert.deepEqual(readdirSync(join(dir, 'a', 'artifacts', 'blobs')), []);
    assert.equal((await req(trusting, 'PUT', `/v1/blobs/${sha}`, data)).json.stored, true);
    assert.equal((await req(trusting, 'PUT', `/v1/blobs/${sha}`, data)).json.stored, false);
    const big = randomBytes(100_001);
    const tooBig = await req(trusting, 'PUT', `/v1/blobs/${createHash('sha256').update(big).digest('hex')}`, big);
    assert.equal(tooBig.status, 413);
    assert.equal((await req(trusting, 'PUT', '/v1/blobs/not-a-sha', data)).status, 400);
  });

  it('accepts a signed manifest of stored bytes, and refuses one that does not describe them, or is forged', async () => {
    const data = randomBytes(5000);
    const m = manifestOf(data);
    assert.equal((await req(trusting, 'POST', '/v1/artifacts', signManifest(m, pem))).json.error?.code, 'ARTIFACT_NO_BLOB');
    await req(trusting, 'PUT', `/v1/blobs/${m.sha256}`, data);
    const wrongChunks = manifestOf(data, { chunks: manifestOf(randomBytes(5000)).chunks });
    const mismatch = await req(trusting, 'POST', '/v1/artifacts', signManifest(wrongChunks, pem));
    assert.equal(mismatch.status, 422);
    const ok = await req(trusting, 'POST', '/v1/artifacts', signManifest(m, pem));
    assert.equal(ok.status, 201, JSON.stringify(ok.json));
    const forged = { ...signManifest(m, pem), manifest: { ...m, path: '../../etc/cron.d/x' } };
    assert.equal((await req(trusting, 'POST', '/v1/artifacts', forged)).json.error.code, 'ARTIFACT_BAD_SIGNATURE');
    const otherKey = signManifest({ ...m, version: '2' }, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    assert.equal((await req(trusting, 'POST', '/v1/artifacts', otherKey)).json.error.code, 'ARTIFACT_UNTRUSTED');
    const sameNameOtherContent = manifestOf(randomBytes(10));
    assert.equal((await req(trusting, 'POST', '/v1/artifacts', signManifest(sameNameOtherContent, pem))).status, 409);
    assert.equal((await req(trusting, 'GET', '/v1/artifacts')).json.artifacts.length, 1);
  });

  it('retention: prune keeps the newest versions of a name and deletes the rest with their content', async () => {
    const blobs = (): number => readdirSync(join(dir, 'a', 'artifacts', 'blobs')).length;
    const before = blobs();
    for (const version of ['r1', 'r2', 'r3']) {
      const data = randomBytes(2000);
      const m = manifestOf(data, { name: 'maps', version });
      await req(trusting, 'PUT', `/v1/blobs/${m.sha256}`, data);
      assert.equal((await req(trusting, 'POST', '/v1/artifacts', signManifest(m, pem))).status, 201);
      await new Promise((r) => setTimeout(r, 5)); // distinct publish times
    }
    assert.equal(blobs(), before + 3);
    const r = await req(trusting, 'POST', '/v1/artifacts/maps/prune', { keep: 1 });
    assert.deepEqual(r.json.deleted.map((d: { version: string }) => d.version).sort(), ['r1', 'r2']);
    assert.deepEqual((await req(trusting, 'GET', '/v1/artifacts?name=maps')).json.artifacts.map((a: { version: string }) => a.version), ['r3']);
    assert.equal(blobs(), before + 1);
    assert.equal((await req(trusting, 'POST', '/v1/artifacts/maps/prune', { keep: 0 })).status, 400);
  });

  it('refuses every manifest when no key is trusted', async () => {
    const data = randomBytes(100);
    const m = manifestOf(data);
    await req(untrusting, 'PUT', `/v1/blobs/${m.sha256}`, data);
    const r = await req(untrusting, 'POST', '/v1/artifacts', signManifest(m, pem));
    assert.equal(r.status, 403);
    assert.match(r.json.error.message, /files.trustedKeys is empty/);
    assert.equal(existsSync(join(dir, 'b', 'artifacts', 'artifacts.db')), true);
    assert.equal((await req(untrusting, 'GET', '/v1/stats')).status, 200, 'still serving');
  });
});
