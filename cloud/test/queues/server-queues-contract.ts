import assert from 'node:assert/strict';
import type { GroupSpec, ServerQueues } from '../../src/queues/contract.js';

/** What the suite asks of a build: the cursor settings, and a clock it moves to expire leases. */
export interface ServerQueuesOptions {
  visibilityTimeoutMs: number;
  window: number;
  now: () => number;
}

/** What a backend's test hands the contract: fresh queues over an empty log. */
export interface ServerQueuesHarness {
  /**
   * The nodes a backend app may talk to, all over the same log and offsets: one for a single node, two or
   * more for a cluster (the suite puts members on different nodes; they must behave as one service).
   */
  nodes: ServerQueues[];
  /** Appends one message on `topic` (indexed into its first-level queue) and returns once every node can read it. */
  publish(topic: string, body: string, clientId: string, createdAt?: number): Promise<void>;
  /** Stops every node as a clean shutdown does and starts new ones on the same stored log and offsets. */
  restart(): Promise<ServerQueues[]>;
  /** Closes whatever is still open and removes what the build created. */
  cleanup(): Promise<void>;
}

const payloads = (msgs: ReadonlyArray<{ payload: Buffer }>): string[] => msgs.map((m) => m.payload.toString());

/** Rejects with a CausewayError of `code` (the API maps codes to statuses, so the code is the contract). */
async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code, `expected ${code}, got ${String(err)}`);
    return true;
  });
}

/**
 * The one contract every ServerQueues implementation must pass (issue 14): QueueService on the memory and
 * SQLite stores, ClusteredQueues on JetStream. Call it from the backend's own test file:
 * `describeServerQueuesContract('sqlite', async (o) => ({ nodes, publish, restart, cleanup }))`.
 * Where the harness has several nodes, `first` takes a group (its first call) and `other` is another
 * node, so every case also runs with the calls forwarded between nodes.
 */
