import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, removeDir, tempDir } from './fixtures/broker-process.js';

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

  describe('a bad claims CA is found before anything is opened (issue 20)', () => {
    // Both ports are held by the test: a cloud that opened its store or bound a port before checking the CA
    // would fail with EADDRINUSE (or write to store.path) instead of exiting 78 on the CA.
    const held: Server[] = [];
    let mqttPort: number;
    let apiPort: number;
    const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
    before(async () => {
      ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=e2e05-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', 'ca.key', '-out', 'ca.pem');
      ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=e2e05-other', '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', 'other.key', '-out', 'other.pem');
      ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=e2e05-leaf', '-addext', 'basicConstraints=critical,CA:FALSE', '-keyout', 'leaf.key', '-out', 'leaf.pem');
      mqttPort = await freePort();
      apiPort = await freePort();
      for (const port of [mqttPort, apiPort]) {
        const srv = createServer((sock) => sock.destroy());
        await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
        held.push(srv);
      }
    });
    after(async () => {
      for (const srv of held) await new Promise((r) => srv.close(r));
    });

    const bad: Array<{ name: string; cert: string; key: string; names: string; says: RegExp }> = [
      { name: 'a key that is not the certificate\'s', cert: 'ca.pem', key: 'other.key', names: 'claims.caKey', says: /is not the key of claims\.caCert/ },
      { name: 'a certificate that is not a CA (CA:FALSE)', cert: 'leaf.pem', key: 'leaf.key', names: 'claims.caCert', says: /not a CA certificate/ },
      { name: 'a key file that cannot be read', cert: 'ca.pem', key: 'missing.key', names: 'claims.caKey', says: /cannot be read/ },
    ];
    for (const c of bad) {
      it(`${c.name}: exit 78 naming ${c.names}, no port ever listened, the store never opened`, async () => {
        const store = join(dir, `store-${c.cert}-${c.key}`);
        const args = ['--import', 'tsx', 'cloud/src/main.ts', '--store.path', store, '--mqtt.host', '127.0.0.1', '--mqtt.port', String(mqttPort), '--api.host', '127.0.0.1', '--api.port', String(apiPort), '--claims.caCert', join(dir, c.cert), '--claims.caKey', join(dir, c.key)];
        const p = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (b: Buffer) => (out += b.toString()));
        p.stderr.on('data', (b: Buffer) => (out += b.toString()));
        const code = await new Promise<number | null>((r) => p.on('close', r));
        assert.equal(code, 78, `exit ${code}: ${out}`);
        assert.match(out, new RegExp(c.names.replace(/\./g, '\\.')));
        assert.match(out, c.says);
        assert.doesNotMatch(out, /EADDRINUSE|"msg":"listening"|listening/, 'no listener was started');
        assert.equal(existsSync(store), false, 'store.path was not created');
      });
    }
  });

  it('a config file with a __proto__ key: exit 78 naming the key path (issue 23 item 2)', () => {
    const file = join(dir, 'proto.json');
    writeFileSync(file, '{"mqtt":{"__proto__":{"polluted":1}}}');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'cloud/src/main.ts', '--store.path', dir, '--config', file], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 78, `exit ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, /mqtt\.__proto__/);
  });
});
