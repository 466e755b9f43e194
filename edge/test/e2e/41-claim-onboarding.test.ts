import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { apiCall, startBroker, type BrokerProcess, waitFor } from '../../../cloud/test/e2e/fixtures/broker-process.js';

const run = promisify(execFile);
const FLEET = 'edge/test/e2e/fixtures/claim-fleet.ts';

/**
 * Issue 20, provisioning by claim, with real processes: an operator creates claim tokens with the CLI; a
 * fleet of simulated gateways (one process running the agent's first-boot code for each) registers under
 * ids read from their serial-number files and connects with the secrets they stored; real causeway-edge
 * agents register on first boot and come online; one agent with an expired claim and one past the use
 * count stop with exit 78 and a clear reason; a revoked claim registers nobody; nothing is printed in bulk.
 * A claim with approval: agents wait, asking again every claims.pendingRetrySeconds, until an operator
 * approves (it connects) or rejects (it stops with the reason); revoking the claim blocks the waiting ones.
 */
describe('edge e2e 41-claim-onboarding: a fleet registers itself by claim @e2e', function () {
  this.timeout(240_000);
  const FLEET_SIZE = 200;
  let dir: string;
  let cloud: BrokerProcess;
  let api: string;
  let token: string;
  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
  const cli = (args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', api, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: token }, timeout: 60_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const createClaim = async (args: string[]): Promise<{ id: string; token: string }> => {
    const r = await cli(['claims', 'create', ...args, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    return { id: j.claim.id, token: j.token };
  };
  /** a real agent on first boot: config file with the claim, an id file, no credentials */
  const edge = (name: string, claimToken: string) => {
    const home = join(dir, name);
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'serial'), `${name}\n`);
    const cfg = { identity: { claimToken, registerUrl: api, idFrom: join(home, 'serial') }, cloud: { url: `mqtt://127.0.0.1:${cloud.port}`, backoffBaseMs: 100, backoffMaxMs: 1000 }, store: { path: join(home, 'outbox.db') } };
    writeFileSync(join(home, 'config.json'), JSON.stringify(cfg), { mode: 0o600 });
    const p = spawn(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', '--config', join(home, 'config.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    return { p, home, output: () => out, exited };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e41-'));
    cloud = await startBroker(join(dir, 'cloud'), ['--auth.allowAnonymous', 'false', '--claims.pendingRetrySeconds', '1']);
    api = `http://127.0.0.1:${cloud.apiPort}`;
    token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
  });
  after(async () => {
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${FLEET_SIZE} simulated gateways register with one claim and connect; the next one is over the count`, async () => {
    const claim = await createClaim(['--uses', String(FLEET_SIZE), '--ttl', '1h', '--group', 'north', '--tag', 'batch=dec']);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', FLEET, api, `mqtt://127.0.0.1:${cloud.port}`, claim.token, join(dir, 'fleet'), String(FLEET_SIZE), 'sim-'], { timeout: 180_000, maxBuffer: 16 * 1024 * 1024 });
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    const summary = lines.at(-1);
    assert.deepEqual({ registered: summary.registered, connected: summary.connected }, { registered: FLEET_SIZE, connected: FLEET_SIZE }, stdout.slice(0, 2000));
    console.log(`      (${FLEET_SIZE} registrations and first connects in ${summary.ms} ms on a shared, loaded machine)`);
    // each stored its secret privately, under the id from its serial file
    const first = lines.find((l) => l.i === 0);
    assert.equal(first.id, 'sim-0000');
    const cred = join(dir, 'fleet', 'sim-0', 'credentials.json');
    assert.equal(statSync(cred).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(cred, 'utf8')).id, 'sim-0000');
    // the registry has them, with the claim's groups and tags
    const north = (await call('GET', '/v1/devices?group=north')).devices;
    assert.equal(north.length, FLEET_SIZE);
    assert.deepEqual(north[0].tags, { batch: 'dec', claim: claim.id });
    const listed = (await call('GET', '/v1/claims')).claims.find((c: any) => c.id === claim.id);
    assert.equal(listed.uses, FLEET_SIZE);
    assert.equal(listed.secretSha256, undefined, 'the claim secret hash is never shown');

    // one more gateway: a real agent, over the use count → exit 78, says why
    const over = edge('gw-over', claim.token);
    assert.equal(await over.exited, 78);
    assert.match(over.output(), /CLAIM_EXHAUSTED/);
    assert.equal((await fetch(`${api}/v1/devices/gw-over`, { headers: { authorization: `Bearer ${token}` } })).status, 404);
  });

  it('real agents register on first boot and come online; after a restart they use the stored secret, not the claim', async () => {
    const claim = await createClaim(['--uses', '2', '--ttl', '10m']);
    const a = edge('gw-real-1', claim.token);
    const b = edge('gw-real-2', claim.token);
    try {
      for (const id of ['gw-real-1', 'gw-real-2']) await waitFor(`${id} online`, 60_000, async () => ((await call('GET', `/v1/devices/${id}`)).online ? true : undefined), { detail: () => a.output().slice(-1500) + b.output().slice(-1500) });
      assert.equal(statSync(join(a.home, 'credentials.json')).mode & 0o777, 0o600);
      const secret = JSON.parse(readFileSync(join(a.home, 'credentials.json'), 'utf8')).secret as string;
      assert.doesNotMatch(a.output(), new RegExp(secret), 'the secret is never logged');
      assert.doesNotMatch(a.output(), new RegExp(claim.token.split('.')[1]!), 'nor the claim token');
      a.p.kill('SIGTERM');
      assert.equal(await a.exited, 0);
      // the claim is used up now; a restart registers nothing and connects with the stored secret
      const again = edge('gw-real-1', claim.token);
      try {
        await waitFor('gw-real-1 online again', 60_000, async () => ((await call('GET', '/v1/devices/gw-real-1')).online ? true : undefined));
        assert.doesNotMatch(again.output(), /registered by claim/);
      } finally {
        again.p.kill('SIGTERM');
        await again.exited;
      }
    } finally {
      b.p.kill('SIGTERM');
      await b.exited;
    }
  });

  it('an expired claim and a revoked one register nobody: exit 78 naming the reason', async () => {
    const expired = await createClaim(['--ttl', '1s']);
    await new Promise((r) => setTimeout(r, 1500));
    const e = edge('gw-late', expired.token);
    assert.equal(await e.exited, 78);
    assert.match(e.output(), /CLAIM_EXPIRED/);
    const revoked = await createClaim(['--uses', '5']);
    assert.equal((await cli(['claims', 'revoke', revoked.id])).code, 0);
    const r = edge('gw-revoked', revoked.token);
    assert.equal(await r.exited, 78);
    assert.match(r.output(), /CLAIM_REVOKED/);
    const wrong = edge('gw-wrong', `${revoked.token.split('.')[0]}.${'x'.repeat(43)}`);
    assert.equal(await wrong.exited, 78);
    assert.match(wrong.output(), /CLAIM_INVALID/);
    for (const id of ['gw-late', 'gw-revoked', 'gw-wrong']) assert.equal((await fetch(`${api}/v1/devices/${id}`, { headers: { authorization: `Bearer ${token}` } })).status, 404);
    const list = await cli(['claims', 'list']);
    assert.match(list.stdout, new RegExp(`${expired.id}\\s+expired`));
    assert.match(list.stdout, new RegExp(`${revoked.id}\\s+revoked`));
  });

  it('a claim with approval: agents wait until an operator approves (online) or rejects (exit 78, the reason); revoking blocks the waiting ones', async () => {
    const claim = await createClaim(['--uses', '3', '--approval', '--group', 'south']);
    const pending = async (): Promise<string[]> => {
      const r = await cli(['claims', 'pending', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as Array<{ gateway: string }>).map((g) => g.gateway).sort();
    };
    const a = edge('gw-appr-1', claim.token);
    const b = edge('gw-appr-2', claim.token);
    const c = edge('gw-appr-3', claim.token);
    try {
      await waitFor('three requests pending', 60_000, async () => ((await pending()).length === 3 ? true : undefined), { detail: () => a.output().slice(-800) });
      assert.deepEqual(await pending(), ['gw-appr-1', 'gw-appr-2', 'gw-appr-3']);
      const table = await cli(['claims', 'pending']);
      assert.match(table.stdout, /GATEWAY\s+STATE\s+CLAIM/);
      assert.match(table.stdout, new RegExp(`gw-appr-1\\s+pending\\s+${claim.id}`));
      // they keep asking (every ~1 s) without taking more uses, and none is registered yet
      await waitFor('gw-appr-1 asked a few times', 30_000, async () => (/still waiting|waiting for an operator/.test(a.output()) ? true : undefined));
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(a.p.exitCode, null, 'a waiting agent keeps running');
      assert.equal((await call('GET', '/v1/claims')).claims.find((x: any) => x.id === claim.id).uses, 3);
      assert.equal((await fetch(`${api}/v1/devices/gw-appr-1`, { headers: { authorization: `Bearer ${token}` } })).status, 404);
      assert.match(a.output(), /registration waiting for an operator's approval/);

      const ok = await cli(['claims', 'approve', 'gw-appr-1']);
      assert.equal(ok.code, 0, ok.stderr);
      await waitFor('gw-appr-1 online', 60_000, async () => ((await call('GET', '/v1/devices/gw-appr-1')).online ? true : undefined), { detail: () => a.output().slice(-1500) });
      assert.deepEqual((await call('GET', '/v1/devices/gw-appr-1')).groups, ['south']);
      assert.equal(statSync(join(a.home, 'credentials.json')).mode & 0o777, 0o600);
      const secret = JSON.parse(readFileSync(join(a.home, 'credentials.json'), 'utf8')).secret as string;
      assert.doesNotMatch(a.output(), new RegExp(secret), 'the secret is never logged');

      const no = await cli(['claims', 'reject', 'gw-appr-2', '--reason', 'not in the inventory']);
      assert.equal(no.code, 0, no.stderr);
      assert.equal(await b.exited, 78);
      assert.match(b.output(), /CLAIM_REJECTED/);
      assert.match(b.output(), /not in the inventory/);

      assert.equal((await cli(['claims', 'revoke', claim.id])).code, 0);
      assert.equal(await c.exited, 78);
      assert.match(c.output(), /CLAIM_REVOKED/);
      const late = await cli(['claims', 'approve', 'gw-appr-3']);
      assert.notEqual(late.code, 0, 'a revoked claim\'s request cannot be approved');
      assert.match(late.stderr, /revoked/);
      for (const id of ['gw-appr-2', 'gw-appr-3']) assert.equal((await fetch(`${api}/v1/devices/${id}`, { headers: { authorization: `Bearer ${token}` } })).status, 404);
      assert.deepEqual(await pending(), []);
      const all = await cli(['claims', 'pending', '--all', '-o', 'json']);
      assert.deepEqual(JSON.parse(all.stdout).map((g: any) => [g.gateway, g.state, g.reason ?? null]).sort(), [['gw-appr-1', 'approved', null], ['gw-appr-2', 'rejected', 'not in the inventory'], ['gw-appr-3', 'rejected', 'claim revoked']]);
    } finally {
      for (const p of [a, b, c]) if (p.p.exitCode === null) p.p.kill('SIGTERM');
      await Promise.all([a.exited, b.exited, c.exited]);
    }
  });
});
