import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteArtifactStore } from '../../src/files/sqlite-artifact-store.js';
import { describeArtifactStoreContract } from './artifact-store-contract.js';

describe('cloud/files/sqlite-artifact-store', () => {
  describeArtifactStoreContract('sqlite (artifacts.db + blobs/)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'causeway-artifacts-'));
    return {
      store: new SqliteArtifactStore(dir),
      // the same directory opened again, as a restarted node would
      peer: async () => new SqliteArtifactStore(dir),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  });
});
