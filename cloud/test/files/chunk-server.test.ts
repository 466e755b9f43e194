import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { CausewayError, decodeChunkAnswer, encodeChunkRequest, silentLogger } from '@causeway/shared';
import { ChunkServer } from '../../src/files/chunk-server.js';
import type { ArtifactStore } from '../../src/files/contract.js';
import { SqliteArtifactStore } from '../../src/files/sqlite-artifact-store.js';
import type { ServerQueues } from '../../src/queues/contract.js';
import type { QueueMessage } from '../../src/queues/queue-message.js';
import { manifestOf } from './artifact-store-contract.js';

/** The `file-req` queue as the chunk server sees it: a batch handed out until acked, then nothing. */
function fakeQueue(batch: QueueMessage[]): { queues: ServerQueues; pulls: () => number; acked: number[] } {
  let pulls = 0;
  const acked: number[] = [];
  const queues = {
    async pull(_spec: unknown, _member: string, _max: number, waitMs = 0, signal?: AbortSignal): Promise<QueueMessage[]> {
      pulls++;
      if (acked.length === 0) return batch;
      await new Promise((r) => {
        const t = setTimeout(r, Math.min(waitMs, 50));
        signal?.addEventListener('abort', () => (clearTimeout(t), r(undefined)));
      });
      return [];
    },
    async ack(_spec: unknown, _member: string, offsets: readonly number[]): Promise<number> {
      acked.push(...offsets);
      return offsets.length;
    },
  } as unknown as ServerQueues;
  return { queues, pulls: () => pulls, acked };
}

const request = (offset: number, sha256: string, index: number): QueueMessage => ({
  queue: 'file-req', offset, messageId: offset, topic: 'file-req/gw1/chunks', properties: {}, payload: encodeChunkRequest({ sha256, index, nonce: `n${offset}` }), createdAt: 0, deliveryCount: 1,
}) as QueueMessage;

const until = async (cond: () => boolean, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('cloud/files/chunk-server: answers chunk requests from the artifact store (issue 17)', () => {
  let dir: string;
  let store: SqliteArtifactStore;
  const data = randomBytes(2500);
  const m = manifestOf(data);
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'causeway-chunks-'));
    store = new SqliteArtifactStore(dir);
    await store.putBlob(Readable.from([data]), m.sha256, 10_000);
    await store.insert({ manifest: m, signature: 's', keyId: 'k' }, 1);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends each chunk to the asking gateway, and a refusal for content not published', async () => {
    const q = fakeQueue([request(1, m.sha256, 2), request(2, 'a'.repeat(64), 0)]);
    const sent: Array<{ gateway: string; topic: string; payload: Buffer }> = [];
    const server = new ChunkServer(q.queues, store, { ephemeral: (gateway, topic, payload) => (sent.push({ gateway, topic, payload }), 'sent') }, silentLogger);
    server.start();
    await until(() => q.acked.length === 2, 5000);
    await server.stop();
    assert.deepEqual(sent.map((s) => [s.gateway, s.topic]), [['gw1', 'file-chunk/gw1/chunks'], ['gw1', 'file-chunk/gw1/chunks']]);
    assert.deepEqual(decodeChunkAnswer(sent[0]!.payload).data, data.subarray(2000));
    assert.equal(decodeChunkAnswer(sent[1]!.payload).error?.code, 'ARTIFACT_NOT_FOUND');
    assert.equal(server.counters.served, 1);
    assert.equal(server.counters.refused, 1);
  });

  it('does not refuse a chunk when the store cannot be reached (STORE_IO): pulls the batch again and answers it then', async () => {
    let down = 2;
    const flaky: ArtifactStore = Object.assign(Object.create(store) as ArtifactStore, {
      readChunk: async (sha: string, index: number): Promise<Buffer> => {
        if (down-- > 0) throw new CausewayError('STORE_IO', 'JetStream unavailable');
        return store.readChunk(sha, index);
      },
    });
    const q = fakeQueue([request(1, m.sha256, 0)]);
    const answers: Buffer[] = [];
    const server = new ChunkServer(q.queues, flaky, { ephemeral: (_g, _t, payload) => (answers.push(payload), 'sent') }, silentLogger);
    server.start();
    await until(() => q.acked.length === 1, 5000);
    await server.stop();
    assert.equal(q.pulls() >= 3, true, `pulled ${q.pulls()} times`);
    assert.equal(answers.length, 1, 'no refusal sent while the store was down');
    assert.deepEqual(decodeChunkAnswer(answers[0]!).data, data.subarray(0, 1000));
    assert.equal(server.counters.refused, 0);
  });
});
