import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteControlStore } from '../../src/control/sqlite-control-store.js';
import { describeControlStoreContract } from './control-store-contract.js';

describe('cloud/control/sqlite-control-store', () => {
  describeControlStoreContract('sqlite (control.db)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'causeway-control-'));
    const file = join(dir, 'control.db');
    return {
      store: openSqliteControlStore(file),
      // a second connection to the same file, as a restarted node would open it
      peer: async () => openSqliteControlStore(file),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }, { shared: false });
});
