import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import mqtt from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import { createPacketParser, forgetConnect, isIdleParser } from '../src/packet-parser.js';
import { Harness, collect, until } from './fixtures/harness.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const heapPer = (make: () => unknown, n = 20_000): number => {
  gc();
  const before = process.memoryUsage().heapUsed;
  const keep: unknown[] = [];
  for (let i = 0; i < n; i++) keep.push(make());
  gc();
  const per = (process.memoryUsage().heapUsed - before) / n;
  assert.equal(keep.length, n);
  return per;
};

describe('packet-parser', () => {
  it('holds its bytes in a plain BufferList, not a stream (mqtt-packet as installed still lets it)', () => {
    const { parser, lightened } = createPacketParser();
    assert.equal(lightened, true, 'mqtt-packet changed its parser internals: the per-connection saving is gone');
    const list = (parser as unknown as { _list: object })._list;
    assert.equal(typeof (list as { pipe?: unknown }).pipe, 'undefined', 'no stream methods');
  });

  it('parses packets split at every byte, back to back, and after a malformed one, as mqtt-packet does', () => {
    const { parser } = createPacketParser();
    const got: Packet[] = [];
    const errors: string[] = [];
    parser.on('packet', (p: Packet) => got.push(p));
    parser.on('error', (e: Error) => errors.push(e.message));
    const connect = mqtt.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'c-1', keepalive: 30 });
    const publish = mqtt.generate({ cmd: 'publish', topic: 'telemetry/gw/d/s', payload: Buffer.alloc(300, 7), qos: 1, messageId: 42, retain: false, dup: false });
    for (const b of Buffer.concat([connect, publish])) parser.parse(Buffer.from([b]));
    assert.deepEqual(got.map((p) => p.cmd), ['connect', 'publish']);
    assert.equal((got[1] as { payload: Buffer }).payload.length, 300);
    parser.parse(Buffer.from([0x00, 0x00])); // reserved packet type 0
    assert.equal(errors.length, 1);
    parser.parse(Buffer.concat([publish, publish]));
    assert.deepEqual(got.map((p) => p.cmd), ['connect', 'publish', 'publish', 'publish'], 'parses again after an error reset its state');
  });

  it('costs far less heap per connection than mqtt-packet’s own parser', () => {
    const stock = heapPer(() => mqtt.parser());
    const light = heapPer(() => createPacketParser().parser);
    assert.ok(light < stock - 600, `${light.toFixed(0)} B against ${stock.toFixed(0)} B`);
  });

  it('after CONNECT keeps only the version (no credentials), and still parses v5 packets as v5', () => {
    const { parser } = createPacketParser();
    const got: Packet[] = [];
    parser.on('packet', (p: Packet) => {
      got.push(p);
      if (p.cmd === 'connect') forgetConnect(parser);
    });
    const connect = mqtt.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: 'c-5', keepalive: 30, username: 'u', password: Buffer.from('s3cret') });
    const publish = mqtt.generate({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1, messageId: 7, retain: false, dup: false, properties: { userProperties: { k: 'v' } } }, { protocolVersion: 5 });
    parser.parse(Buffer.concat([connect, publish]));
    assert.deepEqual((parser as unknown as { settings: unknown }).settings, { protocolVersion: 5 });
    assert.equal((got[1] as { properties?: { userProperties?: Record<string, string> } }).properties?.userProperties?.['k'], 'v', 'v5 properties parsed');
  });

  it('is idle only between two packets: not inside a header, a length or a payload, nor after an error', () => {
    const { parser } = createPacketParser();
    parser.on('packet', () => undefined);
    parser.on('error', () => undefined);
    const publish = mqtt.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(200, 1), qos: 1, messageId: 3, retain: false, dup: false });
    assert.equal(isIdleParser(parser), true, 'new');
    const states: boolean[] = [];
    for (const cut of [1, 2, 3, 100]) {
      parser.parse(publish.subarray(0, cut));
      states.push(isIdleParser(parser));
      parser.parse(publish.subarray(cut));
      states.push(isIdleParser(parser));
    }
    assert.deepEqual(states, [false, true, false, true, false, true, false, true]);
    parser.parse(Buffer.concat([publish, publish.subarray(0, 5)]));
    assert.equal(isIdleParser(parser), false, 'a whole packet and the start of the next');
    parser.parse(publish.subarray(5));
    assert.equal(isIdleParser(parser), true);
    parser.parse(Buffer.from([0x00, 0x00]));
    assert.equal(isIdleParser(parser), false, 'after an error');
  });

  describe('parsers shared between connections (an idle connection holds none)', () => {
    let h: Harness;
    beforeEach(async () => {
      h = await new Harness().start();
    });
    afterEach(async () => {
      await h.close();
    });

    it('keeps each connection’s half-read packet and protocol version while others parse in between', async () => {
      const sub = await h.client({ protocolVersion: 5, clientId: 'sub' });
      const got = collect(sub);
      await sub.subscribeAsync('p/#', { qos: 1 });
      const a = await h.rawConnected(5, 'a-v5');
      const b = await h.rawConnected(4, 'b-v4');
      const v5 = (id: number, payload: string): Buffer =>
        mqtt.generate({ cmd: 'publish', topic: 'p/a', payload: Buffer.from(payload), qos: 1, messageId: id, retain: false, dup: false, properties: { userProperties: { from: 'a' }, contentType: 'text/plain' } }, { protocolVersion: 5 });
      const v4 = (id: number, payload: string): Buffer => mqtt.generate({ cmd: 'publish', topic: 'p/b', payload: Buffer.from(payload), qos: 1, messageId: id, retain: false, dup: false });
      const first = v5(1, 'a1');
      a.write(first.subarray(0, 9)); // inside the v5 properties
      await new Promise((r) => setImmediate(r));
      b.write(v4(1, 'b1')); // b's read ends between packets: its parser goes back to the pool
      await b.next('puback');
      const c = await h.rawConnected(4, 'c-v4'); // a new connection parses with a pooled parser
      c.write(v4(1, 'c1'));
      await c.next('puback');
      a.write(first.subarray(9));
      await a.next('puback');
      // a's parser went back to the pool after that read: the next one must still parse as v5
      b.write(v4(2, 'b2'));
      await b.next('puback');
      a.write(v5(2, 'a2'));
      await a.next('puback');
      await until(() => got.length === 5, 2000, 'five deliveries');
      assert.deepEqual(got.map((m) => `${m.topic}=${m.payload}`).sort(), ['p/a=a1', 'p/a=a2', 'p/b=b1', 'p/b=b2', 'p/b=c1']);
      for (const m of got.filter((x) => x.topic === 'p/a')) {
        assert.deepEqual({ ...m.packet.properties?.userProperties }, { from: 'a' });
        assert.equal(m.packet.properties?.contentType, 'text/plain');
      }
      assert.equal(h.broker.counters.malformedPackets, 0);
    });
  });
});
