import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { removeDir, startBroker, tempDir, type BrokerProcess } from './fixtures/broker-process.js';

/**
 * Issue 23 item 2 with a real causeway-cloud: `PUT /v1/config/all {"config":{"__proto__":…}}` once
 * answered 200, polluted Object.prototype, broke /metrics and crashed the process — and again on every
 * restart, the document being stored. Now it is refused with 400 naming the key path, nothing is stored,
 * and the process serves on, across a restart.
 */
describe('e2e 12: causeway-cloud refuses prototype keys in API bodies and keeps serving @e2e', function () {
  this.timeout(90_000);
  let dir: string;
  let cloud: BrokerProcess;
  let api: string;
  let token: string;
  let metrics: string;

  const start = async (): Promise<void> => {
    cloud = await startBroker(join(dir, 'cloud'), ['--health.port', '0']);
    api = `http://127.0.0.1:${cloud.apiPort}`;
    token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
    const listening = JSON.parse(cloud.lines.find((l) => l.includes('"msg":"listening"'))!) as { healthPort: number };
    metrics = `http://127.0.0.1:${listening.healthPort}/metrics`;
  };
  const put = async (path: string, body: string): Promise<{ status: number; json: any }> => {
    const res = await fetch(api + path, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    return { status: res.status, json: await res.json() };
  };
  const get = async (path: string): Promise<{ status: number; json: any }> => {
    const res = await fetch(api + path, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, json: await res.json() };
  };

  before(async () => {
    dir = tempDir('e2e08');
    await start();
  });
  after(async () => {
    await cloud?.stop();
    removeDir(dir);
  });

  const BODIES: Array<[string, string, string]> = [
    ['/v1/config/all', '{"config":{"__proto__":{"polluted":1}}}', 'config.__proto__'],
    ['/v1/config/groups/fleet', '{"config":{"uplink":{"constructor":{"prototype":{"polluted":1}}}}}', 'config.uplink.constructor'],
    ['/v1/config/gateways/gw1', '{"config":{"ingest":{"ports":[{"prototype":{"polluted":1}}]}}}', 'config.ingest.ports[0].prototype'],
  ];
  for (const [path, body, key] of BODIES) {
    it(`PUT ${path} with ${key}: 400 naming the path, nothing stored, /metrics still served`, async () => {
      const r = await put(path, body);
      assert.equal(r.status, 400, JSON.stringify(r.json));
      assert.equal(r.json.error.code, 'JSON_UNSAFE_KEY');
      assert.ok(r.json.error.message.includes(key), r.json.error.message);
      assert.equal((await get('/v1/config/gateways/gw1')).status, 404, 'no document was stored');
      const m = await fetch(metrics);
      assert.equal(m.status, 200);
      assert.match(await m.text(), /causeway_/);
      assert.equal(cloud.proc.exitCode, null, 'the process is still running');
    });
  }

  it('a document an older version stored with __proto__ is left out with an error logged, across a restart', async () => {
    const ok = await put('/v1/config/all', '{"config":{"uplink":{"batchMaxReadings":50}}}');
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    await cloud.stop();
    // what an older version let through the API, written straight into the real control.db
    const db = new Database(join(dir, 'cloud', 'control.db'));
    db.prepare("UPDATE config_docs SET doc = ? WHERE scope = 'all'").run('{"__proto__":{"polluted":1},"uplink":{"batchMaxReadings":50}}');
    db.close();
    await start();
    // merging it is what polluted the process: a gateway document makes the cloud merge and push
    const gw = await put('/v1/config/gateways/gw1', '{"config":{"uplink":{"inflight":2}}}');
    assert.equal(gw.status, 200, JSON.stringify(gw.json));
    assert.deepEqual((await get('/v1/config/gateways/gw1')).json.config, { uplink: { inflight: 2 } });
    assert.ok(cloud.lines.some((l) => l.includes('stored desired config refused') && l.includes('"scope":"all"')), 'the refusal is logged');
    const m = await fetch(metrics);
    assert.equal(m.status, 200);
    assert.match(await m.text(), /causeway_/);
    assert.equal(cloud.proc.exitCode, null);
  });
});
