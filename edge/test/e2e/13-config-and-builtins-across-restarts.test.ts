import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, startBroker, type BrokerProcess, waitFor as waitForValue } from '../../../cloud/test/e2e/fixtures/broker-process.js';
import { startFaultProxy, type FaultProxy } from '@causeway/sim/fault-proxy/fault-proxy.js';
import { startAgent, type Agent } from '../helpers/agent.js';

/**
 * Remote config and built-in gateway commands across kill -9, with real processes (causeway-cloud, the
 * agent reaching it through a fault proxy):
 * - issue 23 item 4: a config after which the link does not come back is rolled back even when the
 *   agent restarts (or loses power) before the rollback timer fires;
 * - issue 22: a config version is applied and reported once, a built-in command (restart-agent) runs at
 *   most once, whatever step the agent dies at.
 */
describe('edge e2e 13: remote config and built-in commands across kill -9 @e2e', function () {
  this.timeout(180_000);
  let dir: string;
  let cloud: BrokerProcess;
  let proxy: FaultProxy;
  let api: string;
  let token: string;
  let agent: Agent | undefined;
  const agents: Agent[] = [];

  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
  const waitFor = <T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => waitForValue(what, ms, probe, { everyMs: 25 });
  const start = (): Agent => {
    agent = startAgent(['--config', join(dir, 'gw1.json')]);
    agents.push(agent);
    return agent;
  };
  const online = () => waitFor('gw1 online', 30_000, async () => ((await call('GET', '/v1/devices/gw1')).online ? true : undefined));
  const logged = (a: Agent, msg: string, match: (l: Record<string, unknown>) => boolean = () => true): boolean => a.logs.some((l) => l.msg === msg && match(l));
  const gwStatus = async (): Promise<any> => (await call('GET', '/v1/config/status')).gateways.find((g: { gateway: string }) => g.gateway === 'gw1');
  const push = async (config: Record<string, unknown>): Promise<number> => (await call('PUT', '/v1/config/gateways/gw1', { config })).version;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-cfg-restart-'));
    cloud = await startBroker(join(dir, 'cloud'), ['--auth.allowAnonymous', 'false']);
    api = `http://127.0.0.1:${cloud.apiPort}`;
    token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
    const secret = (await call('POST', '/v1/devices', { id: 'gw1' })).secret;
    proxy = await startFaultProxy({ targetPort: cloud.port });
    mkdirSync(join(dir, 'gw1'), { recursive: true });
    writeFileSync(
      join(dir, 'gw1.json'),
      JSON.stringify({
        gateway: { id: 'gw1' },
        cloud: { url: `mqtt://127.0.0.1:${proxy.port}`, username: 'gw1', password: secret, backoffBaseMs: 100, backoffMaxMs: 300, connectTimeoutSeconds: 2 },
        store: { path: join(dir, 'gw1', 'outbox.db') },
        commands: { rollbackTimeoutSeconds: 3 },
      }),
    );
    start();
    await online();
  });
  after(async () => {
    await agent?.kill('SIGKILL');
    await proxy?.close();
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a config that broke the link is rolled back after a kill -9 during the rollback wait, and reported', async () => {
    const a = agent!;
    proxy.refuseNew(); // the live connection delivers the config; the uplink it restarts cannot reconnect
    const v = await push({ uplink: { batchMaxReadings: 77 } });
    await waitFor('the config applied', 20_000, () => (logged(a, 'config applied', (l) => l.uplink === true) ? true : undefined));
    await a.kill('SIGKILL'); // before the 3 s rollback timer
    const b = start();
    await waitFor('the rollback after the restart', 20_000, () => (logged(b, 'desired config broke the uplink; rolling back', (l) => l.version === v) ? true : undefined));
    proxy.restore();
    await online();
    const st = await waitFor(`v${v} reported`, 30_000, async () => {
      const s = await gwStatus();
      return s?.reportedVersion === v ? s : undefined;
    });
    assert.equal(st.status, 'ROLLED_BACK');
    // the agent runs its previous config and does not apply the retained v again on reconnect
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(logged(b, 'config applied', (l) => l.uplink === true && b.logs.indexOf(l) > b.logs.findIndex((x) => x.msg === 'desired config broke the uplink; rolling back') + 1), false);
  });

  it('a config version is applied and reported once when the agent dies after receiving it', async () => {
    const a = agent!;
    const v = await push({ uplink: { batchMaxReadings: 66 } });
    await waitFor('the config received', 20_000, () => (logged(a, 'config received', (l) => l.version === v) ? true : undefined));
    await a.kill('SIGKILL');
    const b = start();
    await online();
    const st = await waitFor(`v${v} reported`, 30_000, async () => {
      const s = await gwStatus();
      return s?.reportedVersion === v ? s : undefined;
    });
    assert.equal(st.status, 'APPLIED');
    await new Promise((r) => setTimeout(r, 1500)); // the retained copy has come again by now
    const reports = [...agents].flatMap((x) => x.logs.filter((l) => l.msg === 'desired config applied' && l.version === v));
    assert.equal(reports.length, 1, 'reported APPLIED once across both runs');
    assert.equal(b.logs.filter((l) => l.msg === 'config applied').length <= 1, true, 'the restarted agent applied it at most once');
  });

  it('restart-agent runs at most once when the agent is killed right after receiving it', async () => {
    const a = agent!;
    const id = (await call('POST', '/v1/commands', { name: 'restart-agent', device: 'gw1', args: {}, ttlSeconds: 120 })).command.id;
    await waitFor('the command received', 20_000, () => (logged(a, 'command received', (l) => l.commandId === id) ? true : undefined));
    await a.kill('SIGKILL');
    // Whatever the kill interrupted, from now on the agent runs it at most once: one more restart at most.
    let restarts = 0;
    for (let i = 0; i < 3; i++) {
      const b = start();
      const exit = await Promise.race([b.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 6000))]);
      if (exit === undefined) break; // still running: nothing more to restart for
      assert.equal(exit.code, 75, `exit for restart-agent, got ${JSON.stringify(exit)}`);
      restarts++;
    }
    assert.ok(restarts <= 1, `restart-agent ran ${restarts} times after the kill`);
    await online();
    const target = await waitFor('a terminal state', 30_000, async () => {
      const t = (await call('GET', `/v1/commands/${id}/targets`)).targets[0];
      return ['SUCCEEDED', 'FAILED'].includes(t?.state) ? t : undefined;
    });
    if (restarts === 1) assert.equal(target.state, 'SUCCEEDED', 'the run after the restart answered');
  });
});
