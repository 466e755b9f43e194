import assert from 'node:assert/strict';
import mqtt from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import { type HotPacket, readHotPackets } from '../src/hot-packets.js';
import { prng as rng } from '@causeway/shared';
import { Harness, type RawClient, sleep, until } from './fixtures/harness.js';
import { firstLevelQueue } from '../src/store/queue-names.js';

/** What mqtt-packet makes of `bytes`, as plain objects. */
function stockParse(bytes: Buffer, protocolVersion: number): object[] {
  const out: object[] = [];
  const p = mqtt.parser({ protocolVersion });
  p.on('packet', (x: Packet) => out.push({ ...x }));
  p.on('error', (e: Error) => out.push({ error: e.message }));
  p.parse(bytes);
  return out;
}

function hotParse(bytes: Buffer, v5: boolean): { packets: object[]; stop: string; at: number } {
  const packets: object[] = [];
  const r = readHotPackets(bytes, v5, (list: object[], p: HotPacket) => list.push({ ...p }) > 0, packets);
  return { packets, stop: r.stop, at: r.at };
}

const SIZES = [0, 1, 64, 127, 128, 300, 16_383, 16_384, 70_000];

function randomPacket(r: () => number, version: 4 | 5): Packet {
  const pick = r();
  const id = 1 + Math.floor(r() * 65535);
  if (pick < 0.55) {
    const qos = Math.floor(r() * 3) as 0 | 1 | 2;
    const topic = ['a', 'plant/line-1/temp', 'capteurs/température/é', '/leading/slash', `t/${'x'.repeat(Math.floor(r() * 300))}`][Math.floor(r() * 5)]!;
    const payload = Buffer.alloc(SIZES[Math.floor(r() * SIZES.length)]!, Math.floor(r() * 256));
    const p: mqtt.IPublishPacket = { cmd: 'publish', topic, payload, qos, retain: r() < 0.3, dup: qos > 0 && r() < 0.2 };
    if (qos > 0) p.messageId = id;
    if (version === 5 && r() < 0.3) p.properties = { contentType: 'text/plain', userProperties: { k: 'v' } };
    return p;
  }
  if (pick < 0.8) {
    const p: mqtt.IPubackPacket = { cmd: 'puback', messageId: id };
    if (version === 5 && r() < 0.3) p.reasonCode = 0x10;
    return p;
  }
  if (pick < 0.87) return { cmd: 'pingreq' };
  if (pick < 0.94) return { cmd: 'pubrel', messageId: id };
  return { cmd: 'subscribe', messageId: id, subscriptions: [{ topic: 'a/+', qos: 1 }] };
}