export function describeServerQueuesContract(name: string, build: (o: ServerQueuesOptions) => Promise<ServerQueuesHarness>): void {
  describe(`ServerQueues contract: ${name}`, () => {
    const VISIBILITY_MS = 30_000;
    const clustering: GroupSpec = { queue: 'telemetry', group: 'analytics', mode: 'clustering' };
    const broadcasting: GroupSpec = { queue: 'telemetry', group: 'dashboards', mode: 'broadcasting' };
    let h: ServerQueuesHarness;
    let clock: number;
    let first: ServerQueues;
    let other: ServerQueues;
    const use = (nodes: ServerQueues[]): void => {
      first = nodes[0]!;
      other = nodes[nodes.length - 1]!;
    };

    beforeEach(async () => {
      clock = 1_000_000;
      h = await build({ visibilityTimeoutMs: VISIBILITY_MS, window: 1000, now: () => clock });
      use(h.nodes);
    });
    afterEach(async () => {
      await h.cleanup();
    });

    describe('clustering groups', () => {
      it('hands each message to exactly one member and every message to someone, members on any node', async () => {
        for (let i = 0; i < 30; i++) await h.publish(`telemetry/gw${i % 6}/d/t`, `m${i}`, `gw${i % 6}`);
        const members: Array<[ServerQueues, string]> = [[first, 'a'], [other, 'b'], [other, 'c']];
        const got = new Map<string, string[]>();
        for (let round = 0; round < 10; round++) {
          for (const [node, m] of members) {
            const msgs = await node.pull(clustering, m, 4);
            got.set(m, [...(got.get(m) ?? []), ...payloads(msgs)]);
            assert.equal(await node.ack(clustering, m, msgs.map((x) => x.offset)), msgs.length);
          }
        }
        const all = [...got.values()].flat();
        assert.equal(all.length, 30);
        assert.equal(new Set(all).size, 30, 'a message went to two members');
        assert.ok([...got.values()].filter((v) => v.length > 0).length >= 2, 'load is spread over members');
        for (const node of [first, other]) {
          const pos = await node.lag(clustering);
          assert.deepEqual(pos, { committed: 31, next: 31, lag: 0, inFlight: 0 });
        }
      });

      it('keeps per-device order: a device is leased to one member at a time', async () => {
        for (let i = 0; i < 6; i++) await h.publish('telemetry/gw1/d/t', `g1-${i}`, 'gw1');
        const a = await first.pull(clustering, 'a', 2);
        assert.deepEqual(payloads(a), ['g1-0', 'g1-1']);
        assert.equal((await other.lag(clustering)).inFlight, 2);
        // b cannot take gw1's later messages while a holds earlier ones
        assert.deepEqual(await other.pull(clustering, 'b', 10), []);
        await first.ack(clustering, 'a', a.map((m) => m.offset));
        assert.deepEqual(payloads(await other.pull(clustering, 'b', 10)), ['g1-2', 'g1-3', 'g1-4', 'g1-5']);
      });

      it('redelivers a message whose member died without acking, after the visibility timeout', async () => {
        await h.publish('telemetry/gw1/d/t', 'only', 'gw1');
        const leased = await first.pull(clustering, 'dies', 10);
        assert.equal(leased.length, 1);
        assert.equal(leased[0]!.deliveryCount, 1);
        assert.deepEqual(await other.pull(clustering, 'survivor', 10), [], 'redelivered before the timeout');
        clock += VISIBILITY_MS + 1;
        const again = await other.pull(clustering, 'survivor', 10);
        assert.deepEqual(payloads(again), ['only']);
        assert.equal(again[0]!.deliveryCount, 2);
        assert.equal(await first.ack(clustering, 'dies', [leased[0]!.offset]), 0, 'a stale lease cannot ack');
        assert.equal(await other.ack(clustering, 'survivor', [again[0]!.offset, 999]), 1, 'an offset never leased counts nothing');
        assert.equal((await first.lag(clustering)).lag, 0);
      });
    });

    describe('broadcasting groups', () => {
      it('hands every message to every member, each member with one cursor whichever node it reads through', async () => {
        for (let i = 0; i < 5; i++) await h.publish(`telemetry/gw${i}/d/t`, `m${i}`, `gw${i}`);
        const head = await first.pull(broadcasting, 'x', 2);
        await first.ack(broadcasting, 'x', head.map((m) => m.offset));
        const rest = await other.pull(broadcasting, 'x', 100);
        await other.ack(broadcasting, 'x', rest.map((m) => m.offset));
        assert.deepEqual(payloads([...head, ...rest]), ['m0', 'm1', 'm2', 'm3', 'm4']);
        assert.equal((await other.lag(broadcasting, 'x')).lag, 0);
        const y = await other.pull(broadcasting, 'y', 100);
        assert.deepEqual(payloads(y), ['m0', 'm1', 'm2', 'm3', 'm4']);
        assert.equal((await first.lag(broadcasting, 'y')).inFlight, 5);
      });
    });

    describe('offsets: commit, seek, lag', () => {
      it('commits offsets: after a restart the group resumes after the last acked message, unacked ones come back', async () => {
        for (let i = 0; i < 4; i++) await h.publish('telemetry/gw1/d/t', `m${i}`, 'gw1');
        const got = await first.pull(clustering, 'a', 2);
        await first.ack(clustering, 'a', got.map((m) => m.offset));
        assert.equal((await first.pull(clustering, 'a', 1)).length, 1); // leased, never acked: must come back
        use(await h.restart());
        assert.deepEqual(payloads(await other.pull(clustering, 'b', 10)), ['m2', 'm3']);
      });

      it('replays from an offset and from a time, and reports where it moved the cursor', async () => {
        for (let i = 0; i < 5; i++) await h.publish('telemetry/gw1/d/t', `m${i}`, 'gw1', 1000 + i * 1000);
        const all = await first.pull(clustering, 'a', 10);
        await first.ack(clustering, 'a', all.map((m) => m.offset));
        assert.equal(await other.seek(clustering, 'a', { offset: all[3]!.offset }), all[3]!.offset);
        assert.deepEqual(payloads(await other.pull(clustering, 'a', 10)), ['m3', 'm4']);
        assert.equal(await first.seek(clustering, 'a', { time: 2500 }), all[2]!.offset);
        assert.deepEqual((await other.lag(clustering)).committed, all[2]!.offset);
        assert.deepEqual(payloads(await first.pull(clustering, 'a', 10)), ['m2', 'm3', 'm4']);
      });

      it('reports committed, next, lag and in-flight', async () => {
        assert.deepEqual(await first.lag(clustering), { committed: 1, next: 1, lag: 0, inFlight: 0 });
        for (let i = 0; i < 3; i++) await h.publish('telemetry/gw1/d/t', `m${i}`, 'gw1');
        const got = await other.pull(clustering, 'a', 2);
        assert.deepEqual(await first.lag(clustering), { committed: 1, next: 4, lag: 3, inFlight: 2 });
        await other.ack(clustering, 'a', [got[0]!.offset]);
        assert.deepEqual(await other.lag(clustering), { committed: 2, next: 4, lag: 2, inFlight: 1 });
      });
    });

    describe('filters', () => {
      it('reads only the messages whose mqttSecondTopic matches, with the property mapping', async () => {
        await h.publish('telemetry/gw1/d1/temp', 'a', 'gw1');
        await h.publish('telemetry/gw1/d1/hum', 'b', 'gw1');
        await h.publish('telemetry/gw2/d9/temp', 'c', 'gw2');
        const spec: GroupSpec = { queue: 'telemetry', group: 'temps', mode: 'clustering', filter: '/+/+/temp' };
        await first.lag(spec);
        const msgs = await other.pull(spec, 'a', 10);
        assert.deepEqual(payloads(msgs), ['a', 'c']);
        assert.equal(msgs[1]!.queue, 'telemetry');
        assert.equal(msgs[1]!.topic, 'telemetry/gw2/d9/temp');
        assert.deepEqual(msgs[1]!.properties, { qoslevel: 1, cleansessionflag: true, mqttRealTopic: 'telemetry/gw2/d9/temp', mqttSecondTopic: '/gw2/d9/temp', clientId: 'gw2' });
        await other.ack(spec, 'a', msgs.map((m) => m.offset));
        assert.equal((await first.lag(spec)).lag, 0, 'filtered-out messages do not hold the group back');
      });
    });

    describe('groups and validation', () => {
      it('refuses a group redefined with another mode or filter, on any node, and lists only what it accepted', async () => {
        await first.pull(clustering, 'a', 1);
        await rejectsWith(other.pull({ ...clustering, mode: 'broadcasting' }, 'a', 1), 'QUEUE_GROUP_CONFLICT');
        await rejectsWith(other.lag({ ...clustering, filter: '/gw1/#' }), 'QUEUE_GROUP_CONFLICT');
        assert.deepEqual(first.groups(), [clustering]);
        // a refused spec is never listed (GET /v1/queues would then fail asking its lag)
        assert.ok(!other.groups().some((g) => g.mode === 'broadcasting' || g.filter !== undefined), JSON.stringify(other.groups()));
        await other.lag(clustering);
        assert.deepEqual(other.groups(), [clustering]);
      });

      const bad: Array<[string, () => Promise<unknown>, string]> = [
        ['a queue name with a slash', () => first.pull({ ...clustering, queue: 'tele/metry' }, 'a', 1), 'ID_INVALID'],
        ['an empty group name', () => first.lag({ ...clustering, group: '' }), 'ID_INVALID'],
        ['a filter without the leading "/"', () => first.pull({ ...clustering, group: 'g2', filter: 'nolead' }, 'a', 1), 'QUEUE_BAD_FILTER'],
        ['a filter with "#" inside', () => other.ack({ ...clustering, group: 'g3', filter: '/a/#/b' }, 'a', [1]), 'FILTER_INVALID'],
        ['an empty member id', () => other.pull(clustering, '', 1), 'ID_INVALID'],
        ['a seek to offset 0', () => other.seek(clustering, 'a', { offset: 0 }), 'QUEUE_BAD_OFFSET'],
      ];
      for (const [what, call, code] of bad) {
        it(`refuses ${what} with ${code} and keeps serving`, async () => {
          await h.publish('telemetry/gw1/d/t', 'm0', 'gw1');
          await first.lag(clustering);
          await rejectsWith(call(), code);
          assert.deepEqual(payloads(await other.pull(clustering, 'a', 10)), ['m0']);
          assert.ok(!first.groups().some((g) => g.group !== 'analytics'), JSON.stringify(first.groups()));
        });
      }
    });

    describe('long-poll', () => {
      it('returns as soon as a message is published and the nodes are notified', async () => {
        await first.lag(clustering);
        const started = Date.now();
        const pending = other.pull(clustering, 'a', 10, 5_000);
        await new Promise((r) => setTimeout(r, 200));
        await h.publish('telemetry/gw1/d/t', 'late', 'gw1');
        for (const n of h.nodes) n.notify('telemetry');
        assert.deepEqual(payloads(await pending), ['late']);
        assert.ok(Date.now() - started < 4_000, `woke after ${Date.now() - started} ms`);
      });

      it('returns nothing once its wait is over when nothing arrives', async () => {
        const started = Date.now();
        assert.deepEqual(await other.pull(clustering, 'a', 10, 300), []);
        assert.ok(Date.now() - started >= 250, `returned after ${Date.now() - started} ms`);
      });
    });
  });
}
