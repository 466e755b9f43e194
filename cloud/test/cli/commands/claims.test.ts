import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { openSqliteControlStore } from '../../../src/control/sqlite-control-store.js';
import type { ControlStore } from '../../../src/control/control-store.js';
import { startApi, type ApiFixture } from '../../api/fixtures/api-fixture.js';

const run = promisify(execFile);

describe('causeway claims against a real API server (issue 20)', () => {
  let api: ApiFixture;
  let control: ControlStore;
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', api.base, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: api.token }, timeout: 30_000 });
  before(async () => {
    control = openSqliteControlStore(':memory:');
    api = await startApi({ claims: control.claims, registrations: control.registrations, fleet: control.fleet, kdfLogN: 10 });
  });
  after(async () => {
    await api.close();
    await control.close();
  });

  it('list shows which claims require approval, in the table and in JSON (a claim stored before the approval queue reads as no)', async function () {
    this.timeout(90_000);
    const id = (out: string): string => JSON.parse(out).claim.id as string;
    const withApproval = id((await cli(['claims', 'create', '--approval', '-o', 'json'])).stdout);
    const without = id((await cli(['claims', 'create', '-o', 'json'])).stdout);
    // A claim as stored before `approval` existed: the field is absent.
    const now = Date.now();
    await control.claims.create({ id: 'legacy-claim-1', secretSha256: '0'.repeat(64), createdAt: now, expiresAt: now + 3_600_000, maxUses: 1, uses: 0, recent: [], groups: [], tags: {}, revoked: false });

    const table = (await cli(['claims', 'list'])).stdout;
    assert.match(table.split('\n')[0]!, /ID\s+STATE\s+USES\s+APPROVAL\s+EXPIRES/);
    assert.match(table, new RegExp(`${withApproval}\\s+active\\s+0/1\\s+required\\s`));
    assert.match(table, new RegExp(`${without}\\s+active\\s+0/1\\s+no\\s`));
    assert.match(table, /legacy-claim-1\s+active\s+0\/1\s+no\s/);

    const json = JSON.parse((await cli(['claims', 'list', '-o', 'json'])).stdout) as Array<{ id: string; approval: unknown; secretSha256?: unknown }>;
    const byId = new Map(json.map((c) => [c.id, c]));
    assert.deepEqual([byId.get(withApproval)?.approval, byId.get(without)?.approval, byId.get('legacy-claim-1')?.approval], [true, false, false]);
    assert.ok(json.every((c) => c.secretSha256 === undefined), 'never the hash of a secret');
  });

  it('pending shows whether each request asked for a certificate (a CSR), in the table and in JSON', async function () {
    this.timeout(90_000);
    const now = Date.now();
    const request = (gateway: string, csr?: string) => control.registrations.create({ gateway, claimId: 'legacy-claim-1', state: 'pending', requestedAt: now + (csr === undefined ? 0 : 1), source: '127.0.0.1', secretSha256: '1'.repeat(64), secretHash: 'not-a-real-hash', ...(csr === undefined ? {} : { csr }), groups: [], tags: {} });
    assert.equal(await request('gw-with-secret'), true);
    assert.equal(await request('gw-with-csr', '-----BEGIN CERTIFICATE REQUEST-----\nnot checked here\n-----END CERTIFICATE REQUEST-----\n'), true);

    const table = (await cli(['claims', 'pending'])).stdout;
    assert.match(table.split('\n')[0]!, /GATEWAY\s+STATE\s+CLAIM\s+CERTIFICATE\s+REQUESTED/);
    assert.match(table, /gw-with-secret\s+pending\s+legacy-claim-1\s+no\s/);
    assert.match(table, /gw-with-csr\s+pending\s+legacy-claim-1\s+yes\s/);
    assert.doesNotMatch(table, /BEGIN CERTIFICATE REQUEST/, 'the CSR itself is not printed');

    const json = JSON.parse((await cli(['claims', 'pending', '-o', 'json'])).stdout) as Array<{ gateway: string; certificate: unknown; csr?: unknown }>;
    assert.deepEqual(json.map((g) => [g.gateway, g.certificate]), [['gw-with-secret', false], ['gw-with-csr', true]]);
    assert.ok(json.every((g) => g.csr === undefined), 'the CSR is not in the answer');
  });
});
