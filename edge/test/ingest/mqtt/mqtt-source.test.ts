import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
// aedes is CommonJS: its factory is a property of the default export (as in bench/lib/aedes-server.ts).
import aedes, { type Client, type PublishPacket, type PubrelPacket } from 'aedes';
import mqtt from 'mqtt';
import { silentLogger } from '@causeway/shared';
import { newIngestCounters } from '../../../src/ingest/counters.js';
import { fillTopicTemplate, readJsonPath } from '../../../src/ingest/mqtt/json-path.js';
import { startMqttSource, valueFromPayload } from '../../../src/ingest/mqtt/mqtt-source.js';
import { createStreamProcessor } from '../../../src/ingest/stream-processor.js';
import { RecordingSink } from '../helpers/recording-sink.js';

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('ingest/mqtt/json-path', () => {
  const doc = { a: { b: 2, list: [{ v: 7 }, { v: 8 }] }, 'x.y': 1, z: null };
  const table: [string, unknown][] = [
    ['', doc],
    ['a.b', 2],
    ['a.list[1].v', 8],
    ['a.list.0.v', 7],
    ['a.list[2].v', undefined],
    ['a.missing', undefined],
    ['a.b.c', undefined],
    ['z', null],
    ['toString', undefined],
  ];
  for (const [path, want] of table) it(`"${path}"`, () => assert.deepEqual(readJsonPath(doc, path), want));

  const tpl: [string, string, string | null][] = [
    ['{2}', 'zigbee/kitchen/state', 'kitchen'],
    ['{1}-{2}', 'a/b', 'a-b'],
    ['fixed', 'a/b', 'fixed'],
    ['{3}', 'a/b', null],
    ['{2}', 'a//c', null],
  ];
  for (const [t, topic, want] of tpl) it(`template ${t} on ${topic}`, () => assert.equal(fillTopicTemplate(t, topic), want));

  const payloads: [string, string, string][] = [
    ['21.5', '', 'ok:21.5'],
    ['{"t":{"c":3}}', 't.c', 'ok:3'],
    ['"on"', '', 'ok:on'],
    ['true', '', 'ok:true'],
    ['hot', '', 'non-numeric'],
    ['hot', 't', 'malformed'],
    ['{"t":{}}', 't', 'non-numeric'],
    ['{"u":1}', 't', 'malformed'],
    ['{"t":1,"__proto__":{"t":2}}', 't', 'malformed'], // issue 23 item 2
    ['{"constructor":{"prototype":1}}', 'constructor.prototype', 'malformed'],
  ];
  for (const [p, path, want] of payloads) {
    it(`payload ${p} at "${path}"`, () => {
      const r = valueFromPayload(Buffer.from(p), path);
      assert.equal(r.ok ? `ok:${String(r.value)}` : r.reason, want);
    });
  }
  it('payload that is not UTF-8', () => assert.equal((valueFromPayload(Buffer.from([0xff, 0x31]), '') as { reason: string }).reason, 'invalid-utf8'));
});

describe('ingest/mqtt/mqtt-source', () => {
  let broker: ReturnType<typeof aedes.createBroker>;
  let server: Server;
  let port: number;
  before(async () => {
    broker = aedes.createBroker();
    server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('QoS 1: the PUBACK to the local broker goes out only after the sink resolved', async () => {
    const sink = new RecordingSink();
    sink.closeGate();
    const counters = newIngestCounters();
    const processor = createStreamProcessor({ rules: [], sink, counters, logger: silentLogger });
    const acks: string[] = [];
    broker.on('ack', (packet: PublishPacket | PubrelPacket, client: Client) => {
      if (packet && 'topic' in packet && client?.id === 'edge-ingest-test') acks.push(packet.topic);
    });
    const src = startMqttSource({ url: `mqtt://127.0.0.1:${port}`, clientId: 'edge-ingest-test', mappings: [{ topic: 'z/+/t', device: '{2}', stream: 't', qos: 1 }], processor, counters, logger: silentLogger });
    const c = counters.sources['mqtt:z/+/t']!;
    await until(() => c.opens >= 1);
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
    await pub.publishAsync('z/dev-1/t', '5', { qos: 1 });
    await until(() => sink.readings.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(sink.readings.map((r) => `${r.device}/${r.stream}=${String(r.value)}`), ['dev-1/t=5']);
    assert.deepEqual(acks, [], 'no PUBACK before the durable commit');
    sink.openGate();
    await until(() => acks.length >= 1);
    assert.deepEqual(acks, ['z/dev-1/t']);
    await pub.endAsync();
    await src.stop();
  });

  it('QoS 1 pipelined: many messages reach the sink at once, PUBACKs wait for it and go in arrival order', async () => {
    const sink = new RecordingSink();
    sink.closeGate();
    const counters = newIngestCounters();
    const processor = createStreamProcessor({ rules: [], sink, counters, logger: silentLogger });
    const acks: string[] = [];
    broker.on('ack', (packet: PublishPacket | PubrelPacket, client: Client) => {
      if (packet && 'topic' in packet && client?.id === 'edge-ingest-pipe') acks.push(packet.topic);
    });
    const src = startMqttSource({ url: `mqtt://127.0.0.1:${port}`, clientId: 'edge-ingest-pipe', mappings: [{ topic: 'p/+/t', device: '{2}', stream: 't', qos: 1 }], processor, counters, logger: silentLogger });
    await until(() => counters.sources['mqtt:p/+/t']!.opens >= 1);
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
    const topics = [1, 2, 3, 4, 5].map((i) => `p/dev-${i}/t`);
    for (const t of topics) void pub.publishAsync(t, '1', { qos: 1 });
    await until(() => sink.readings.length >= 5); // one per commit before: the 2nd would wait for the 1st's PUBACK
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(acks, [], 'no PUBACK before the sink settled');
    sink.openGate();
    await until(() => acks.length >= 5);
    assert.deepEqual(acks, topics);
    await pub.endAsync();
    await src.stop();
  });
});
