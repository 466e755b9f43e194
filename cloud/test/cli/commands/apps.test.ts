import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startApi, type ApiFixture } from '../../api/fixtures/api-fixture.js';

const run = promisify(execFile);

describe('causeway apps against a real API server', () => {
  let api: ApiFixture;
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', api.base, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: api.token }, timeout: 20_000 });
  before(async () => {
    api = await startApi();
  });
  after(() => api.close());

  it('adds an app and prints its token once, lists it, and revokes it', async function () {
    this.timeout(60_000);
    const added = await cli(['apps', 'add', 'billing', '--read', 'telemetry,events', '--publish', 'alerts/billing/#']);
    const token = /token \(shown once, store it now\): (\S+)/.exec(added.stdout)?.[1];
    assert.match(token ?? '', /^cwa_billing\./);
    // the token works for the app's queue, and only there
    assert.equal((await api.call('GET', '/v1/queues/events/groups/b', undefined, token)).status, 200);
    assert.equal((await api.call('GET', '/v1/devices', undefined, token)).status, 403);
    const listed = await cli(['apps', 'list']);
    assert.match(listed.stdout, /billing\s+telemetry,events\s+alerts\/billing\/#\s+true/);
    assert.equal(listed.stdout.includes(token!), false);
    assert.match((await cli(['apps', 'revoke', 'billing'])).stdout, /revoked billing/);
    assert.equal((await api.call('GET', '/v1/queues/events/groups/b', undefined, token)).status, 401);
  });
});