describe('hot packets: PUBLISH and PUBACK read without mqtt-packet', () => {
  for (const version of [4, 5] as const) {
    it(`v${version}: every packet it reads is the packet mqtt-packet makes of the same bytes; it hands the rest over`, () => {
      const r = rng(version * 1000 + 7);
      let read = 0;
      let handed = 0;
      for (let i = 0; i < 3000; i++) {
        const packet = randomPacket(r, version);
        const bytes = mqtt.generate(packet, { protocolVersion: version });
        const hot = hotParse(bytes, version === 5);
        const stock = stockParse(bytes, version);
        if (hot.stop === 'end') {
          read++;
          assert.deepEqual(hot.packets, stock, `packet ${i}: ${JSON.stringify(packet).slice(0, 200)}`);
        } else {
          handed++;
          assert.equal(hot.stop, 'other', `packet ${i}`);
          assert.equal(hot.at, 0);
          assert.equal(hot.packets.length, 0);
          // Only what it does not read: another type, v5 properties, a v5 reason code.
          const p = packet as { cmd: string; properties?: object; reasonCode?: number };
          assert.ok(!((p.cmd === 'publish' || p.cmd === 'puback') && p.properties === undefined && p.reasonCode === undefined), `packet ${i} (${p.cmd}) should have been read`);
        }
      }
      assert.ok(read > 1500 && handed > 300, `read ${read}, handed over ${handed}`);
    });
  }

  it('reads a run of packets up to the first it leaves to mqtt-packet, and stops at an incomplete one', () => {
    const a = mqtt.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('one'), qos: 1, messageId: 1, retain: false, dup: false });
    const b = mqtt.generate({ cmd: 'puback', messageId: 9 });
    const ping = mqtt.generate({ cmd: 'pingreq' });
    const all = Buffer.concat([a, b, ping, a]);
    const r1 = hotParse(all, false);
    assert.equal(r1.packets.length, 2);
    assert.equal(r1.stop, 'other');
    assert.equal(r1.at, a.length + b.length);
    const big = mqtt.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(1000), qos: 0, retain: false, dup: false });
    for (let cut = 1; cut < big.length; cut += cut < 5 ? 1 : 97) {
      const r2 = hotParse(Buffer.concat([a, big.subarray(0, cut)]), false);
      assert.equal(r2.packets.length, 1);
      assert.equal(r2.stop, 'partial');
      assert.equal(r2.at, a.length);
      // Once the Remaining Length is whole, the caller knows how big the packet is.
      const lengthKnown = cut >= 3;
      assert.equal(readHotPackets(big.subarray(0, cut), false, () => true, undefined).length, lengthKnown ? big.length - 3 : -1);
    }
  });

  it('leaves malformed packets to mqtt-packet, which refuses them', () => {
    const cases: Array<[string, Buffer]> = [
      ['QoS 3', Buffer.from([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01])],
      ['PUBACK with reserved flags', Buffer.from([0x42, 0x02, 0x00, 0x01])],
      ['a fifth Remaining Length byte', Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])],
      ['topic longer than the packet', Buffer.from([0x30, 0x03, 0x00, 0x09, 0x61])],
      ['QoS 1 without room for its packet id', Buffer.from([0x32, 0x03, 0x00, 0x01, 0x61])],
      ['PUBACK of 3 bytes in 3.1.1', Buffer.from([0x40, 0x03, 0x00, 0x01, 0x00])],
    ];
    for (const [name, bytes] of cases) {
      const r = hotParse(bytes, false);
      assert.deepEqual([r.stop, r.at, r.packets.length], ['other', 0, 0], name);
    }
  });

  describe('through the broker, in reads cut anywhere', () => {
    let h: Harness;
    beforeEach(async () => {
      // every publish also goes to its first-level queue, which the test reads back in order
      h = await new Harness({ serverQueues: (t) => [firstLevelQueue(t)] }).start();
    });
    afterEach(async () => {
      await h.close();
    });

    for (const version of [4, 5] as const) {
      it(`v${version}: 400 publishes (QoS 0–2, some with properties), PUBRELs and pings in random pieces are stored in order and acknowledged in order`, async () => {
        const r = rng(version * 31 + 1);
        const raw = await h.rawConnected(version, `cut-${version}`);
        const sent: mqtt.IPublishPacket[] = [];
        const acks = (): string[] => raw.packets.filter((p) => p.cmd === 'puback' || p.cmd === 'pubrec').map((p) => `${p.cmd} ${(p as { messageId?: number }).messageId}`);
        let releases: Buffer[] = [];
        // Groups of 20 within the Receive Maximum; each group starts with the PUBRELs of the one before.
        for (let group = 0; group < 20; group++) {
          const chunks: Buffer[] = releases;
          releases = [];
          for (let i = group * 20 + 1; i <= group * 20 + 20; i++) {
            const qos = (i % 3) as 0 | 1 | 2;
            const p: mqtt.IPublishPacket = { cmd: 'publish', topic: `cut/${i % 7}`, payload: Buffer.alloc(SIZES[i % 7]!, i & 0xff), qos, retain: false, dup: false };
            if (qos > 0) p.messageId = i;
            if (qos === 2) releases.push(mqtt.generate({ cmd: 'pubrel', messageId: i }, { protocolVersion: version }));
            if (version === 5 && i % 11 === 0) p.properties = { contentType: 'application/octet-stream' };
            sent.push(p);
            chunks.push(mqtt.generate(p, { protocolVersion: version }));
            if (i % 13 === 0) chunks.push(mqtt.generate({ cmd: 'pingreq' }, { protocolVersion: version }));
          }
          const stream = Buffer.concat(chunks);
          // Cut into pieces of 1 byte to 3 KB, each its own read.
          for (let at = 0; at < stream.length; ) {
            const n = 1 + Math.floor(r() * (r() < 0.3 ? 8 : 3000));
            raw.write(stream.subarray(at, at + n));
            at += n;
            if (r() < 0.05) await sleep(1);
          }
          const want = sent.filter((p) => p.qos > 0).length;
          await until(() => acks().length === want || raw.closed, 10_000, 'acknowledgements');
        }
        raw.write(Buffer.concat(releases));
        await until(() => raw.packets.filter((p) => p.cmd === 'pubcomp').length === sent.filter((p) => p.qos === 2).length || raw.closed, 10_000, 'PUBCOMPs');
        assert.equal(raw.closed, false);
        assert.deepEqual(acks(), sent.filter((p) => p.qos > 0).map((p) => `${p.qos === 1 ? 'puback' : 'pubrec'} ${p.messageId}`));
        assert.equal(raw.packets.filter((p) => p.cmd === 'pingresp').length, Math.floor(400 / 13));
        const stored = await h.store.log.read('q:cut', 1, 1000);
        assert.equal(stored.length, 400);
        stored.forEach((e, k) => {
          assert.equal(e.message.topic, sent[k]!.topic, `message ${k + 1}`);
          assert.deepEqual(e.message.payload, sent[k]!.payload, `message ${k + 1}`);
          assert.equal(e.message.meta?.contentType, sent[k]!.properties?.contentType, `message ${k + 1}`);
        });
      });
    }

    it('survives 200 connected clients sending mutated and truncated PUBLISH/PUBACK streams: each is served or closed, the broker keeps storing for a well-behaved client', async () => {
      const r = rng(4242);
      const valid = (version: 4 | 5, i: number): Buffer[] => [
        mqtt.generate({ cmd: 'publish', topic: `fz/${i}`, payload: Buffer.alloc(Math.floor(r() * 300), i), qos: 1, messageId: 1 + i, retain: false, dup: false }, { protocolVersion: version }),
        mqtt.generate({ cmd: 'puback', messageId: 7 }, { protocolVersion: version }),
        mqtt.generate({ cmd: 'publish', topic: 'fz/q0', payload: Buffer.from('x'), qos: 0, retain: false, dup: false }, { protocolVersion: version }),
      ];
      const raws: RawClient[] = [];
      for (let c = 0; c < 200; c++) {
        const version = c % 2 === 0 ? 4 : 5;
        const raw = await h.rawConnected(version, `fuzz-${c}`);
        raws.push(raw);
        const bytes = Buffer.concat(Array.from({ length: 12 }, (_, i) => valid(version, i)).flat());
        // Flip a few bytes, maybe cut the tail off, maybe append garbage.
        for (let k = 0; k < 1 + Math.floor(r() * 4); k++) bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
        let stream = r() < 0.3 ? bytes.subarray(0, Math.floor(r() * bytes.length)) : bytes;
        if (r() < 0.3) stream = Buffer.concat([stream, Buffer.from(Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 256)))]);
        for (let at = 0; at < stream.length; ) {
          const n = 1 + Math.floor(r() * 200);
          raw.write(stream.subarray(at, at + n));
          at += n;
        }
      }
      const c = h.broker.counters;
      const counted = (): number => c.malformedPackets + c.protocolErrors + c.invalidTopics + c.oversizedPackets;
      // Every connection the broker closed was counted, and its client saw the close.
      await sleep(100);
      await until(() => raws.filter((x) => x.closed).length === counted(), 5000, `closures seen = closures counted (${JSON.stringify(c)})`);
      const closed = raws.filter((x) => x.closed).length;
      assert.ok(closed > 0 && closed < raws.length, `some clients closed, some still served (${closed} of ${raws.length})`);
      // The broker still stores and acknowledges for a client that behaves.
      const good = await h.rawConnected(4, 'after-fuzz');
      const before = (await h.store.log.stats()).messages;
      good.send({ cmd: 'publish', topic: 'fz/good', payload: Buffer.from('ok'), qos: 1, messageId: 9, retain: false, dup: false });
      assert.equal(((await good.next('puback')) as { messageId?: number }).messageId, 9);
      assert.equal((await h.store.log.stats()).messages, before + 1);
    });

    it('refuses a PUBLISH over the packet size limit arriving in pieces, as before', async () => {
      await h.close();
      h = await new Harness({ maxPacketSize: 100_000 }).start();
      const raw = await h.rawConnected(4, 'big');
      const bytes = mqtt.generate({ cmd: 'publish', topic: 'big/x', payload: Buffer.alloc(300_000), qos: 1, messageId: 1, retain: false, dup: false });
      for (let at = 0; at < bytes.length && !raw.closed; at += 1000) {
        raw.write(bytes.subarray(at, at + 1000));
        if (at % 50_000 === 0) await sleep(1);
      }
      await raw.waitClosed();
      assert.equal(raw.packets.filter((p) => p.cmd === 'puback').length, 0);
      assert.equal((await h.store.log.stats()).messages, 0);
    });
  });
});
