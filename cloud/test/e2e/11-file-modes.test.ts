import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { apiCall, removeDir, startBroker, tempDir, type BrokerProcess } from './fixtures/broker-process.js';

/**
 * Issue 23 item 14: the real causeway-cloud, started under umask 022, creates its data directory and every
 * file holding secrets or data owner-only (registry.db holds scrypt hashes, the token files the keys).
 */
describe('e2e 11: data files are owner-only under umask 022 @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  let broker: BrokerProcess;
  let umask: number;
  const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

  before(async () => {
    umask = process.umask(0o022); // inherited by the child
    dir = tempDir('file-modes');
    broker = await startBroker(join(dir, 'store', 'cloud'), ['--auth.allowAnonymous', 'false']);
    const token = readFileSync(join(dir, 'store', 'cloud', 'operator-token'), 'utf8').trim();
    // writes to the registry and the control database, so their WAL files exist
    await apiCall(`http://127.0.0.1:${broker.apiPort}`, token, 'POST', '/v1/devices', { id: 'gw1' });
  });
  after(async () => {
    process.umask(umask);
    await broker?.stop();
    removeDir(dir);
  });

  it('creates the store directory 0700', () => {
    assert.equal(mode(join(dir, 'store')), '700');
    assert.equal(mode(join(dir, 'store', 'cloud')), '700');
  });

  for (const name of ['causeway-cloud.db', 'registry.db', 'control.db', 'operator-token', 'token-key']) {
    it(`creates ${name} (and its -wal/-shm) 0600`, () => {
      const file = join(dir, 'store', 'cloud', name);
      assert.equal(mode(file), '600');
      for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) assert.equal(mode(file + suffix), '600', name + suffix);
    });
  }

  it('the WAL of the registry, which holds the new secret hash, is owner-only too', () => {
    assert.ok(existsSync(join(dir, 'store', 'cloud', 'registry.db-wal')));
    assert.equal(mode(join(dir, 'store', 'cloud', 'registry.db-wal')), '600');
  });
});
