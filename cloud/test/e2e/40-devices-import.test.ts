import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { apiCall, removeDir, startBroker, tempDir, type BrokerProcess } from './fixtures/broker-process.js';

const run = promisify(execFile);

/**
 * Issue 20, onboarding at fleet scale: `causeway devices import fleet.csv` against a real causeway-cloud.
 * Every bad row is reported with its line and nothing is written; a good file imports all at once, the
 * secrets go to a 0600 file and never to the terminal; re-running changes nothing; an imported gateway
 * connects with the secret from the file.
 */
describe('cloud e2e 40-devices-import: bulk onboarding from a CSV file @e2e', function () {
  this.timeout(120_000);
  let dir: string;
  let cloud: BrokerProcess;
  let api: string;
  let token: string;
  const cli = (args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', api, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: token }, timeout: 60_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const ids = async (): Promise<string[]> => (await apiCall(api, token, 'GET', '/v1/devices')).devices.map((d: any) => d.id);

  before(async () => {
    dir = tempDir('e2e40');
    cloud = await startBroker(join(dir, 'cloud'), ['--auth.allowAnonymous', 'false']);
    api = `http://127.0.0.1:${cloud.apiPort}`;
    token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
    await apiCall(api, token, 'POST', '/v1/devices', { id: 'gw-existing', groups: ['south'] });
  });
  after(async () => {
    await cloud?.stop();
    removeDir(dir);
  });

  it('reports every bad row with its line and imports nothing', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, ['id,kind,groups,tags,gateway', 'gw-a,,north,,', 'gw/b,,,,', 'gw-c,robot,,,', 'gw-a,,,,', 'gw-existing,,north,,', 'gw-d,,,site,', 'gw-e,,,,'].join('\n'));
    const r = await cli(['devices', 'import', file]);
    assert.equal(r.code, 65, r.stderr);
    assert.match(r.stderr, /5 bad rows; nothing was imported/);
    for (const line of [3, 4, 5, 6, 7]) assert.match(r.stderr, new RegExp(`line ${line}\\b`));
    assert.match(r.stderr, /line 5 \(gw-a\): id gw-a is also on line 2/);
    assert.match(r.stderr, /line 6 \(gw-existing\): gw-existing exists as a gateway with other groups/);
    assert.match(r.stderr, /line 7: tag "site" is not key=value/);
    assert.deepEqual(await ids(), ['gw-existing']);
    assert.equal(existsSync(`${file}.secrets.csv`), false, 'no secrets file for a refused import');
  });

  it('imports all rows at once, secrets only in a 0600 file; re-running changes nothing; a gateway connects with its secret', async () => {
    const file = join(dir, 'fleet.csv');
    const rows = Array.from({ length: 300 }, (_, i) => `gw-${String(i).padStart(3, '0')},gateway,north;rsu,site=s${i % 7},`);
    writeFileSync(file, ['id,kind,groups,tags,gateway', ...rows, 'th-1,device,,,gw-000', 'gw-existing,,south,,'].join('\n') + '\n');
    const dry = await cli(['devices', 'import', file, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /dry run: 301 to create, 1 unchanged/);
    assert.deepEqual(await ids(), ['gw-existing']);

    const t0 = Date.now();
    const r = await cli(['devices', 'import', file]);
    const ms = Date.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    console.log(`      (301 imported in ${ms} ms through the CLI, auth.kdfLogN 14, on a shared, loaded machine)`);
    assert.match(r.stdout, /imported 301, unchanged 1; secrets in .*fleet\.csv\.secrets\.csv \(mode 0600\)/);
    const out = `${file}.secrets.csv`;
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const secrets = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(secrets[0], 'id,kind,secret');
    assert.equal(secrets.length, 302);
    const [, , secret] = secrets.find((l) => l.startsWith('gw-123,'))!.split(',');
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(secret!), 'no secret on the terminal');
    assert.equal((await ids()).length, 302);
    const gw = await apiCall(api, token, 'GET', '/v1/devices/gw-123');
    assert.deepEqual([gw.groups, gw.tags], [['north', 'rsu'], { site: 's4' }]);

    // the secrets file is never overwritten; with another name, a re-run changes nothing
    const again = await cli(['devices', 'import', file]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /exists; move it away or pass --secrets NEWFILE/);
    const rerun = await cli(['devices', 'import', file, '--secrets', join(dir, 'rerun.csv')]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /imported 0, unchanged 302/);
    assert.equal(readFileSync(join(dir, 'rerun.csv'), 'utf8'), 'id,kind,secret\n');

    const connected = await new Promise<boolean>((resolve) => {
      const c = mqtt.connect(`mqtt://127.0.0.1:${cloud.port}`, { clientId: 'gw-123', username: 'gw-123', password: secret!, reconnectPeriod: 0 });
      c.once('connect', () => c.end(true, {}, () => resolve(true)));
      c.once('error', () => c.end(true, {}, () => resolve(false)));
    });
    assert.ok(connected, 'the imported gateway connects with the secret from the file');
  });

  it('POST /v1/devices:batch answers 400 BATCH_INVALID with every bad row', async () => {
    const res = await fetch(`${api}/v1/devices:batch`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ devices: [{ id: 'ok-1' }, { id: '' }, { id: 'x', kind: 'app' }] }) });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; details: { rows: Array<{ line: number }> } } };
    assert.equal(body.error.code, 'BATCH_INVALID');
    assert.deepEqual(body.error.details.rows.map((r) => r.line), [2, 3]);
    assert.equal((await ids()).includes('ok-1'), false);
  });
});
