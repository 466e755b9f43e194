import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OpenStoreOptions, openStore } from '../../src/store/open-store.js';
import { SQLITE_FILE_NAME, StoreError } from '@causeway/broker';
import { makeMessage } from '../../../broker/test/store/store-contract.js';

describe('openStore', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'causeway-open-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('opens the sqlite backend in the data directory, creating it; data survives reopening', async () => {
    const path = join(dir, 'data', 'nested');
    const a = await openStore({ backend: 'sqlite', path });
    await a.log.append(makeMessage('a', 'kept'), ['q:a']);
    await a.close();
    assert.ok(existsSync(join(path, SQLITE_FILE_NAME)));
    const b = await openStore({ backend: 'sqlite', path });
    assert.equal((await b.log.read('q:a', 1, 1))[0]?.message.payload.toString(), 'kept');
    await b.close();
  });

  it('opens a memory backend that starts empty every time', async () => {
    const a = await openStore({ backend: 'memory' });
    await a.log.append(makeMessage('a', 'gone'), ['q:a']);
    await a.close();
    const b = await openStore({ backend: 'memory', path: dir });
    assert.equal((await b.log.stats()).messages, 0);
    await b.close();
  });

  const bad: { name: string; options: OpenStoreOptions }[] = [
    { name: 'sqlite without a path', options: { backend: 'sqlite' } },
    { name: 'sqlite with an empty path', options: { backend: 'sqlite', path: '' } },
    { name: 'an unknown backend', options: { backend: 'jetstream' as 'memory' } },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} with STORE_INVALID`, async () => {
      await assert.rejects(openStore(c.options), (err: unknown) => err instanceof StoreError && err.code === 'STORE_INVALID');
    });
  }

  it('reports a data directory that is a file as STORE_IO', async () => {
    const dataDir = join(dir, 'io');
    const s = await openStore({ backend: 'sqlite', path: dataDir });
    await s.close();
    // the database file itself given as the data directory
    await assert.rejects(openStore({ backend: 'sqlite', path: join(dataDir, SQLITE_FILE_NAME) }), (err: unknown) => err instanceof StoreError && err.code === 'STORE_IO');
  });
});
