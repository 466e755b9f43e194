import assert from 'node:assert/strict';
import { Harness, collect, sleep, until } from './fixtures/harness.js';

describe('broker: sendEphemeral (an unstored QoS 0 answer to one client, issue 17)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await new Harness().start();
  });
  afterEach(async () => {
    await h.close();
  });

  it('reaches the subscribed client only, and stores nothing', async () => {
    const a = await h.client({ clientId: 'gw-a' });
    await a.subscribeAsync('answers/gw-a/+', { qos: 1 });
    const got = collect(a);
    const b = await h.client({ clientId: 'gw-b' });
    await b.subscribeAsync('answers/#', { qos: 1 });
    const other = collect(b);
    assert.equal(h.broker.sendEphemeral('gw-a', 'answers/gw-a/chunks', Buffer.from('c0')), 'sent');
    await until(() => got.length === 1, 2000, 'delivery');
    assert.equal(got[0]!.payload, 'c0');
    assert.equal(got[0]!.packet.qos, 0);
    await sleep(100);
    assert.equal(other.length, 0, 'no other client sees it');
    assert.equal((await h.store.log.stats()).messages, 0);
  });

  it('is refused for a client not connected or not subscribed to the topic', async () => {
    const a = await h.client({ clientId: 'gw-a' });
    await a.subscribeAsync('answers/gw-a/+', { qos: 1 });
    assert.equal(h.broker.sendEphemeral('gw-a', 'answers/gw-b/chunks', Buffer.from('x')), 'absent');
    assert.equal(h.broker.sendEphemeral('gw-nobody', 'answers/gw-nobody/chunks', Buffer.from('x')), 'absent');
  });

  it('drops a message for a client whose socket already holds more than the bound (it asks again)', async () => {
    const a = await h.client({ clientId: 'gw-a' });
    await a.subscribeAsync('answers/gw-a/+', { qos: 1 });
    const big = Buffer.alloc(64 * 1024);
    let outcome: string = 'sent';
    // A bound of 1 byte: the first message is written, the ones behind it find the socket busy.
    for (let i = 0; i < 50 && outcome === 'sent'; i++) outcome = h.broker.sendEphemeral('gw-a', 'answers/gw-a/chunks', big, 1);
    assert.equal(outcome, 'busy');
  });
});
