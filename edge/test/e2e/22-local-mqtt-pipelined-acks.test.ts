import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startAgent, type Agent } from '../helpers/agent.js';
import { forwardRig } from '../helpers/forward-rig.js';
import { freePort, waitForPort } from '../helpers/mosquitto.js';

/**
 * Issue 16: a LAN sensor publishing QoS 1 to the listener the agent hosts. The agent's ingest client
 * handles the messages concurrently and releases its PUBACKs to the listener in arrival order as each
 * reading settles (committed, or PUBACKed by the cloud). SIGKILL while a fast burst is in the pipeline:
 * a message the agent had acknowledged to the listener would be gone for good, so every message the
 * sensor had a PUBACK for arriving proves no acknowledgement ran ahead of durability. The stream
 * arrives in order.
 */
describe('edge e2e 22-local-mqtt-pipelined-acks: QoS 1 sensor burst, kill -9 mid-pipeline @e2e', function () {
  this.timeout(120_000);
  const rig = forwardRig('e2e22');
  let sensor: mqtt.MqttClient | undefined;
  rig.closeFirst(() => sensor?.end(true));

  it('every message the sensor got a PUBACK for reaches the cloud, in order', async () => {
    const port = await freePort();
    const cfg = {
      gateway: { id: 'gw-e2e22' },
      cloud: { url: rig.broker.url },
      store: { path: join(rig.dir, 'outbox.db') },
      log: { level: 'warn' },
      ingest: { mqtt: { listen: { port }, sources: [{ topic: 's/+/v', device: '{2}', stream: 'v', path: 'seq', qos: 1 }] } },
    };
    writeFileSync(join(rig.dir, 'edge.json'), JSON.stringify(cfg));
    const start = async (): Promise<Agent> => {
      const a = startAgent(['--config', join(rig.dir, 'edge.json')]);
      rig.agents.push(a);
      await waitForPort(port, 20_000);
      return a;
    };
    const agent = await start();
    sensor = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'sensor-e2e22', clean: false, reconnectPeriod: 200 });
    const acked = new Set<number>();
    const publish = (from: number, to: number): Array<Promise<void>> => {
      const out: Array<Promise<void>> = [];
      for (let seq = from; seq <= to; seq++) {
        out.push(
          sensor!.publishAsync('s/th-1/v', JSON.stringify({ seq }), { qos: 1 }).then(
            () => void acked.add(seq),
            () => undefined,
          ),
        );
      }
      return out;
    };
    // 1. a burst; kill -9 the agent (and its listener) with it part way through (a burst big enough that
    // the listener, acking several thousand a second since issue 16's commits, is still in it at the kill)
    const N = 12_000;
    const burst = publish(1, N);
    while (acked.size < 800) await new Promise((r) => setTimeout(r, 5));
    await agent.kill('SIGKILL');
    const ackedAtKill = acked.size;
    assert.ok(ackedAtKill < N, 'the kill caught the burst in flight');
    // 2. restart: the sensor's session resends what had no PUBACK, the listener redelivers what the agent had not acknowledged
    await start();
    await Promise.all(burst);
    await rig.sub.waitFor(() => acked.size === N, 60_000, 'the sensor to get every PUBACK after the restart');
    const values = (): number[] => rig.sub.batches.filter((b) => b.device === 'th-1').flatMap((b) => b.readings.map((r) => r.value as number));
    await rig.sub.waitFor(() => [...acked].every((s) => values().includes(s)), 60_000, 'every PUBACKed message at the cloud').catch((err) => {
      const got = new Set(values());
      const missing = [...acked].filter((s) => !got.has(s));
      throw new Error(`${missing.length} of ${acked.size} PUBACKed messages missing (acked at the kill: ${ackedAtKill}), e.g. ${missing.slice(0, 5).join(', ')}`, { cause: err });
    });
    // 3. order: the stream's first arrivals ascend, but for messages the sensor re-sent after the kill
    const first: number[] = [];
    const seen = new Set<number>();
    for (const v of values()) if (!seen.has(v)) (seen.add(v), first.push(v));
    const beforeKill = first.filter((v) => v <= ackedAtKill);
    const bad = beforeKill.findIndex((v, i) => i > 0 && v < beforeKill[i - 1]!);
    assert.equal(bad, -1, `messages acknowledged before the kill arrived out of order at ${bad}: ${beforeKill.slice(Math.max(0, bad - 2), bad + 2).join(', ')}`);
    console.log(`      ${N} QoS 1 messages, ${ackedAtKill} PUBACKed by the listener before the kill, all arrived; ${values().length - seen.size} duplicate readings at the cloud`);
  });
});
