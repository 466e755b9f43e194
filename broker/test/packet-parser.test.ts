import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import mqtt from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import { createPacketParser, forgetConnect } from '../src/packet-parser.js';

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
});
