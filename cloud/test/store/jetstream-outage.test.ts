import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Broker } from '@causeway/broker';
import { openJetStreamStore, type JetStreamStore } from '../../src/store/jetstream/jetstream-store.js';
import { isTransientPublishError } from '../../src/store/jetstream/nats-errors.js';
import { duplexPair } from '../../../broker/test/fixtures/duplex-pair.js';
import { RawClient, sleep } from '../../../broker/test/fixtures/harness.js';
import { natsForSuite } from './jetstream-server.js';
import { makeMessage } from '../../../broker/test/store/store-contract.js';
import { causewayBrokerHooks } from '../../src/app/broker-hooks.js';

describe('jetstream store: a nats-server lost (issue 23)', function () {
  this.timeout(60_000);

  describe('isTransientPublishError', () => {
    const cases: { name: string; err: unknown; transient: boolean }[] = [
      { name: 'no responders', err: { code: '503' }, transient: true },
      { name: 'request timeout', err: { code: 'TIMEOUT' }, transient: true },
      { name: 'disconnected', err: { code: 'DISCONNECT' }, transient: true },
      { name: 'JetStream temporarily unavailable', err: { code: '503', api_error: { code: 503, err_code: 10008 } }, transient: true },
      { name: 'an API 503 without the usual client code', err: { api_error: { code: 503, err_code: 10999 } }, transient: true },
      { name: 'wrong last sequence (a race, handled apart)', err: { api_error: { code: 400, err_code: 10071 } }, transient: false },
      { name: 'connection closed (the store is closing)', err: { code: 'CONNECTION_CLOSED' }, transient: false },
      { name: 'max payload', err: { code: 'MAX_PAYLOAD_EXCEEDED' }, transient: false },
      { name: 'not an error object', err: null, transient: false },
    ];
    for (const c of cases) it(`${c.name} → ${c.transient ? 'retry' : 'fail'}`, () => assert.equal(isTransientPublishError(c.err), c.transient));
  });

  describe('with a real nats-server killed and restarted', () => {
    const nats = natsForSuite(1);
    let store: JetStreamStore | undefined;
    let broker: Broker | undefined;

    afterEach(async () => {
      // The server may be down when a test fails: bring it back so the store's close does not wait on it.
      const server = nats.cluster?.nodes[0];
      if (server !== undefined && (server.child.exitCode !== null || server.child.signalCode !== null)) await server.restart();
      await broker?.close();
      await store?.close();
      broker = undefined;
      store = undefined;
    });

    async function start(appendRetryMs: number): Promise<RawClient> {
      store = await openJetStreamStore({ servers: nats.urls, prefix: `r${randomBytes(4).toString('hex')}`, timeoutMs: 1000, appendRetryMs });
      broker = new Broker(store, causewayBrokerHooks({ maxQueuesPerGateway: 0 }));
      await broker.start();
      const [clientSide, serverSide] = duplexPair();
      broker.handle(serverSide);
      const c = new RawClient(clientSide, 5);
      c.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'pub-1', clean: true, keepalive: 0 }, 5);
      assert.equal((await c.next('connack', 5000)).cmd, 'connack');
      return c;
    }

    const publish = (c: RawClient, messageId: number): void =>
      c.send({ cmd: 'publish', topic: 'telemetry/gw-1/dev-1/temp', payload: Buffer.from(`reading ${messageId}`), qos: 1, retain: false, dup: false, messageId }, 5);

    it('withholds the PUBACK while the server is down and sends it once the stream is back, without closing the publisher [issue 23]', async () => {
      const c = await start(30_000);
      publish(c, 1);
      assert.equal((await c.next('puback', 5000)).messageId, 1);

      await nats.nodes[0]!.kill();
      publish(c, 2);
      // Several publish timeouts (1 s each) pass: before issue 23 the first one closed the publisher (0x83).
      await sleep(3500);
      assert.equal(c.closed, false, 'the publisher was disconnected while the stream was unavailable');
      assert.equal(c.packets.filter((p) => p.cmd === 'puback').length, 0, 'PUBACK sent before the append was durable');

      await nats.nodes[0]!.restart();
      const ack = await c.next('puback', 20_000);
      assert.equal(ack.messageId, 2);
      assert.equal((ack as { reasonCode?: number }).reasonCode ?? 0, 0);
      assert.equal(c.closed, false);
      const q = await store!.log.read('q:telemetry', 1, 10);
      assert.deepEqual(
        q.map((e) => e.message.payload.toString()),
        ['reading 1', 'reading 2'],
      );
      assert.ok(store!.log.counters.retriedUnavailable > 0, 'the retries are not counted');
      assert.equal(store!.log.counters.failedUnavailable, 0);
    });

    it('closes the publisher with 0x83 once the outage outlasts store.jetstream.appendRetryMs, never acknowledging', async () => {
      const c = await start(2000);
      await nats.nodes[0]!.kill();
      const t0 = Date.now();
      publish(c, 7);
      await c.waitClosed(15_000);
      const waited = Date.now() - t0;
      assert.ok(waited >= 1900, `closed after ${waited} ms, before the bound`);
      assert.equal(c.packets.filter((p) => p.cmd === 'puback').length, 0);
      const disconnect = c.packets.find((p) => p.cmd === 'disconnect') as { reasonCode?: number } | undefined;
      assert.equal(disconnect?.reasonCode, 0x83);
      assert.equal(store!.log.counters.failedUnavailable, 1);
    });

    it('an append still being retried when the store closes fails at once with STORE_CLOSED, not at the end of the bound', async () => {
      store = await openJetStreamStore({ servers: nats.urls, prefix: `a${randomBytes(4).toString('hex')}`, timeoutMs: 1000, appendRetryMs: 30_000 });
      await nats.nodes[0]!.kill();
      const pending = store.log.append(makeMessage('telemetry/gw-1/d/t', 'x'), ['q:telemetry']);
      const outcome = pending.then(() => 'acknowledged', (err: unknown) => (err as { code?: string }).code);
      await sleep(1500);
      const t0 = Date.now();
      await store.close();
      assert.equal(await outcome, 'STORE_CLOSED');
      assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms`);
      store = undefined;
    });

    it('close() ends the NATS connection even when the server is down, so its reconnect timers do not keep the process alive', async () => {
      store = await openJetStreamStore({ servers: nats.urls, prefix: `c${randomBytes(4).toString('hex')}`, timeoutMs: 1000 });
      await nats.nodes[0]!.kill();
      await sleep(500);
      const t0 = Date.now();
      await store.close();
      assert.ok(Date.now() - t0 < 3000, `close took ${Date.now() - t0} ms`);
      assert.equal(store.nc.isClosed(), true, 'the NATS connection is still reconnecting after close()');
      store = undefined;
    });
  });
});
