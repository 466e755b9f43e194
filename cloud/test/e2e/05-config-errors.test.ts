import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir, tempDir } from './fixtures/broker-process.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('e2e 05: causeway-cloud refuses a bad config with exit 78 @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = tempDir('e2e05');
  });
  after(() => removeDir(dir));

  const cases: Array<{ name: string; args: string[]; key: string }> = [
    { name: 'a port out of range', args: ['--mqtt.port', '70000'], key: 'mqtt.port' },
    { name: 'an unknown store backend', args: ['--store.backend', 'floppy'], key: 'store.backend' },
    { name: 'an unknown option', args: ['--mqtt.prot', '1883'], key: 'mqtt.prot' },
    { name: 'TLS without a certificate', args: ['--mqtt.port', '0', '--mqtt.tls.port', '0'], key: 'mqtt.tls.cert' },
    { name: 'an API header timeout above the request timeout', args: ['--mqtt.port', '0', '--api.port', '0', '--api.headersTimeoutMs', '5000', '--api.requestTimeoutMs', '1000'], key: 'api.headersTimeoutMs' },
    { name: 'a claims CA certificate without its key', args: ['--mqtt.port', '0', '--claims.caCert', '/etc/hostname'], key: 'claims.caKey' },
    { name: 'a claims CA certificate that cannot be read', args: ['--mqtt.port', '0', '--api.port', '0', '--claims.caCert', '/nonexistent/ca.pem', '--claims.caKey', '/nonexistent/ca.key'], key: 'claims.caCert' },
    { name: 'a certificate validity past ten years', args: ['--mqtt.port', '0', '--claims.certValidityDays', '4000'], key: 'claims.certValidityDays' },
  ];
  for (const c of cases) {
    it(`${c.name}: exit 78 and a message naming ${c.key}`, () => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'cloud/src/main.ts', '--store.path', dir, ...c.args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 78, `exit ${r.status}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(c.key.replace(/\./g, '\\.')));
    });
  }

  it('a config file with a __proto__ key: exit 78 naming the key path (issue 23 item 2)', () => {
    const file = join(dir, 'proto.json');
    writeFileSync(file, '{"mqtt":{"__proto__":{"polluted":1}}}');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'cloud/src/main.ts', '--store.path', dir, '--config', file], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 78, `exit ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, /mqtt\.__proto__/);
  });
});
