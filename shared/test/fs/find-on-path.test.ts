import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { findOnPath } from '../../src/fs/find-on-path.js';

describe('shared fs: findOnPath', () => {
  let a: string;
  let b: string;
  before(() => {
    a = mkdtempSync(join(tmpdir(), 'cw-path-a-'));
    b = mkdtempSync(join(tmpdir(), 'cw-path-b-'));
    writeFileSync(join(a, 'tool'), 'not executable');
    chmodSync(join(a, 'tool'), 0o644);
    writeFileSync(join(b, 'tool'), '#!/bin/sh\n');
    chmodSync(join(b, 'tool'), 0o755);
  });
  after(() => {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  });

  it('finds the first executable one, skipping empty entries and files that cannot run', () => {
    assert.equal(findOnPath('tool', ['', a, b].join(delimiter)), join(b, 'tool'));
  });

  it('is undefined when no directory has it, or there is no PATH', () => {
    assert.equal(findOnPath('tool', a), undefined);
    assert.equal(findOnPath('tool', undefined), undefined);
  });
});
