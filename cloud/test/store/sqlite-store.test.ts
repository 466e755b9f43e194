import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrokerStore } from '../../src/store/contract.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-store-'));
  let current: BrokerStore = openSqliteStore({ dir });
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = openSqliteStore({ dir });
      return current;
    },
    cleanup: async () => {
      await current.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
