import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO, superviseLauncher, type Supervisor } from './fixtures/launcher-supervisor.js';
import { apiCall, startBroker, type BrokerProcess, waitFor as waitForValue } from '../../../cloud/test/e2e/fixtures/broker-process.js';

const run = promisify(execFile);

/**
 * kill -9 of a self-updating agent at each step of a release install (issue 17): while VERIFYING, after
 * the copy into releases/<v>/ (before `pending`), after `pending` (before the swap of `current`), and
 * after the swap (before the exit into the new release). The agent runs through the real launcher under
 * a Restart=on-failure loop and is held at each point by CAUSEWAY_TEST_HOLD_FILE (edge/src/files/test-hold.ts).
 * After the restart every rollout ends SUCCEEDED, `current` points at the new release, whose executable
 * is the published bytes, and no staging directory, `pending` or `.partial` file is left.
 */
describe('edge e2e 35: kill -9 during a release install and swap @e2e', function () {
  this.timeout(300_000);
  let dir: string;
  let R: string;
  let cloud: BrokerProcess;
  let api: string;
  const token = 'operator-token-for-e2e-35-kill-swap';
  let supervisor: Supervisor | undefined;
  const hold = (): string => join(dir, 'hold');

  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', api, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: token }, timeout: 60_000 });
  const waitFor = <T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => waitForValue(what, ms, probe, { everyMs: 20 });
  const agentScript = (version: string): string => `#!/bin/sh\n# causeway-edge release ${version}\nexec "${process.execPath}" --import tsx "${join(REPO, 'edge/src/main.ts')}" "$@"\n`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-kill-swap-'));
    R = join(dir, 'opt');
    const keys = await run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', 'keys', 'init', '--key', join(dir, 'release-key.pem')]);
    const pub = keys.stdout.trim().split('\n').at(-1)!;
    writeFileSync(join(dir, 'cloud.json'), JSON.stringify({ files: { trustedKeys: [pub] }, api: { operatorToken: token } }));
    cloud = await startBroker(join(dir, 'cloud'), ['--config', join(dir, 'cloud.json'), '--auth.allowAnonymous', 'false']);
    api = `http://127.0.0.1:${cloud.apiPort}`;
    const secret = (await call('POST', '/v1/devices', { id: 'gw1' })).secret;
    mkdirSync(join(R, 'releases', '1.0.0'), { recursive: true });
    writeFileSync(join(R, 'releases', '1.0.0', 'causeway-edge'), agentScript('1.0.0'));
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
        update: { root: R, healthGateSeconds: 20 },
      }),
    );
    supervisor = superviseLauncher(R, ['--config', join(dir, 'gw1.json')], { CAUSEWAY_TEST_HOLD_FILE: hold() });
    await waitFor('gw1 online', 60_000, async () => ((await call('GET', '/v1/devices/gw1')).online ? true : undefined));
  });
  after(async () => {
    await supervisor?.stop();
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  let previous = '1.0.0';
  for (const [version, point] of [['2.0.0', 'verifying'], ['3.0.0', 'release-copied'], ['4.0.0', 'release-pending'], ['5.0.0', 'release-swapped']] as const) {
    it(`kill -9 at "${point}" (→ ${version}): after the restart the release is current and SUCCEEDED`, async () => {
      const script = agentScript(version);
      writeFileSync(join(dir, `release-${version}.sh`), script);
      await cli(['release', 'publish', join(dir, `release-${version}.sh`), '--name', 'causeway-edge', '--version', version, '--key', join(dir, 'release-key.pem')]);
      writeFileSync(hold(), point);
      const id = JSON.parse((await cli(['rollout', 'causeway-edge', version, '--gateway', 'gw1', '--json', '--ttl', '240'])).stdout).command.id as string;
      await waitFor(`the agent held at ${point}`, 60_000, () => (existsSync(hold()) ? undefined : true));
      await supervisor!.kill();
      // At the kill `current` names a whole release: the old one, or the new one after the swap.
      const atKill = readlinkSync(join(R, 'current'));
      assert.equal(atKill, join('releases', point === 'release-swapped' ? version : previous));
      assert.equal(readFileSync(join(R, atKill, 'causeway-edge'), 'utf8'), point === 'release-swapped' ? script : agentScript(previous));

      const t = await waitFor(`rollout of ${version} finished`, 200_000, async () => {
        const x = (await call('GET', `/v1/commands/${id}/targets`)).targets[0];
        return ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ROLLED_BACK', 'CANCELED', 'EXPIRED'].includes(x.state) ? x : undefined;
      });
      assert.equal(t.state, 'SUCCEEDED', JSON.stringify(t));
      assert.deepEqual(t.output, { name: 'causeway-edge', version, previous });
      assert.equal(readlinkSync(join(R, 'current')), join('releases', version));
      assert.equal(readFileSync(join(R, 'releases', version, 'causeway-edge'), 'utf8'), script);
      assert.deepEqual(readdirSync(join(R, 'releases')).filter((f) => f.startsWith('.')), [], 'no staging directory left');
      await waitFor('pending removed', 10_000, () => (existsSync(join(R, 'pending')) ? undefined : true));
      const partial = join(dir, 'gw1', 'files', '.partial');
      assert.deepEqual(existsSync(partial) ? readdirSync(partial) : [], [], 'no partial file left');
      previous = version;
    });
  }
});
