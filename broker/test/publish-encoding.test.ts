import assert from 'node:assert/strict';
import mqtt from 'mqtt-packet';
import type { QoS } from '@causeway/shared';
import type { StoredMessage } from '../src/store/contract.js';
import { ENCODED_BYTES_KEPT, ENCODINGS_KEPT, encodePlainPublish } from '../src/publish-encoding.js';

function msg(topic: string, payloadBytes: number): StoredMessage {
  return { id: 1, topic, payload: Buffer.alloc(payloadBytes, 7), qos: 2, retain: false, properties: { qoslevel: 2, cleansessionflag: true, mqttRealTopic: topic }, createdAt: 0 };
}

describe('encodePlainPublish: one encoding per variant, the packet id patched in', () => {
  // Remaining Length of 1, 2 and 3 bytes; a multi-byte UTF-8 topic.
  const cases: Array<[string, StoredMessage]> = [['64-byte payload', msg('bench/fan-out/x', 64)], ['300-byte payload', msg('a/b', 300)], ['20,000-byte payload, UTF-8 topic', msg('capteurs/température/é', 20_000)], ['empty payload', msg('t', 0)], ['topic on an empty first level', msg('/sensors/1', 5)]];
  // Remaining Length at each side of its 1/2, 2/3 and 3/4-byte boundaries (127, 16,383, 2,097,151), QoS 0
  // and v3.1.1 (topic "a" takes 3 bytes); the other variants then sit a few bytes either side.
  for (const edge of [127, 16_383, 2_097_151]) for (const d of [-3, 0, 1]) cases.push([`Remaining Length ${edge + d}`, msg('a', edge + d - 3)]);
  for (const [name, m] of cases) {
    it(`is byte for byte what mqtt-packet generates: ${name}`, () => {
      for (const version of [3, 4, 5] as const) {
        for (const qos of [0, 1, 2] as QoS[]) {
          for (const retain of [false, true]) {
            for (const dup of [false, true]) {
              for (const packetId of qos === 0 ? [undefined] : [1, 258, 65535]) {
                const expected = mqtt.generate({ cmd: 'publish', topic: m.topic, payload: m.payload, qos, retain, dup, ...(packetId === undefined ? {} : { messageId: packetId }) }, { protocolVersion: version });
                assert.deepEqual(encodePlainPublish(m, qos, retain, dup, version, packetId), expected, `v${version} qos ${qos} retain ${retain} dup ${dup} id ${packetId}`);
              }
            }
          }
        }
      }
    });
  }

  it('gives each QoS 1 delivery its own buffer (the id differs), QoS 0 deliveries the same one', () => {
    const m = msg('t/1', 8);
    const a = encodePlainPublish(m, 1, false, false, 4, 1);
    const b = encodePlainPublish(m, 1, false, false, 4, 2);
    assert.notEqual(a.readUInt16BE(a.length - 10), b.readUInt16BE(b.length - 10));
    assert.equal(encodePlainPublish(m, 0, false, false, 4), encodePlainPublish(m, 0, false, false, 4));
  });

  it('keeps the encodings of the last ENCODINGS_KEPT messages only, and encodes an older one again, byte for byte', () => {
    const first = msg('t/first', 8);
    const kept = encodePlainPublish(first, 0, false, false, 4);
    for (let i = 1; i < ENCODINGS_KEPT; i++) encodePlainPublish(msg(`t/${i}`, 8), 0, false, false, 4);
    assert.equal(encodePlainPublish(first, 0, false, false, 4), kept, 'still among the last ENCODINGS_KEPT');
    // Two variants of one message count once.
    encodePlainPublish(first, 1, false, false, 4, 9);
    encodePlainPublish(msg('t/pushes-first-out', 8), 0, false, false, 4);
    const again = encodePlainPublish(first, 0, false, false, 4);
    assert.notEqual(again, kept, 'encoded again once ENCODINGS_KEPT newer messages were encoded');
    assert.deepEqual(again, kept);
  });

  it('keeps at most ENCODED_BYTES_KEPT of encodings: large messages push older ones out sooner', () => {
    const mb = 1024 * 1024;
    const first = msg('t/big-first', mb);
    const kept = encodePlainPublish(first, 0, false, false, 4);
    const fit = Math.floor(ENCODED_BYTES_KEPT / (mb + 20)) - 1;
    for (let i = 0; i < fit - 1; i++) encodePlainPublish(msg(`t/big-${i}`, mb), 0, false, false, 4);
    assert.equal(encodePlainPublish(first, 0, false, false, 4), kept, 'still within the byte bound');
    for (let i = 0; i < 3; i++) encodePlainPublish(msg(`t/big-more-${i}`, mb), 0, false, false, 4);
    const again = encodePlainPublish(first, 0, false, false, 4);
    assert.notEqual(again, kept, 'pushed out by the byte bound long before ENCODINGS_KEPT messages');
    assert.deepEqual(again, kept);
  });
});
