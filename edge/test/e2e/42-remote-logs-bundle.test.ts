import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFaultProxy } from '@causeway/sim/fault-proxy/fault-proxy.js';
import { apiCall, startBroker, type BrokerProcess, waitFor } from '../../../cloud/test/e2e/fixtures/broker-process.js';

const run = promisify(execFile);

/**
 * Issue 20, remote logs and the support bundle with real processes: `causeway logs` asked while the
 * gateway is offline waits, and gets the agent's warnings (from its on-disk ring, across a restart) once
 * the gateway returns; `causeway bundle` writes a bundle in which none of the secrets the gateway runs
 * with appears (searched for literally); `causeway diagnose` answers the gateway's own network, outbox and disk checks.
 */
describe('edge e2e 42-remote-logs-bundle: logs from a gateway offline when asked, a bundle without secrets @e2e', function () {
  this.timeout(180_000);
  let dir: string;
  let cloud: BrokerProcess;
  let api: string;
  let token: string;
  let secret: string;
  const CLAIM = 'cw_claim_abcdefghijk.thisIsTheClaimSecretNobodyMaySee123';
  const LAN_PASSWORD = 'lan-password-never-shown';
  const procs: ChildProcess[] = [];
  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
  const cli = (args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', api, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: token }, timeout: 120_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const agent = (cloudPort: number): { p: ChildProcess; exited: Promise<number | null> } => {
    const cfg = {
      gateway: { id: 'gw-logs' },
      cloud: { url: `mqtt://127.0.0.1:${cloudPort}`, username: 'gw-logs', password: secret, backoffBaseMs: 100, backoffMaxMs: 500, connectTimeoutSeconds: 2 },
      identity: { claimToken: CLAIM },
      ingest: { mqtt: { listen: { port: 0, username: 'lan', password: LAN_PASSWORD } } },
      store: { path: join(dir, 'gw', 'outbox.db') },
    };
    writeFileSync(join(dir, 'gw.json'), JSON.stringify(cfg), { mode: 0o600 });
    const p = spawn(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', '--config', join(dir, 'gw.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.resume();
    p.stderr!.resume();
    procs.push(p);
    return { p, exited: new Promise((r) => p.once('exit', (c) => r(c))) };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e42-'));
    mkdirSync(join(dir, 'gw'));
    cloud = await startBroker(join(dir, 'cloud'), ['--auth.allowAnonymous', 'false']);
    api = `http://127.0.0.1:${cloud.apiPort}`;
    token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
    secret = (await call('POST', '/v1/devices', { id: 'gw-logs' })).secret;
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs asked while offline arrive when the gateway returns; the bundle holds no secret', async () => {
    // First run through a fault proxy: online (its session exists), then the link is cut and the agent
    // logs uplink warnings into its ring; then it stops.
    const proxy = await startFaultProxy({ targetPort: cloud.port });
    const first = agent(proxy.port);
    await waitFor('gw-logs online', 30_000, async () => ((await call('GET', '/v1/devices/gw-logs')).online ? true : undefined));
    proxy.cut();
    await waitFor('warnings in the ring', 20_000, async () => (existsSync(join(dir, 'gw', 'logs', 'current.log')) && /"msg":"uplink error"/.test(readFileSync(join(dir, 'gw', 'logs', 'current.log'), 'utf8')) ? true : undefined));
    first.p.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    await proxy.close();
    await waitFor('gw-logs offline', 30_000, async () => ((await call('GET', '/v1/devices/gw-logs')).online ? undefined : true));
    assert.equal(statSync(join(dir, 'gw', 'logs', 'current.log')).mode & 0o777, 0o600);
    // the gateway is offline: ask now, it answers when it comes back
    const asking = cli(['logs', 'gw-logs', '--since', '1h', '--level', 'warning', '--ttl', '5m']);
    await new Promise((r) => setTimeout(r, 2000));
    const second = agent(cloud.port);
    const r = await asking;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /gw-logs is offline; the request waits for it/);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.length > 0, 'some warnings came back');
    assert.ok(lines.every((l) => l.level === 'warn' || l.level === 'error'), 'only warning and above');
    assert.ok(lines.some((l) => l.msg === 'uplink error'), r.stdout.slice(0, 500));

    const out = join(dir, 'bundle.json');
    const b = await cli(['bundle', 'gw-logs', '--out', out, '--lines', '500']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const text = readFileSync(out, 'utf8');
    const bundle = JSON.parse(text);
    assert.equal(bundle.config.gateway.id, 'gw-logs');
    assert.equal(bundle.config.cloud.password, '[redacted]');
    assert.equal(bundle.status.gateway, 'gw-logs');
    assert.ok(bundle.logs.lines.length > 10, 'the last log lines are in it');
    assert.match(bundle.versions.agent, /^\d+\.\d+\.\d+/);
    for (const s of [secret, CLAIM, CLAIM.split('.')[1]!, LAN_PASSWORD, token]) assert.ok(!text.includes(s), `a secret (${s.slice(0, 6)}…) is in the bundle`);
    for (const s of [secret, CLAIM, LAN_PASSWORD]) assert.ok(!r.stdout.includes(s));
    // the same bundle, downloaded from the API as a file (what `causeway bundle --latest` and a browser get)
    const dl = await fetch(`${api}/v1/gateways/gw-logs/bundle`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(dl.status, 200);
    assert.equal(dl.headers.get('content-disposition'), 'attachment; filename="gw-logs-bundle.json"');
    const served = await dl.text();
    assert.equal(JSON.parse(served).command, bundle.command, 'the latest bundle is the one just asked for');
    assert.equal(JSON.parse(served).config.cloud.password, '[redacted]');
    for (const s of [secret, CLAIM, CLAIM.split('.')[1]!, LAN_PASSWORD, token]) assert.ok(!served.includes(s), `a secret (${s.slice(0, 6)}…) is in the served bundle`);
    const latest = await cli(['bundle', 'gw-logs', '--latest', '--out', join(dir, 'latest.json')]);
    assert.equal(latest.code, 0, latest.stderr);
    assert.equal(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')).command, bundle.command);
    assert.equal((await fetch(`${api}/v1/gateways/gw-nobody/bundle`, { headers: { authorization: `Bearer ${token}` } })).status, 404);
    // the answers are bounded: a request past the limit is refused with the reason
    const tooMany = await cli(['logs', 'gw-logs', '--max-lines', '100000']);
    assert.notEqual(tooMany.code, 0);
    assert.match(tooMany.stderr, /maxLines must be from 1 to 5000/);

    // diagnostics: the gateway's own view of its link, outbox and disk
    const d = await cli(['diagnose', 'gw-logs']);
    assert.equal(d.code, 0, d.stderr);
    const diag = JSON.parse(d.stdout);
    assert.deepEqual([diag.network.dns.ok, diag.network.tcp.ok, diag.network.port], [true, true, cloud.port]);
    assert.equal(typeof diag.network.tcp.ms, 'number');
    assert.equal(diag.outbox.quickCheck, 'ok');
    assert.ok(diag.disk.usedBytes.outbox > 0 && diag.disk.usedBytes.logs > 0 && diag.disk.freeBytes > 0, JSON.stringify(diag.disk));
    assert.deepEqual(diag.serial, []);
    const badCheck = await cli(['diagnose', 'gw-logs', '--checks', 'telepathy']);
    assert.match(badCheck.stderr, /checks must be a list of network, outbox, disk, serial/);
    second.p.kill('SIGTERM');
    await second.exited;
  });
});
