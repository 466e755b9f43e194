import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configTable, replaceBlock } from '../../src/config/config-table.js';
import { renderReadme } from '../../../.ci/gen-config-docs.js';

describe('README config tables', () => {
  it('are generated from the schemas and up to date (run `npm run docs:config` if this fails)', () => {
    const readme = readFileSync('README.md', 'utf8');
    assert.equal(renderReadme(readme), readme);
  });

  it('render secrets without their default and escape pipes', () => {
    const t = configTable({ a: { b: { doc: 'x | y', format: String, default: 'hunter2', sensitive: true } } });
    assert.match(t, /\| `a\.b` \| `CAUSEWAY_A_B` \| \*\(secret\)\* \| x \\\| y \|/);
    assert.ok(!t.includes('hunter2'));
    assert.throws(() => replaceBlock('no markers', 'edge', t), /no <!-- config:edge -->/);
  });
});
