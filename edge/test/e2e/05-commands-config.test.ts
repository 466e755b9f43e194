import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { apiCall, startBroker, type BrokerProcess, waitFor as waitForValue } from '../../../cloud/test/e2e/fixtures/broker-process.js';

const run = promisify(execFile);

/**
 * Commands and config end to end with real processes: the causeway CLI → causeway-cloud → causeway-edge
 * → a simulated serial device on a real PTY → the result back to the CLI and into the cmd-result queue;
 * remote config valid, invalid and link-breaking; a broadcast to gateways that are online, offline
 * (they get it on reconnect) and never connecting (the TTL expires).
 */
describe('edge e2e 05: commands and config, CLI → cloud → edge → device and back @e2e', function () {
  this.timeout(120_000);
  let dir: string;
  let cloud: BrokerProcess;
  let api: string;
  let token: string;
  const procs: ChildProcess[] = [];
  const secrets: Record<string, string> = {};

  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', api, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: token }, timeout: 60_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  const waitFor = <T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => waitForValue(what, ms, probe, { everyMs: 200 });
  const spawnLogged = (args: string[]): ChildProcess => {
    const p = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.resume();
    p.stderr!.resume();
    procs.push(p);
    return p;
  };
  const startEdge = (gw: string, extra: Record<string, unknown> = {}): ChildProcess => {
    const cfg = {
      gateway: { id: gw, groups: ['fleet'] },
      cloud: { url: `mqtt://127.0.0.1:${cloud.port}`, username: gw, password: secrets[gw], backoffBaseMs: 100, backoffMaxMs: 1000 },
      store: { path: join(dir, gw, 'outbox.db') },
      commands: { rollbackTimeoutSeconds: 4, timeoutMs: 5000 },
      ...extra,
    };
    rmSync(join(dir, `${gw}.json`), { force: true });
    mkdirSync(join(dir, gw), { recursive: true });
    writeFileSync(join(dir, `${gw}.json`), JSON.stringify(cfg));
    return spawnLogged(['edge/src/main.ts', '--config', join(dir, `${gw}.json`)]);
  };
  const online = (gw: string) => waitFor(`${gw} online`, 20_000, async () => ((await call('GET', `/v1/devices/${gw}`)).online ? true : undefined));
  const stop = async (p: ChildProcess): Promise<void> => {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-cmd-'));
    cloud = await startBroker(join(dir, 'cloud'), ['--auth.allowAnonymous', 'false']);
    api = `http://127.0.0.1:${cloud.apiPort}`;
    token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
    for (const gw of ['gw1', 'gw2', 'gw3']) secrets[gw] = (await call('POST', '/v1/devices', { id: gw, groups: ['fleet'] })).secret;
    await call('POST', '/v1/devices', { id: 'th-1', kind: 'device', gateway: 'gw1' });
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a device command travels CLI → cloud → edge → serial device and its result comes back', async () => {
    const link = join(dir, 'th-1.tty');
    spawnLogged(['firmware-sim/src/main.ts', 'serial', '--profile', 'thermometer', '--link', link, '--rate', '5']);
    await waitFor('the PTY', 10_000, async () => (existsSync(link) ? true : undefined));
    startEdge('gw1', { ingest: { ports: [{ path: link, device: 'th-1', protocol: { type: 'json' }, streams: { temp: 'temp', relay: '' } }] } });
    await online('gw1');
    // readings flow into the telemetry queue
    const first = await waitFor('telemetry from th-1', 30_000, async () => {
      const r = await call('POST', '/v1/queues/telemetry/groups/e2e/pull', { member: 'm', max: 50 });
      return r.messages.find((m: { topic: string }) => m.topic === 'telemetry/gw1/th-1/temp');
    });
    assert.equal(first.envelope.type, 'batch');
    assert.equal(typeof first.envelope.readings[0].value, 'number');

    const sent = await cli(['send', 'set-relay', '--device', 'th-1', '--args', '{"state":true}', '--wait']);
    assert.equal(sent.code, 0, sent.stdout + sent.stderr);
    assert.match(sent.stdout, /\ngw1\s+th-1\s+SUCCEEDED\s+\d+(\.\d)? m?s\s+\{"reply":"ok set-relay on"\}\n/, 'the device\'s answer and round trip (issue 24)');
    assert.match(sent.stdout, /COMPLETED: SUCCEEDED=1 \(1 target\(s\), slowest \d+(\.\d)? m?s\)\n$/);
    const id = /command (\S+):/.exec(sent.stdout)![1]!;
    const targets = await call('GET', `/v1/commands/${id}/targets`);
    assert.deepEqual(targets.targets[0].output, { reply: 'ok set-relay on' });
    // the result is also in the cmd-result queue for backend apps
    const results = await call('POST', '/v1/queues/cmd-result/groups/e2e/pull', { member: 'm', max: 50 });
    const statuses = results.messages.filter((m: { topic: string }) => m.topic === `cmd-result/gw1/th-1/${id}`).map((m: { envelope: { status: string } }) => m.envelope.status);
    assert.deepEqual(statuses, ['DELIVERED', 'SUCCEEDED']);
  });

  it('refusals end in a terminal state with a reason: unknown device command, unknown gateway command', async () => {
    const unknown = await cli(['send', 'frobnicate', '--device', 'th-1', '--wait']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stdout, /REJECTED=1/);
    const builtin = await cli(['send', 'self-destruct', '--device', 'gw1', '--wait']);
    assert.match(builtin.stdout, /REJECTED=1/);
    const ping = await cli(['send', 'ping', '--device', 'gw1', '--wait']);
    assert.equal(ping.code, 0, ping.stdout);
  });

  it('a group command is one stored message that the online gateway of the group answers', async () => {
    const r = await cli(['send', 'report-status', '--group', 'fleet', '--ttl', '30']);
    const id = /command (\S+) sent/.exec(r.stdout)![1]!;
    const c = await waitFor('gw1 answered the group command', 20_000, async () => {
      const x = await call('GET', `/v1/commands/${id}/targets?state=SUCCEEDED`);
      return x.targets.length === 1 ? x.targets[0] : undefined;
    });
    assert.equal(c.gateway, 'gw1');
    assert.equal(c.output.gateway, 'gw1', 'report-status answers with the agent snapshot');
    assert.equal(typeof c.output.outbox.records, 'number');
    await call('POST', `/v1/commands/${id}/cancel`);
  });

  it('remote config: valid → APPLIED, invalid → REJECTED naming the key, link-breaking → ROLLED_BACK', async () => {
    const status = async (v: number): Promise<any> =>
      waitFor(`config v${v} reported`, 30_000, async () => {
        const r = (await call('GET', '/v1/config/status')).gateways.find((g: { gateway: string }) => g.gateway === 'gw1');
        return r?.reportedVersion === v ? r : undefined;
      });
    const ok = await cli(['config', 'set', '--gateway', 'gw1', '--json', '{"uplink":{"batchMaxReadings":50}}']);
    const v1 = Number(/config version (\d+)/.exec(ok.stdout)![1]);
    assert.equal((await status(v1)).status, 'APPLIED');
    // A wrong type is refused by the cloud before it is stored (issue 24) …
    const refused = await cli(['config', 'set', '--gateway', 'gw1', '--json', '{"uplink":{"batchMaxReadings":"lots"}}']);
    assert.equal(refused.code, 65);
    assert.match(refused.stderr, /uplink\.batchMaxReadings: must be a positive integer/);
    // … what only the agent can check (a rule's pipeline) is rejected by the gateway, naming the key.
    const bad = await cli(['config', 'set', '--gateway', 'gw1', '--json', '{"ingest":{"rules":[{"stream":"temp","pipeline":[{"type":"nope"}]}]}}']);
    const v2 = Number(/config version (\d+)/.exec(bad.stdout)![1]);
    assert.equal(v2, v1 + 1, 'a refused document takes no version');
    const rejected = await status(v2);
    assert.equal(rejected.status, 'REJECTED');
    assert.match(rejected.error.key, /^ingest\.rules/);
    // cloud.url is local-only now (issue 23 item 3); a keepalive MQTT cannot encode (> 65535 s) passes the
    // schema but no CONNECT goes out with it, so the link stays down.
    const breaking = await cli(['config', 'set', '--gateway', 'gw1', '--json', '{"cloud":{"keepaliveSeconds":70000}}']);
    const v3 = Number(/config version (\d+)/.exec(breaking.stdout)![1]);
    const rolled = await status(v3);
    assert.equal(rolled.status, 'ROLLED_BACK');
    await online('gw1'); // back on the old URL
    const st = await cli(['config', 'status']);
    assert.match(st.stdout, new RegExp(`gw1\\s+${v3}\\s+${v3}\\s+ROLLED_BACK\\s+false`));
  });

  it('a broadcast reaches online gateways, offline ones on reconnect, and expires for the rest', async () => {
    const gw2 = startEdge('gw2');
    await online('gw2');
    await stop(gw2); // persistent session stays: gw2 is offline now
    const sent = await cli(['send', 'ping', '--all', '--ttl', '12']);
    const id = /command (\S+) sent/.exec(sent.stdout)![1]!;
    await waitFor('gw1 answered', 20_000, async () => ((await call('GET', `/v1/commands/${id}`)).counts.SUCCEEDED >= 1 ? true : undefined));
    startEdge('gw2'); // reconnects and gets the broadcast from its session
    const done = await waitFor('the command to finish', 40_000, async () => {
      const c = await call('GET', `/v1/commands/${id}`);
      return c.command.status === 'COMPLETED' ? c : undefined;
    });
    assert.equal(done.counts.SUCCEEDED, 2, JSON.stringify(done.counts)); // gw1 and gw2
    assert.equal(done.counts.EXPIRED, 1, JSON.stringify(done.counts)); // gw3 never connected
    assert.equal((await call('GET', `/v1/commands/${id}/targets?state=EXPIRED`)).targets[0].gateway, 'gw3');
  });
});
