import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkHasher, decodeChunkRequest, encodeChunkAnswer, signManifest, silentLogger, type CommandEnvelope, type CommandResultEnvelope } from '@causeway/shared';
import { ChunkClient, type ChunkLink } from '../../src/files/chunk-client.js';
import { FileJobs } from '../../src/files/file-jobs.js';
import { FileInstaller } from '../../src/files/file-installer.js';

/** A link that answers chunk requests from a buffer, in-process. */
function linkServing(content: Buffer, chunkSize: number): ChunkLink & { asked: number[] } {
  const bus = new EventEmitter();
  const asked: number[] = [];
  return Object.assign(bus, {
    asked,
    request: (topic: string, payload: Buffer) => {
      const r = decodeChunkRequest(payload);
      asked.push(r.index);
      const data = content.subarray(r.index * chunkSize, (r.index + 1) * chunkSize);
      setImmediate(() => bus.emit('chunk', topic.replace('file-req', 'file-chunk'), encodeChunkAnswer({ ...r, data })));
      return true;
    },
  }) as unknown as ChunkLink & { asked: number[] };
}

describe('edge/files/file-installer', () => {
  let dir: string;
  const keys = generateKeyPairSync('ed25519');
  const pem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const content = randomBytes(5000);
  const h = new ChunkHasher(1024);
  h.update(content);
  const r = h.finish();
  const signed = signManifest({ v: 1, kind: 'file', name: 'dbc', version: '1', target: '', path: 'can/dbc.bin', size: r.size, sha256: r.sha256, chunkSize: 1024, chunks: r.chunks }, pem);
  const env: CommandEnvelope = { v: 1, type: 'command', id: 'c1', name: 'install', args: { artifact: signed }, issuedAt: Date.now() };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-installer-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const rig = (link: ChunkLink, root = join(dir, 'files')) => {
    const results: CommandResultEnvelope[] = [];
    const jobs = new FileJobs(join(dir, 'files.db'));
    const installer = new FileInstaller({
      gateway: 'gw1',
      jobs,
      chunks: new ChunkClient({ link, gateway: 'gw1', timeoutMs: 1000, maxBytesPerSecond: 0, logger: silentLogger }),
      results: { sendResult: async (x) => void results.push(x), sendConfigReport: async () => undefined },
      trustedKeys: [keys.publicKey],
      target: 'linux-x64',
      root,
      minFreeBytes: 0,
      logger: silentLogger,
    });
    const finished = async (): Promise<CommandResultEnvelope> => {
      for (let i = 0; i < 200; i++) {
        const end = results.find((x) => x.status === 'SUCCEEDED' || x.status === 'FAILED');
        if (end !== undefined) return end;
        await new Promise((res) => setTimeout(res, 10));
      }
      throw new Error(`no end: ${JSON.stringify(results.map((x) => x.status))}`);
    };
    return { results, jobs, installer, finished };
  };

  it('downloads chunk by chunk, reports progress in order, and installs the exact bytes', async () => {
    const link = linkServing(content, 1024);
    const t = rig(link);
    t.installer.take(env, 'gw1');
    t.installer.start();
    const end = await t.finished();
    await t.installer.stop();
    t.jobs.close();
    assert.equal(end.status, 'SUCCEEDED');
    assert.deepEqual(t.results.map((x) => x.status), ['DOWNLOADING', 'VERIFYING', 'INSTALLING', 'SUCCEEDED']);
    assert.deepEqual(readFileSync(join(dir, 'files', 'can', 'dbc.bin')), content);
    assert.deepEqual(link.asked, [0, 1, 2, 3, 4]);
  });

  it('after a kill -9 between the rename into place and its record, checks the placed file instead of fetching again', async () => {
    const link = linkServing(content, 1024);
    const t = rig(link);
    t.installer.take(env, 'gw1');
    t.jobs.setState('c1', 'INSTALLING');
    mkdirSync(join(dir, 'files', 'can'), { recursive: true });
    writeFileSync(join(dir, 'files', 'can', 'dbc.bin'), content);
    t.installer.start();
    const end = await t.finished();
    await t.installer.stop();
    assert.equal(end.status, 'SUCCEEDED');
    assert.deepEqual(link.asked, []);
    assert.equal(t.installer.installed()['dbc']?.version, '1');
    t.jobs.close();
  });

  it('a disk that fills up mid-download fails the install as FILE_DISK_FULL and deletes the partial file', async function () {
    // A small filesystem of its own: a 1 MiB tmpfs (needs root; skipped with the reason where mount is refused).
    const mnt = join(dir, 'small');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      console.log('      skipped: cannot mount a 1 MiB tmpfs here (not root, or no mount permission)');
      return this.skip();
    }
    try {
      const big = randomBytes(512 * 1024);
      const bh = new ChunkHasher(64 * 1024);
      bh.update(big);
      const br = bh.finish();
      const bigSigned = signManifest({ v: 1, kind: 'file', name: 'map', version: '1', target: '', path: 'map.bin', size: br.size, sha256: br.sha256, chunkSize: 64 * 1024, chunks: br.chunks }, pem);
      const link = linkServing(big, 64 * 1024);
      const request = link.request;
      // Another writer takes the rest of the disk once the download is under way (statfs said it fitted).
      link.request = (topic, payload) => {
        if (decodeChunkRequest(payload).index === 2 && !existsSync(join(mnt, 'filler'))) {
          try {
            writeFileSync(join(mnt, 'filler'), Buffer.alloc(1024 * 1024));
          } catch {
            // filled up to the last byte: what we wanted
          }
        }
        return request(topic, payload);
      };
      const t = rig(link, mnt);
      t.installer.take({ ...env, id: 'c-full', args: { artifact: bigSigned } }, 'gw1');
      t.installer.start();
      const end = await t.finished();
      await t.installer.stop();
      t.jobs.close();
      assert.equal(end.status, 'FAILED');
      assert.match(end.error ?? '', /^FILE_DISK_FULL: the disk filled up/);
      assert.equal(existsSync(join(mnt, '.partial', br.sha256)), false, 'the partial file is deleted');
      assert.equal(existsSync(join(mnt, 'map.bin')), false, 'nothing installed');
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
