import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seaAssets, unpackBanner } from '../../package/sea-assets.js';

const realRequire = createRequire(import.meta.url);

/** Runs the banner as the bundle would, with `node:sea` answered by `sea` and the executable at `exe`. */
function runBanner(keys: string[], exe: string, sea: { isSea(): boolean; getAsset(k: string): ArrayBuffer }): void {
  const req = (id: string): unknown => (id === 'node:sea' ? sea : realRequire(id));
  new Function('require', 'process', unpackBanner(keys))(req, { execPath: exe, pid: 4242 });
}

const bytes = (s: string): ArrayBuffer => new TextEncoder().encode(s).buffer as ArrayBuffer;

describe('package sea-assets: what the single executable carries and unpacks beside itself', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sea-assets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('seaAssets keys the addons under native/ by their shipped names, and package.json', () => {
    assert.deepEqual(seaAssets([{ name: 'sqlite', from: '/a/b.node' }, { name: 'serialport', from: '/c/d.node' }], '/w/package.json'), {
      'native/better_sqlite3.node': '/a/b.node',
      'native/serialport_bindings.node': '/c/d.node',
      'package.json': '/w/package.json',
    });
  });

  const keys = ['native/better_sqlite3.node', 'package.json'];
  const sea = { isSea: () => true, getAsset: (k: string) => bytes(`asset ${k}`) };

  it('writes each missing asset beside the executable, and no temp file is left', () => {
    runBanner(keys, join(dir, 'causeway-edge'), sea);
    assert.equal(readFileSync(join(dir, 'native', 'better_sqlite3.node'), 'utf8'), 'asset native/better_sqlite3.node');
    assert.equal(readFileSync(join(dir, 'package.json'), 'utf8'), 'asset package.json');
    assert.deepEqual(readdirSync(join(dir, 'native')), ['better_sqlite3.node']);
    assert.deepEqual(readdirSync(dir).sort(), ['native', 'package.json']);
  });

  it('leaves a file that is already there as it is (a packaged folder ships them)', () => {
    writeFileSync(join(dir, 'package.json'), 'shipped');
    runBanner(keys, join(dir, 'causeway-edge'), sea);
    assert.equal(readFileSync(join(dir, 'package.json'), 'utf8'), 'shipped');
    assert.ok(existsSync(join(dir, 'native', 'better_sqlite3.node')));
  });

  it('does nothing outside a SEA (the bundle run by plain node)', () => {
    runBanner(keys, join(dir, 'causeway-edge'), { isSea: () => false, getAsset: () => assert.fail('no asset read outside a SEA') });
    assert.deepEqual(readdirSync(dir), []);
  });

  it('an asset it cannot write (native is a file, not a folder) is skipped: it starts anyway, the others are written, no temp file left', () => {
    writeFileSync(join(dir, 'native'), 'not a folder');
    assert.doesNotThrow(() => runBanner(keys, join(dir, 'causeway-edge'), sea));
    assert.equal(readFileSync(join(dir, 'native'), 'utf8'), 'not a folder');
    assert.equal(readFileSync(join(dir, 'package.json'), 'utf8'), 'asset package.json');
    assert.deepEqual(readdirSync(dir).sort(), ['native', 'package.json']);
  });
});
