import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finishCertInstall, installKeyAndCert } from '../../src/app/cert-files.js';

describe('edge/app/cert-files: the key and certificate change together (issue 20, renewal)', () => {
  let dir: string;
  let key: string;
  let cert: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-certfiles-'));
    key = join(dir, 'gateway-key.pem');
    cert = join(dir, 'gateway-cert.pem');
    writeFileSync(key, 'old key', { mode: 0o600 });
    writeFileSync(cert, 'old cert', { mode: 0o600 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('installs both, mode 0600, leaving nothing staged', () => {
    installKeyAndCert(key, cert, 'new key', 'new cert');
    assert.deepEqual([readFileSync(key, 'utf8'), readFileSync(cert, 'utf8')], ['new key', 'new cert']);
    for (const f of [key, cert]) assert.equal(statSync(f).mode & 0o777, 0o600);
    for (const f of [`${key}.new`, `${cert}.new`, `${key}.new.tmp`, `${cert}.new.tmp`]) assert.equal(existsSync(f), false, f);
    assert.equal(finishCertInstall(key, cert), 'none');
  });

  // Each crash point of installKeyAndCert, as the files it leaves, and what the next start makes of them.
  const CRASHES: Array<[string, Record<string, string>, 'installed' | 'dropped' | 'none', [string, string]]> = [
    ['while staging the certificate: the old pair stays', { 'gateway-key.pem.new': 'new key', 'gateway-cert.pem.new.tmp': 'new c' }, 'dropped', ['old key', 'old cert']],
    ['with both staged: both installed', { 'gateway-key.pem.new': 'new key', 'gateway-cert.pem.new': 'new cert' }, 'installed', ['new key', 'new cert']],
    ['between the two renames: the certificate follows the key', { 'gateway-key.pem': 'new key', 'gateway-cert.pem.new': 'new cert' }, 'installed', ['new key', 'new cert']],
  ];
  for (const [when, files, done, pair] of CRASHES) {
    it(`a crash ${when}`, () => {
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
      assert.equal(finishCertInstall(key, cert), done);
      assert.deepEqual([readFileSync(key, 'utf8'), readFileSync(cert, 'utf8')], pair);
      assert.equal(existsSync(`${key}.new`) || existsSync(`${cert}.new`), false);
    });
  }
});
