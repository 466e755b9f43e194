import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { checkDiskSpace, safePath } from '../../src/files/install-guard.js';

describe('edge/files/install-guard', () => {
  const root = '/var/lib/causeway-edge/files';
  const CASES: Array<[string, string | undefined]> = [
    ['maps/north.bin', join(root, 'maps/north.bin')],
    ['a/../b.bin', join(root, 'b.bin')],
    ['../escape', undefined],
    ['maps/../../escape', undefined],
    ['/etc/passwd', undefined],
    ['', undefined],
    ['.', undefined],
    ['a\0b', undefined],
    ['a\\..\\b', undefined],
    ['.partial/x', undefined],
  ];
  for (const [rel, want] of CASES) {
    it(`${JSON.stringify(rel)} → ${want ?? 'FILE_PATH_ESCAPE'}`, () => {
      if (want === undefined) assert.throws(() => safePath(root, rel), { code: 'FILE_PATH_ESCAPE' });
      else assert.equal(safePath(root, rel), resolve(want));
    });
  }

  it('fails a download the disk cannot hold with its reserve', () => {
    assert.doesNotThrow(() => checkDiskSpace('.', 1, 0));
    assert.throws(() => checkDiskSpace('.', 1, 1e18), { code: 'FILE_DISK_FULL', message: /files.minFreeBytes/ });
  });
});
