import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startAgent, type Agent } from './agent.js';

const T0 = 1_700_000_000_000;

/**
 * The kill -9 scenario shared by the e2e tests against mosquitto and against causeway-cloud: ROUNDS times,
 * start the agent, feed readings in bursts, SIGKILL it; returns every reading the agent acknowledged as
 * committed (`device/stream/ts`) and the arguments to start it once more for the final drain.
 */
export async function killNineRounds(o: {
  gateway: string;
  url: string;
  dir: string;
  rounds: number;
  onAgent: (a: Agent) => void;
  /** more agent flags (after the defaults, so they win) */
  extraArgs?: string[];
  /** runs right before each kill, with the agent still feeding in flight (e.g. reads its status) */
  beforeKill?: (a: Agent, round: number) => Promise<void>;
}): Promise<{ committed: string[]; args: string[] }> {
  const args = [
    '--gateway.id', o.gateway, '--cloud.url', o.url, '--store.path', join(o.dir, 'outbox.db'),
    '--cloud.keepaliveSeconds', '2', '--cloud.connectTimeoutSeconds', '2', '--cloud.backoffBaseMs', '100', '--cloud.backoffMaxMs', '500',
    '--uplink.batchMaxReadings', '20', '--uplink.inflight', '4', '--log.level', 'warn',
    ...(o.extraArgs ?? []),
  ];
  const committed: string[] = [];
  let next = 0;
  for (let round = 0; round < o.rounds; round++) {
    const a = startAgent(args);
    o.onAgent(a);
    const sent: string[] = [];
    // The kill clock starts once the agent has committed its first line: start-up time (tsx, a
    // loaded machine) must not decide whether a round tests anything.
    const ts0 = T0 + next++;
    a.send({ device: `dev${ts0 % 4}`, stream: 'v', ts: ts0, value: ts0 % 1000 });
    sent.push(`dev${ts0 % 4}/v/${ts0}`);
    await a.waitAck(1, 20_000);
    const started = Date.now();
    const runFor = 1200 + round * 150;
    // Feed readings in bursts until the kill; bounded in count and time.
    for (let burst = 0; burst < 200 && Date.now() - started < runFor; burst++) {
      for (let i = 0; i < 25; i++) {
        const ts = T0 + next++;
        a.send({ device: `dev${ts % 4}`, stream: 'v', ts, value: ts % 1000 });
        sent.push(`dev${ts % 4}/v/${ts}`);
      }
      await new Promise((r) => setTimeout(r, 15));
    }
    await o.beforeKill?.(a, round);
    await a.kill('SIGKILL');
    const ok = sent.filter((_, i) => i + 1 <= a.acked && !a.nacked.has(i + 1));
    assert.equal(a.nacked.size, 0, 'nothing is refused at this rate');
    committed.push(...ok);
    assert.ok(ok.length > 1, `round ${round} committed readings (acked ${a.acked} of ${sent.length}); stderr ${a.stderr.slice(-300)}`);
  }
  return { committed, args };
}
