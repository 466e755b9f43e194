import { prng } from '@causeway/shared';
import { sourceAddress } from '@causeway/sim/fleet/source-address.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { apiCall, removeDir, sleep, startBroker, tempDir, type BrokerProcess } from './fixtures/broker-process.js';

/**
 * Fuzz of the MQTT listener against the real process, authentication on (the default): seeded, so a
 * failure replays with the same FUZZ_SEED, and bounded by time (FUZZ_MS) to fit in CI. At once, over TCP:
 * - strangers, each from its own loopback address: random bytes, and CONNECTs mutated, cut short, with a
 *   wrong secret or a length prefix past the packet limit;
 * - gateways authenticated with their registry secrets, 3.1.1 and 5, each sending a mutated and
 *   arbitrarily split stream of packets a gateway sends (PUBLISH at every QoS with v5 properties on its own
 *   and on another gateway's topics, SUBSCRIBE allowed and denied, UNSUBSCRIBE, the QoS acks, PINGREQ);
 * - one well-behaved gateway publishing QoS 1 readings all along, counting its PUBACKs.
 * The process must keep running and serve the good gateway throughout, count what it refused, and keep
 * every PUBACKed message, also after a kill -9 and restart. FUZZ_VERBOSE=1 prints the counts.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 8000);
const FUZZ_GATEWAYS = 12;
const CONCURRENT = 24;

type Rand = () => number;
const int = (r: Rand, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;

/** Packets a gateway `gw` could send, some of them outside what it may do. */
function gatewayPackets(r: Rand, gw: string, version: 4 | 5): Packet[] {
  const topic = (): string => pick(r, [`telemetry/${gw}/d${int(r, 3)}/t`, `events/${gw}/alarm`, `status/${gw}`, `telemetry/other-gw/d/t`, `cmd/${gw}/x`, '/sensors/a', 'a/b', `cmd-result/${gw}/c${int(r, 9)}`]);
  const props = (): Record<string, unknown> | undefined =>
    version === 5 && r() < 0.6
      ? { contentType: pick(r, ['application/json', '', 'x'.repeat(200)]), userProperties: { k: pick(r, ['v', '', 'ü']) }, ...(r() < 0.3 ? { messageExpiryInterval: int(r, 100) } : {}), ...(r() < 0.3 ? { topicAlias: 1 + int(r, 20) } : {}) }
      : undefined;
  const out: Packet[] = [];
  for (let k = 0; k < 6 + int(r, 14); k++) {
    const id = 1 + int(r, 40);
    const qos = int(r, 3) as 0 | 1 | 2;
    switch (int(r, 8)) {
      case 0:
      case 1:
      case 2: {
        const properties = props();
        out.push({ cmd: 'publish', topic: topic(), payload: Buffer.alloc(int(r, 400), int(r, 256)), qos, retain: r() < 0.1, dup: r() < 0.1, ...(qos > 0 ? { messageId: id } : {}), ...(properties === undefined ? {} : { properties }) } as Packet);
        break;
      }
      case 3:
        out.push({ cmd: 'subscribe', messageId: id, subscriptions: [{ topic: pick(r, [`cmd/${gw}/#`, `config/${gw}`, 'telemetry/#', '#', '$share/g/telemetry/#', `cmd/${gw}/+/x`]), qos }] } as Packet);
        break;
      case 4:
        out.push({ cmd: 'unsubscribe', messageId: id, unsubscriptions: [pick(r, [`cmd/${gw}/#`, 'telemetry/#', 'nothing'])] } as Packet);
        break;
      case 5:
        out.push({ cmd: pick(r, ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const), messageId: id } as Packet);
        break;
      default:
        out.push({ cmd: 'pingreq' } as Packet);
    }
  }
  return out;
}

/** Flips a few bytes, maybe cuts the tail off, maybe appends garbage. */
function mutate(r: Rand, bytes: Buffer, flips: number): Buffer {
  const b = Buffer.from(bytes);
  for (let k = 0; k < flips && b.length > 0; k++) b[int(r, b.length)] = int(r, 256);
  let out = r() < 0.3 ? b.subarray(0, int(r, b.length)) : b;
  if (r() < 0.3) out = Buffer.concat([out, Buffer.from(Array.from({ length: 1 + int(r, 40) }, () => int(r, 256)))]);
  return out;
}

