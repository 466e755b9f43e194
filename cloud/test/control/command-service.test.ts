import assert from 'node:assert/strict';
import { openSqliteControlStore } from '../../src/control/sqlite-control-store.js';
import { CommandService } from '../../src/control/command-service.js';
import { MemoryRegistry } from '../../src/identity/registry/memory-registry.js';
import { decodeEnvelope, type CommandResultEnvelope, silentLogger } from '@causeway/shared';

const result = (commandId: string, gateway: string, device: string, status: CommandResultEnvelope['status'], error?: string): CommandResultEnvelope => ({
  v: 1,
  type: 'command-result',
  id: `${commandId}-${status}`,
  commandId,
  gateway,
  device,
  status,
  ts: 1,
  ...(error === undefined ? {} : { error }),
});

describe('cloud/control/command-service', () => {
  let registry: MemoryRegistry;
  let sent: Array<{ topic: string; payload: Buffer }>;
  let clock: number;
  let svc: CommandService;

  beforeEach(async () => {
    registry = new MemoryRegistry();
    sent = [];
    clock = 1_000_000;
    for (let i = 1; i <= 10; i++) {
      await registry.create({ id: `gw${i}`, kind: 'gateway', groups: i <= 4 ? ['north'] : ['south'], tags: {}, enabled: i !== 10, createdAt: 0, online: false });
    }
    await registry.create({ id: 'relay-1', kind: 'device', gateway: 'gw1', groups: [], tags: {}, enabled: true, createdAt: 0, online: false });
    svc = new CommandService({ store: openSqliteControlStore(':memory:').commands, registry, publish: async (topic, payload) => void sent.push({ topic, payload }), logger: silentLogger, now: () => clock });
  });

  it('sends a unicast command to a device behind its gateway and follows it to SUCCEEDED', async () => {
    const states: string[] = [];
    svc.on('target', (e) => states.push(e.state));
    const c = await svc.create({ name: 'set-relay', args: { on: true }, target: { device: 'relay-1' }, ttlSeconds: 60 });
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.topic, `cmd/gw1/relay-1/${c.id}`);
    const env = decodeEnvelope(sent[0]!.payload);
    assert.equal(env.type, 'command');
    assert.deepEqual(env.type === 'command' && env.args, { on: true });
    await svc.handleResult({ gateway: 'gw1', device: 'relay-1', commandId: c.id }, result(c.id, 'gw1', 'relay-1', 'DELIVERED'));
    await svc.handleResult({ gateway: 'gw1', device: 'relay-1', commandId: c.id }, result(c.id, 'gw1', 'relay-1', 'SUCCEEDED'));
    assert.deepEqual(states, ['SENT', 'DELIVERED', 'SUCCEEDED']);
    await svc.settled(); // the finish check runs in the background, coalesced per command
    assert.equal((await svc.get(c.id))?.status, 'COMPLETED');
  });

  it('broadcasts to a group as ONE stored message and tracks every gateway', async () => {
    const c = await svc.create({ name: 'ping', args: {}, target: { group: 'north' } });
    assert.deepEqual(sent.map((s) => s.topic), [`cmd-group/north/${c.id}`]);
    assert.equal((await svc.counts(c.id)).SENT, 4);
    const all = await svc.create({ name: 'ping', args: {}, target: { all: true } });
    assert.deepEqual(sent.map((s) => s.topic).slice(1), [`cmd-all/${all.id}`]);
    assert.equal((await svc.counts(all.id)).SENT, 9, 'disabled gateways are not targeted');
  });

  it('the tick checks a running command for completion every 30 s, not every second (each check reads every target) [issue 23]', async () => {
    const store = openSqliteControlStore(':memory:').commands;
    let checks = 0;
    const hasOpen = store.hasOpen.bind(store);
    store.hasOpen = (id) => {
      checks++;
      return hasOpen(id);
    };
    const s = new CommandService({ store, registry, publish: async () => undefined, logger: silentLogger, now: () => clock });
    const c = await s.create({ name: 'ping', args: {}, target: { group: 'north' }, ttlSeconds: 3600 });
    checks = 0;
    for (let i = 0; i < 5; i++) {
      await s.tick();
      clock += 1000;
    }
    assert.equal(checks, 1, `${checks} finish checks in 5 ticks`);
    clock += 30_000;
    await s.tick();
    assert.equal(checks, 2);
    // a result still triggers its own check at once: the last open target done → COMPLETED without a tick
    for (const gw of ['gw1', 'gw2', 'gw3', 'gw4']) await s.handleResult({ gateway: gw, device: gw, commandId: c.id }, result(c.id, gw, gw, 'SUCCEEDED'));
    await s.settled();
    assert.equal((await s.get(c.id))?.status, 'COMPLETED');
  });

  it('expires undelivered targets and times out delivered ones when the TTL passes', async () => {
    const c = await svc.create({ name: 'ping', args: {}, target: { group: 'north' }, ttlSeconds: 10 });
    await svc.handleResult({ gateway: 'gw1', device: 'gw1', commandId: c.id }, result(c.id, 'gw1', 'gw1', 'DELIVERED'));
    await svc.handleResult({ gateway: 'gw2', device: 'gw2', commandId: c.id }, result(c.id, 'gw2', 'gw2', 'SUCCEEDED'));
    clock += 10_001;
    await svc.tick();
    const counts = await svc.counts(c.id);
    assert.deepEqual([counts.EXPIRED, counts.TIMED_OUT, counts.SUCCEEDED], [2, 1, 1]);
    assert.equal((await svc.get(c.id))?.status, 'COMPLETED', 'nothing left in a non-terminal state');
    // a late result changes nothing
    assert.equal(await svc.handleResult({ gateway: 'gw3', device: 'gw3', commandId: c.id }, result(c.id, 'gw3', 'gw3', 'SUCCEEDED')), false);
  });

  it('rolls out at the given pace and aborts past the failure threshold', async () => {
    const c = await svc.create({ name: 'update', args: {}, target: { all: true }, rolloutPerMinute: 2, abortThresholdPercent: 40 });
    assert.equal(sent.length, 1, 'one device at once');
    clock += 60_000;
    await svc.tick();
    assert.equal(sent.length, 3, 'two more after a minute');
    assert.ok(sent.every((s) => s.topic.startsWith('cmd/')), 'rollout goes unicast');
    for (const s of sent.slice(0, 2)) {
      const gw = s.topic.split('/')[1]!;
      await svc.handleResult({ gateway: gw, device: gw, commandId: c.id }, result(c.id, gw, gw, 'FAILED', 'flash error'));
    }
    await svc.tick();
    assert.equal((await svc.get(c.id))?.status, 'ABORTED');
    const counts = await svc.counts(c.id);
    assert.equal(counts.QUEUED, 0);
    assert.equal(counts.CANCELED, 6);
    assert.match((await svc.targets(c.id, 'CANCELED'))[0]!.reason!, /aborted: more than 40% failed/);
    assert.equal((await svc.targets(c.id, 'FAILED'))[0]!.reason, 'flash error');
  });

  it('sends again, unicast, what went to a gateway while it had no subscription: SENT only, within the TTL, not a paced rollout', async () => {
    const relay = await svc.create({ name: 'set-relay', args: { on: true }, target: { device: 'relay-1' }, ttlSeconds: 60 });
    const group = await svc.create({ name: 'ping', args: {}, target: { group: 'north' }, ttlSeconds: 600 });
    const done = await svc.create({ name: 'ping', args: {}, target: { device: 'gw1' } });
    await svc.handleResult({ gateway: 'gw1', device: 'gw1', commandId: done.id }, result(done.id, 'gw1', 'gw1', 'DELIVERED'));
    const paced = await svc.create({ name: 'update', args: {}, target: { all: true }, rolloutPerMinute: 1 });
    const pacedFirst = sent.at(-1)!.topic.split('/')[1]!;
    sent = [];
    assert.equal(await svc.resendTo('gw1'), pacedFirst === 'gw1' ? 3 : 2);
    const topics = sent.map((s) => s.topic);
    assert.ok(topics.includes(`cmd/gw1/relay-1/${relay.id}`), 'the device behind the gateway, on its own topic');
    assert.ok(topics.includes(`cmd/gw1/gw1/${group.id}`), 'a group command goes again to this gateway alone, unicast');
    assert.ok(!topics.some((t) => t.endsWith(done.id)), 'a DELIVERED target is not sent again');
    assert.equal(topics.some((t) => t.endsWith(paced.id)), pacedFirst === 'gw1', 'a QUEUED rollout target waits for its turn');
    const env = decodeEnvelope(sent.find((s) => s.topic.endsWith(group.id))!.payload);
    assert.equal(env.type === 'command' && env.id, group.id, 'the same command id: the inbox runs it at most once');
    sent = [];
    assert.equal(await svc.resendTo('gw7'), pacedFirst === 'gw7' ? 1 : 0, 'gw7 is not in north');
    sent = [];
    clock += 120_000;
    assert.equal(sent.length, 0);
    assert.equal(await svc.resendTo('gw1'), pacedFirst === 'gw1' ? 2 : 1, 'past its TTL the unicast relay command is not sent again');
  });

  it('cancels what is not finished', async () => {
    const c = await svc.create({ name: 'ping', args: {}, target: { group: 'south' } });
    assert.equal(await svc.cancel(c.id), 5);
    assert.equal((await svc.get(c.id))?.status, 'CANCELED');
  });

  const BAD: Array<[string, Parameters<CommandService['create']>[0], RegExp]> = [
    ['an unknown device', { name: 'x', args: {}, target: { device: 'nobody' } }, /COMMAND_UNKNOWN_DEVICE|no gateway or device/],
    ['an empty group', { name: 'x', args: {}, target: { group: 'west' } }, /no enabled gateway/],
    ['oversized args', { name: 'x', args: { blob: 'x'.repeat(20_000) }, target: { device: 'gw1' } }, /limit is 16384/],
    ['a bad name', { name: 'a/b', args: {}, target: { device: 'gw1' } }, /command name/],
    ['a zero TTL', { name: 'x', args: {}, target: { device: 'gw1' }, ttlSeconds: 0 }, /ttlSeconds/],
  ];
  for (const [what, req, msg] of BAD) {
    it(`refuses ${what}`, async () => {
      await assert.rejects(svc.create(req), msg);
      assert.equal(sent.length, 0);
    });
  }
});
