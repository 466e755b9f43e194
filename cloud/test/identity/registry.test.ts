import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryRegistry } from '../../src/identity/registry/memory-registry.js';
import { SqliteRegistry } from '../../src/identity/registry/sqlite-registry.js';
import { describeRegistryContract } from './registry-contract.js';

describeRegistryContract('memory', async () => ({ registry: new MemoryRegistry(), cleanup: async () => {} }));

describeRegistryContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-registry-'));
  const file = join(dir, 'registry.db');
  return {
    registry: new SqliteRegistry(file),
    reopen: async () => new SqliteRegistry(file),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