interface Outcome {
  closedByBroker: boolean;
}

/** One TCP client from `localAddress`: writes `first`, waits for any answer when asked, then `rest` in random pieces. */
function runClient(r: Rand, port: number, localAddress: string, first: Buffer, rest: (answered: boolean) => Buffer | undefined): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    let answered = false;
    let endedByUs = false;
    const finish = (): void => resolve({ closedByBroker: !endedByUs });
    s.on('error', () => {});
    s.on('close', finish);
    s.on('data', () => {
      if (answered) return;
      answered = true;
      const more = rest(true);
      if (more === undefined) return;
      void (async () => {
        for (let at = 0; at < more.length && !s.destroyed; ) {
          const n = 1 + int(r, 300);
          s.write(more.subarray(at, at + n));
          at += n;
          if (r() < 0.2) await sleep(int(r, 5));
        }
        await sleep(50 + int(r, 300));
        endedByUs = !s.destroyed;
        s.destroy();
      })();
    });
    s.once('connect', () => {
      s.write(first);
      // Nothing comes back to a stream the broker is still reading: give up after a moment.
      setTimeout(() => {
        if (!answered) {
          endedByUs = !s.destroyed;
          s.destroy();
        }
      }, 400 + int(r, 400));
    });
  });
}

describe('cloud e2e 16 MQTT fuzz: strangers and authenticated gateways sending garbage @e2e', function () {
  this.timeout(120_000);
  let dir: string;
  let broker: BrokerProcess;
  let api: string;
  let token: string;
  const secrets: Record<string, string> = {};
  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);

  before(async () => {
    dir = tempDir('e2e16');
    broker = await startBroker(dir, ['--auth.allowAnonymous', 'false', '--auth.kdfLogN', '10']);
    api = `http://127.0.0.1:${broker.apiPort}`;
    token = readFileSync(join(dir, 'operator-token'), 'utf8').trim();
    for (const id of ['gw-good', ...Array.from({ length: FUZZ_GATEWAYS }, (_, i) => `gw-f${i}`)]) secrets[id] = (await call('POST', '/v1/devices', { id })).secret;
  });
  after(async () => {
    await broker?.stop();
    if (dir !== undefined) removeDir(dir);
  });

  /** Every payload of gw-good in the telemetry queue, read by a fresh consumer group. */
  const goodPayloads = async (group: string): Promise<string[]> => {
    const got: string[] = [];
    for (;;) {
      const { messages } = await call('POST', `/v1/queues/telemetry/groups/${group}/pull`, { member: 'm', max: 500, filter: '/gw-good/#' });
      if (messages.length === 0) return got;
      for (const m of messages) got.push(Buffer.from(m.payloadBase64, 'base64').toString());
      await call('POST', `/v1/queues/telemetry/groups/${group}/ack`, { member: 'm', offsets: messages.map((m: { offset: number }) => m.offset), filter: '/gw-good/#' });
    }
  };

  it(`keeps serving and storing for a good gateway while strangers and gateways send garbage, seed ${SEED}`, async () => {
    const r = prng(SEED);
    const good = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'gw-good', username: 'gw-good', password: secrets['gw-good']!, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 0 });
    let goodClosed = false;
    good.on('close', () => (goodClosed = true));
    const acked: string[] = [];
    const deadline = Date.now() + BUDGET_MS;
    const goodLoop = (async () => {
      for (let i = 0; Date.now() < deadline; i++) {
        const payload = `good-${i}`;
        await good.publishAsync('telemetry/gw-good/s/t', payload, { qos: 1 });
        acked.push(payload);
      }
    })();

    let clients = 0;
    let closedByBroker = 0;
    let strangerIndex = 0;
    const one = async (): Promise<void> => {
      const n = clients++;
      if (r() < 0.4) {
        // A stranger: never authenticated.
        const kind = int(r, 4);
        const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: pick(r, [4, 5] as const), clientId: `s${n}`, clean: true, keepalive: 30, username: pick(r, ['gw-f0', 'nobody', '']), password: Buffer.from(pick(r, ['wrong', secrets['gw-f1']!])) });
        const first =
          kind === 0
            ? Buffer.from(Array.from({ length: 1 + int(r, 200) }, () => int(r, 256)))
            : kind === 1
              ? mutate(r, connect, 1 + int(r, 4))
              : kind === 2
                ? Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f, 0x00])
                : connect;
        const o = await runClient(r, broker.port, sourceAddress(strangerIndex++ % 1000), first, () => (r() < 0.5 ? mutate(r, Buffer.from(Array.from({ length: 50 }, () => int(r, 256))), 3) : undefined));
        if (o.closedByBroker) closedByBroker++;
        return;
      }
      // A gateway with its own secret, then a mutated stream of what gateways send.
      const gw = `gw-f${int(r, FUZZ_GATEWAYS)}`;
      const version = pick(r, [4, 5] as const);
      const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clientId: gw, clean: r() < 0.5, keepalive: 30, username: gw, password: Buffer.from(secrets[gw]!), ...(version === 5 ? { properties: { sessionExpiryInterval: int(r, 100), topicAliasMaximum: int(r, 10), receiveMaximum: 1 + int(r, 20) } } : {}) });
      const stream = Buffer.concat(gatewayPackets(r, gw, version).map((p) => mqttPacket.generate(p, { protocolVersion: version })));
      const o = await runClient(r, broker.port, sourceAddress(1000 + int(r, FUZZ_GATEWAYS)), connect, () => mutate(r, stream, int(r, 5)));
      if (o.closedByBroker) closedByBroker++;
    };
    await Promise.all(
      Array.from({ length: CONCURRENT }, async () => {
        while (Date.now() < deadline) await one();
      }),
    );
    await goodLoop;

    assert.equal(broker.proc.exitCode, null, `the cloud exited:\n${broker.lines.slice(-20).join('\n')}`);
    assert.equal(goodClosed, false, 'the good gateway was never disconnected');
    assert.ok(clients > 100 && closedByBroker > 0, `${clients} fuzz clients, ${closedByBroker} closed by the broker`);
    assert.ok(acked.length > 50, `the good gateway got ${acked.length} PUBACKs in ${BUDGET_MS} ms`);
    const stats = await call('GET', '/v1/stats');
    const b = stats.broker;
    if (process.env.FUZZ_VERBOSE !== undefined) console.log(`${clients} clients, ${closedByBroker} closed by the broker, ${acked.length} good PUBACKs`, b);
    assert.ok(b.malformedPackets + b.protocolErrors > 0, `bad packets counted: ${JSON.stringify(b)}`);
    assert.ok(b.authFailures > 0, `wrong secrets counted: ${JSON.stringify(b)}`);
    assert.ok(b.aclDenied > 0, `a gateway's publish or subscribe outside its own topics counted: ${JSON.stringify(b)}`);
    // Bad input is a warning naming the client, never an error of the cloud's own, nor a crash's stack.
    const unexpected = broker.lines.filter((l) => !l.startsWith('{') || /"level":"(error|fatal)"/.test(l));
    assert.deepEqual(unexpected, [], 'lines other than info and warnings');
    // A secret never reaches the log, whatever the client sent.
    for (const s of Object.values(secrets)) assert.ok(!broker.lines.some((l) => l.includes(s)), 'a secret was logged');

    // Every PUBACKed message is stored, once, in order; and is still there after a kill -9.
    assert.deepEqual(await goodPayloads('fuzz-check'), acked);
    await good.endAsync(true);
    await broker.kill9();
    broker = await startBroker(dir, ['--auth.allowAnonymous', 'false', '--auth.kdfLogN', '10']);
    api = `http://127.0.0.1:${broker.apiPort}`;
    assert.deepEqual(await goodPayloads('after-restart'), acked);
  });
});
