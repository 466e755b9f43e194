import assert from 'node:assert/strict';
import type { KV } from 'nats';
import { GroupLeases } from '../../src/store/jetstream/group-leases.js';

/** Just enough of a JetStream KV for leases: revisions, atomic create, compare-and-set update and delete. */
function fakeKv(o: { updateDelayMs: number }): KV {
  const data = new Map<string, { value: string; revision: number }>();
  let seq = 0;
  const wrongLast = (): Error => Object.assign(new Error('wrong last sequence'), { api_error: { err_code: 10071 } });
  const kv = {
    async get(key: string) {
      const e = data.get(key);
      return e === undefined ? null : { key, revision: e.revision, operation: 'PUT', json: () => JSON.parse(e.value) };
    },
    async create(key: string, value: string) {
      if (data.has(key)) throw wrongLast();
      data.set(key, { value, revision: ++seq });
      return seq;
    },
    async update(key: string, value: string, rev: number) {
      await new Promise((r) => setTimeout(r, o.updateDelayMs));
      if (data.get(key)?.revision !== rev) throw wrongLast();
      data.set(key, { value, revision: ++seq });
      return seq;
    },
    async delete(key: string, opts?: { previousSeq?: number }) {
      if (opts?.previousSeq !== undefined && data.get(key)?.revision !== opts.previousSeq) throw wrongLast();
      data.delete(key);
    },
  };
  return kv as unknown as KV;
}

describe('cloud/store/jetstream/group-leases', () => {
  it('a renewal slower than the renewal interval does not make the node give up its own lease', async () => {
    const lost: string[] = [];
    const leases = new GroupLeases(fakeKv({ updateDelayMs: 120 }), { nodeId: 'n1', leaseMs: 200, onLost: (k) => lost.push(k) });
    leases.start();
    try {
      assert.equal(await leases.owner('q.g'), 'n1');
      await new Promise((r) => setTimeout(r, 700)); // several renewal intervals (50 ms), each renewal 120 ms
      assert.deepEqual(lost, []);
      assert.equal(leases.holds('q.g'), true);
    } finally {
      await leases.close();
    }
  });

  it('a lease another node holds is reported as that node, and create races settle on one owner', async () => {
    const kv = fakeKv({ updateDelayMs: 0 });
    const a = new GroupLeases(kv, { nodeId: 'a' });
    const b = new GroupLeases(kv, { nodeId: 'b' });
    const [x, y] = await Promise.all([a.owner('q.g'), b.owner('q.g')]);
    assert.equal(x, y);
    assert.equal(a.holds('q.g') !== b.holds('q.g'), true);
  });
});
