import assert from 'node:assert/strict';
import { readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAgent } from '../helpers/agent.js';
import { forwardRig } from '../helpers/forward-rig.js';

const T0 = 1_700_000_000_000;

describe('edge e2e 04-corrupt-db: a damaged outbox file is quarantined, never a crash loop @e2e', function () {
  this.timeout(60_000);
  const rig = forwardRig('e2e04');

  const damages = {
    truncated: (p: string) => truncateSync(p, Math.floor(statSync(p).size / 3)),
    overwritten: (p: string) => writeFileSync(p, Buffer.alloc(16_384, 0xa5)),
  };

  for (const [name, damage] of Object.entries(damages)) {
    it(`${name}: moves the file aside, reports outbox-corrupt with a new epoch, and forwards new readings`, async () => {
      const gw = `gw-e2e4-${name}`;
      const store = join(rig.dir, `${name}.db`);
      // Fill a file with an agent that cannot reach the cloud (nothing is sent, everything stays).
      const first = startAgent(['--gateway.id', gw, '--cloud.url', 'mqtt://127.0.0.1:9', '--store.path', store, '--cloud.backoffMaxMs', '500']);
      rig.agents.push(first);
      for (let i = 0; i < 3000; i++) first.send({ device: 'd', stream: 'old', ts: T0 + i, value: i, unit: 'padding-padding-padding' });
      await first.waitAck(3000, 20_000);
      first.proc.kill('SIGTERM');
      assert.equal((await first.exited).code, 0);
      damage(store);

      const agent = startAgent(['--gateway.id', gw, '--cloud.url', rig.broker.url, '--store.path', store]);
      rig.agents.push(agent);
      await rig.sub.waitFor(() => rig.sub.events.some((e) => e.gateway === gw && e.event === 'outbox-corrupt'), 20_000, 'the outbox-corrupt event').catch((err) => {
        throw new Error(`no event; stderr ${agent.stderr.slice(-500)}`, { cause: err });
      });
      const ev = rig.sub.events.find((e) => e.gateway === gw && e.event === 'outbox-corrupt')!;
      const movedTo = (ev.data as { movedTo: string }).movedTo;
      assert.ok(movedTo.startsWith(`${store}.corrupt-`));
      assert.ok(readdirSync(rig.dir).some((f) => join(rig.dir, f) === movedTo), 'the damaged file is kept for a post-mortem');
      for (let i = 0; i < 10; i++) agent.send({ device: 'd', stream: 'new', ts: T0 + i, value: i });
      await agent.waitAck(10, 10_000);
      await rig.sub.waitFor(() => Array.from({ length: 10 }, (_, i) => `d/new/${T0 + i}`).every((k) => rig.sub.readings.has(k)), 10_000, 'new readings');
      const oldEpoch = first.logs.find((l) => l.msg === 'outbox open')?.epoch;
      const epochs = new Set(rig.sub.batches.filter((b) => b.gateway === gw).map((b) => b.id.split('-')[0]));
      assert.equal(typeof oldEpoch, 'string');
      assert.deepEqual([...epochs], [ev.id.split('-')[0]], 'the event and the new batches share one epoch');
      assert.ok(!epochs.has(oldEpoch as string), 'a fresh epoch, so new ids never collide with the old file in the cloud dedupe');
      assert.equal(agent.proc.exitCode, null, 'the agent keeps running');
      const log = agent.logs.find((l) => l.msg === 'outbox file was damaged; moved aside and started fresh');
      assert.ok(log, 'logged at error level');
    });
  }
});
