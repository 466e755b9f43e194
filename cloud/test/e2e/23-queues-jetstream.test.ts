import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { natsForSuite } from '../store/jetstream-server.js';
import { apiCall, type BrokerProcess, removeDir, startBroker, tempDir } from './fixtures/broker-process.js';

interface Pulled {
  offset: number;
  payloadBase64: string;
}

/**
 * Server-side queues on a scaled-out cluster (issue 9): two causeway-cloud processes on one JetStream
 * store. Backend-app members of one consumer group pull through different nodes and share the work
 * (each message to one member); the node running the group is killed -9 and the other takes it over,
 * redelivering what was leased and not acknowledged — nothing is lost.
 */
describe('cloud e2e 23: consumer groups across two nodes on JetStream @e2e', function () {
  this.timeout(120_000);
  const nats = natsForSuite(1);
  let dir: string;
  let a: BrokerProcess | undefined;
  let b: BrokerProcess | undefined;
  let token: string;
  const prefix = `e23${randomBytes(3).toString('hex')}`;

  const node = (id: string): Promise<BrokerProcess> =>
    startBroker(join(dir, id), ['--store.backend', 'jetstream', '--store.jetstream.servers', nats.urls.join(','), '--store.jetstream.prefix', prefix, '--node.id', id]);
  const pull = async (n: BrokerProcess, member: string, max: number, waitMs = 0): Promise<Pulled[]> =>
    (await apiCall(`http://127.0.0.1:${n.apiPort}`, token, 'POST', '/v1/queues/telemetry/groups/billing/pull', { member, max, waitMs })).messages;
  const ack = async (n: BrokerProcess, member: string, msgs: Pulled[]): Promise<number> =>
    (await apiCall(`http://127.0.0.1:${n.apiPort}`, token, 'POST', '/v1/queues/telemetry/groups/billing/ack', { member, offsets: msgs.map((m) => m.offset) })).acked;
  const body = (m: Pulled): string => Buffer.from(m.payloadBase64, 'base64').toString();

  async function publish(n: BrokerProcess, from: number, count: number): Promise<void> {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${n.port}`, { clientId: `pub-${from}`, reconnectPeriod: 0 });
    for (let i = from; i < from + count; i++) await c.publishAsync(`telemetry/gw${i % 7}/d/t`, `m${i}`, { qos: 1 });
    await c.endAsync();
  }

  nats.closeFirst(async () => {
    await a?.stop();
    await b?.stop();
  });
  before(async () => {
    dir = tempDir('e2e23');
    [a, b] = await Promise.all([node('node-a'), node('node-b')]);
    token = readFileSync(join(dir, 'node-a', 'operator-token'), 'utf8').trim();
  });
  after(async () => {
    if (dir !== undefined) removeDir(dir);
  });

  it('members pulling through different nodes get disjoint messages; the owner killed -9, the other node redelivers what was not acknowledged', async () => {
    await publish(a!, 0, 70);
    // m1 through A first: A runs the group from now on; m2 through B is forwarded to A
    const got: string[] = [];
    for (let round = 0; round < 40 && got.length < 70; round++) {
      for (const [n, member] of [[a!, 'm1'], [b!, 'm2']] as const) {
        const msgs = await pull(n, member, 5);
        got.push(...msgs.map(body));
        assert.equal(await ack(n, member, msgs), msgs.length);
      }
    }
    assert.equal(got.length, 70);
    assert.equal(new Set(got).size, 70, 'a message went to both members');

    // now 30 more; m2 (through B, forwarded to A) takes some and never acknowledges them
    await publish(b!, 70, 30);
    const leased = await pull(b!, 'm2', 10, 5000);
    assert.ok(leased.length > 0);
    await a!.kill9();
    a = undefined;
    // B finds no one answering for A, takes the group and starts from the committed offset
    const rest: string[] = [];
    const deadline = Date.now() + 30_000;
    while (rest.length < 30 && Date.now() < deadline) {
      const msgs = await pull(b!, 'm3', 50, 1000);
      rest.push(...msgs.map(body));
      await ack(b!, 'm3', msgs);
    }
    assert.deepEqual([...new Set(rest)].sort(), Array.from({ length: 30 }, (_, i) => `m${70 + i}`).sort(), 'lost or extra messages after the takeover');
    for (const m of leased) assert.ok(rest.includes(body(m)), `${body(m)} leased before the kill was not redelivered`);
  });
});
