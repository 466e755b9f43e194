import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO, superviseLauncher, type Supervisor } from './fixtures/launcher-supervisor.js';
import { apiCall, startBroker, type BrokerProcess, waitFor as waitForValue } from '../../../cloud/test/e2e/fixtures/broker-process.js';

const run = promisify(execFile);

/**
 * Agent self-update with real processes (issue 17): the agent runs through systemd/causeway-edge-launcher
 * under a supervisor loop that restarts it when it exits non-zero (as systemd's Restart=on-failure does).
 * A good release is swapped in and reports SUCCEEDED; one that cannot reach the cloud fails its health
 * gate and the previous release is put back (ROLLED_BACK, with the reason); one that crashes at start is
 * put back by the launcher after CAUSEWAY_UPDATE_MAX_BOOTS starts; one that starts and hangs (alive, never
 * connecting, never exiting) is killed and put back by the launcher's watchdog after the gate seconds
 * plus CAUSEWAY_UPDATE_HANG_MARGIN_SECONDS.
 */
describe('edge e2e 32: agent self-update, health gate and rollback @e2e', function () {
  this.timeout(240_000);
  let dir: string;
  let R: string;
  let cloud: BrokerProcess;
  let api: string;
  const token = 'operator-token-for-e2e-32-update';
  let supervisor: Supervisor | undefined;

  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', api, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: token }, timeout: 60_000 });
  const waitFor = <T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => waitForValue(what, ms, probe, { everyMs: 200 });
  /** A release: a script that starts the agent from this checkout (a stand-in for the single executable). */
  const release = (version: string, body: string): string => {
    const f = join(dir, `release-${version}.sh`);
    writeFileSync(f, `#!/bin/sh\n# causeway-edge release ${version}\n${body}\n`);
    chmodSync(f, 0o755);
    return f;
  };
  const agentRelease = (version: string, extra = ''): string => release(version, `exec "${process.execPath}" --import tsx "${join(REPO, 'edge/src/main.ts')}" "$@"${extra}`);

  const publishRelease = async (file: string, version: string): Promise<void> => {
    await cli(['release', 'publish', file, '--name', 'causeway-edge', '--version', version, '--key', join(dir, 'release-key.pem')]);
  };
  const rolloutTo = async (version: string): Promise<any> => {
    const id = JSON.parse((await cli(['rollout', 'causeway-edge', version, '--gateway', 'gw1', '--json', '--ttl', '180'])).stdout).command.id as string;
    return waitFor(`rollout of ${version} finished`, 150_000, async () => {
      const t = (await call('GET', `/v1/commands/${id}/targets`)).targets[0];
      return ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ROLLED_BACK', 'CANCELED'].includes(t.state) ? t : undefined;
    });
  };
  const current = (): string => readlinkSync(join(R, 'current'));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-update-'));
    R = join(dir, 'opt');
    const keys = await run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', 'keys', 'init', '--key', join(dir, 'release-key.pem')]);
    const pub = keys.stdout.trim().split('\n').at(-1)!;
    writeFileSync(join(dir, 'cloud.json'), JSON.stringify({ files: { trustedKeys: [pub] }, api: { operatorToken: token } }));
    cloud = await startBroker(join(dir, 'cloud'), ['--config', join(dir, 'cloud.json'), '--auth.allowAnonymous', 'false']);
    api = `http://127.0.0.1:${cloud.apiPort}`;
    const secret = (await call('POST', '/v1/devices', { id: 'gw1' })).secret;
    // Release 1.0.0 installed by hand, as install.sh would.
    mkdirSync(join(R, 'releases', '1.0.0'), { recursive: true });
    writeFileSync(join(R, 'releases', '1.0.0', 'causeway-edge'), `#!/bin/sh\nexec "${process.execPath}" --import tsx "${join(REPO, 'edge/src/main.ts')}" "$@"\n`);
    chmodSync(join(R, 'releases', '1.0.0', 'causeway-edge'), 0o755);
    symlinkSync('releases/1.0.0', join(R, 'current'));
    mkdirSync(join(dir, 'gw1'), { recursive: true });
    writeFileSync(
      join(dir, 'gw1.json'),
      JSON.stringify({
        gateway: { id: 'gw1' },
        cloud: { url: `mqtt://127.0.0.1:${cloud.port}`, username: 'gw1', password: secret, backoffBaseMs: 100, backoffMaxMs: 500 },
        store: { path: join(dir, 'gw1', 'outbox.db') },
        files: { root: join(dir, 'gw1', 'files'), trustedKeys: [pub] },
        update: { root: R, healthGateSeconds: 8 },
      }),
    );
    // A margin that leaves the agent's own gate (8 s after its uplink starts) time to decide first even on
    // a loaded machine, so the cases above it are never decided by the watchdog.
    supervisor = superviseLauncher(R, ['--config', join(dir, 'gw1.json')], { CAUSEWAY_UPDATE_HANG_MARGIN_SECONDS: '40' });
    await waitFor('gw1 online', 60_000, async () => ((await call('GET', '/v1/devices/gw1')).online ? true : undefined));
  });
  after(async () => {
    await supervisor?.stop();
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a good release is installed side by side, swapped in, restarted into, and reports SUCCEEDED', async () => {
    await publishRelease(agentRelease('2.0.0'), '2.0.0');
    const t = await rolloutTo('2.0.0');
    assert.equal(t.state, 'SUCCEEDED', JSON.stringify(t));
    assert.deepEqual(t.output, { name: 'causeway-edge', version: '2.0.0', previous: '1.0.0' });
    assert.equal(current(), join('releases', '2.0.0'));
    assert.ok(supervisor!.exits.includes(75), `the agent exited 75 to be restarted (exits: ${supervisor!.exits.join(',')})`);
  });

  it('a release that cannot reach the cloud fails its health gate and the previous release is put back', async () => {
    await publishRelease(agentRelease('3.0.0', ' --cloud.url mqtt://127.0.0.1:1'), '3.0.0');
    const t = await rolloutTo('3.0.0');
    assert.equal(t.state, 'ROLLED_BACK', JSON.stringify(t));
    assert.match(t.reason, /release 3\.0\.0 rolled back to 2\.0\.0: it did not connect to the cloud and deliver its outbox within 8 s/);
    assert.equal(current(), join('releases', '2.0.0'));
  });

  it('a release that crashes at start is put back by the launcher after 3 starts', async () => {
    await publishRelease(release('4.0.0', 'echo "release 4 is broken" >&2\nexit 1'), '4.0.0');
    const t = await rolloutTo('4.0.0');
    assert.equal(t.state, 'ROLLED_BACK', JSON.stringify(t));
    assert.match(t.reason, /release 4\.0\.0 rolled back to 2\.0\.0: it exited 3 times before it passed its health gate/);
    assert.equal(current(), join('releases', '2.0.0'));
  });

  it('a release that starts and hangs before its gate is killed and put back by the launcher watchdog', async () => {
    // A blocked main thread: no timer of its own could fire, so only something outside the process can end it.
    await publishRelease(release('5.0.0', `exec "${process.execPath}" -e "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)"`), '5.0.0');
    const killedBefore = supervisor!.exits.filter((c) => c === null).length;
    const t = await rolloutTo('5.0.0');
    assert.equal(t.state, 'ROLLED_BACK', JSON.stringify(t));
    assert.match(t.reason, /release 5\.0\.0 rolled back to 2\.0\.0: it started but neither passed nor failed its health gate within 48 s/);
    assert.equal(current(), join('releases', '2.0.0'));
    assert.equal(supervisor!.exits.filter((c) => c === null).length, killedBefore + 1, `the hung release was killed once (exits: ${supervisor!.exits.join(',')})`);
  });
});
