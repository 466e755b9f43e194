/**
 * Issue 23's stall, measured by hand — not part of `npm test` (about 45 s, a 3-node nats cluster):
 *   node --import tsx cloud/test/e2e/25-nats-loss-stall.ts [victim=tail|leader] [restartAfterMs=8000|none]
 *
 * Two JetStream stores (two "nodes", R3) on a 3-node nats-server cluster, 10 appenders each (one append
 * every 20 ms). After 3 s one nats-server is killed: `tail` = one holding a node's tail consumer but not
 * the stream leader (the case that stalled one node), `leader` = the stream leader. Prints, per node, the
 * first acknowledged append after the kill, the longest gap between acknowledgements and the errors.
 *
 * 2026-12-04, this box, victim=tail, no restart within 28 s: before the catch-up fix the node whose tail was
 * on the dead server acknowledged nothing for the whole 28.9 s while the other ran on; after it, the longest
 * gap on either node was 0.6 s (the tail was not re-created within the window: the node ran on fetches).
 */
import { startNats } from '../store/jetstream-server.js';
import { openJetStreamStore, type JetStreamStore } from '../../src/store/jetstream/jetstream-store.js';
import { makeMessage } from '../../../broker/test/store/store-contract.js';

const victimKind = process.argv[2] ?? 'tail';
const restartAfter = process.argv[3] === 'none' ? undefined : Number(process.argv[3] ?? 8000);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const nats = await startNats(3);
const prefix = `stall${Date.now()}`;
const open = async (servers: string[], name: string): Promise<JetStreamStore> => {
  // the cluster's JetStream meta group needs a moment before it can place an R3 stream
  for (let i = 0; ; i++) {
    try {
      return await openJetStreamStore({ servers, prefix, replicas: 3, name });
    } catch (err) {
      if (i > 40) throw err;
      await sleep(500);
    }
  }
};
const nodes = { A: await open([nats.urls[0]!], 'A'), B: await open([nats.urls[1]!, nats.urls[2]!], 'B') };
const stream = `${prefix}_log`;
const leader = (await nodes.A.jsm.streams.info(stream)).cluster?.leader;
const consumers = await nodes.A.jsm.consumers.list(stream).next();
console.log('stream leader', leader, 'tail consumers on', consumers.map((c) => c.cluster?.leader));

let running = true;
const acks: Record<string, number[]> = { A: [], B: [] };
const errors: Record<string, string[]> = { A: [], B: [] };
const loops: Promise<void>[] = [];
for (const [name, store] of Object.entries(nodes)) {
  for (let p = 0; p < 10; p++) {
    loops.push(
      (async () => {
        for (let i = 0; running; i++) {
          try {
            await store.log.append(makeMessage(`t/${name}${p}/x`, String(i)), ['q:t']);
            acks[name]!.push(Date.now());
          } catch (err) {
            errors[name]!.push((err as Error).message.slice(0, 120));
          }
          await sleep(20);
        }
      })(),
    );
  }
}
await sleep(3000);
const victim = victimKind === 'leader' ? leader : (consumers.find((c) => c.cluster?.leader !== leader)?.cluster?.leader ?? consumers[0]?.cluster?.leader);
const server = nats.nodes.find((n) => n.name === victim)!;
const killedAt = Date.now();
await server.kill();
console.log('killed', victim);
if (restartAfter === undefined) await sleep(28_000);
else {
  await sleep(restartAfter);
  await server.restart();
  console.log('restarted after', Date.now() - killedAt, 'ms');
  await sleep(20_000);
}
running = false;
const stoppedAt = Date.now();
await Promise.race([Promise.all(loops), sleep(10_000)]);
for (const [name, store] of Object.entries(nodes)) {
  const after = acks[name]!.filter((t) => t > killedAt && t <= stoppedAt);
  let gap = 0;
  [killedAt, ...after, stoppedAt].forEach((t, i, all) => (gap = i === 0 ? 0 : Math.max(gap, t - all[i - 1]!)));
  console.log(
    JSON.stringify({ node: name, firstAckAfterKillMs: after.length > 0 ? after[0]! - killedAt : null, maxGapMs: gap, acksAfterKill: after.length, errors: errors[name]!.length, sample: [...new Set(errors[name])].slice(0, 3), counters: store.log.counters }),
  );
}
await nats.stop();
process.exit(0);
