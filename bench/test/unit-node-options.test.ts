import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { unitNodeOptions } from '../lib/unit-node-options.js';

describe('unitNodeOptions: the Node flags a systemd unit sets', () => {
  it('reads a quoted NODE_OPTIONS with several flags', () => {
    assert.deepEqual(unitNodeOptions('[Service]\nEnvironment=NODE_ENV=production\nEnvironment="NODE_OPTIONS=--max-semi-space-size=1 --max-old-space-size=128"\n'), ['--max-semi-space-size=1', '--max-old-space-size=128']);
  });

  it('reads NODE_OPTIONS among other assignments on one line, unquoted or quoted', () => {
    assert.deepEqual(unitNodeOptions('Environment=A=1 NODE_OPTIONS=--x "B=two words"\n'), ['--x']);
    assert.deepEqual(unitNodeOptions("Environment='NODE_OPTIONS=--a  --b' C=3\n"), ['--a', '--b']);
  });

  it('takes the last assignment, and an empty Environment= resets it', () => {
    assert.deepEqual(unitNodeOptions('Environment=NODE_OPTIONS=--a\nEnvironment=NODE_OPTIONS=--b\n'), ['--b']);
    assert.deepEqual(unitNodeOptions('Environment=NODE_OPTIONS=--a\nEnvironment=\n'), []);
  });

  it('is empty without NODE_OPTIONS, and ignores commented lines and look-alike names', () => {
    assert.deepEqual(unitNodeOptions('Environment=NODE_ENV=production\n# Environment=NODE_OPTIONS=--a\nEnvironment=MY_NODE_OPTIONS=--b\n'), []);
  });

  it('refuses an unterminated quote', () => {
    assert.throws(() => unitNodeOptions('Environment="NODE_OPTIONS=--a\n'), /unterminated/);
  });

  it('the units this repository ships: the cloud sizes its young generation, the edge caps both generations', () => {
    assert.deepEqual(unitNodeOptions(readFileSync(new URL('../../systemd/causeway-cloud.service', import.meta.url), 'utf8')), ['--max-semi-space-size=8']);
    assert.deepEqual(unitNodeOptions(readFileSync(new URL('../../systemd/causeway-edge.service', import.meta.url), 'utf8')), ['--max-semi-space-size=1', '--max-old-space-size=128']);
  });
});
