import assert from 'node:assert/strict';
import { mergeRemoteConfig } from '../../src/app/merge-remote-config.js';
import { edgeSchema, type EdgeConfig } from '../../src/config/schema.js';
import { loadConfig, ConfigError } from '@causeway/shared';

const local = structuredClone(
  loadConfig<EdgeConfig>(edgeSchema, { argv: ['--gateway.id', 'gw1', '--cloud.url', 'mqtt://cloud.example:1883', '--cloud.password', 's3cret'], env: {} }),
) as EdgeConfig;

/** Documents as they arrive in a config envelope: decoded JSON, so `__proto__` is an own key. */
const REFUSED: Array<[string, string, string]> = [
  // issue 23 item 3: where the data and the secrets go
  ['another broker', '{"cloud":{"url":"mqtt://attacker:1883"}}', 'cloud.url'],
  ['another username', '{"cloud":{"username":"x"}}', 'cloud.username'],
  ['another password', '{"cloud":{"password":"x"}}', 'cloud.password'],
  ['another CA', '{"cloud":{"ca":"/tmp/evil.pem"}}', 'cloud.ca'],
  ['another client cert', '{"cloud":{"cert":"/tmp/c.pem"}}', 'cloud.cert'],
  ['another client key', '{"cloud":{"key":"/tmp/k.pem"}}', 'cloud.key'],
  ['another local broker', '{"ingest":{"mqtt":{"url":"mqtt://attacker"}}}', 'ingest.mqtt.url'],
  ['the listener on every interface', '{"ingest":{"mqtt":{"listen":{"host":"0.0.0.0"}}}}', 'ingest.mqtt.listen.host'],
  ['another gateway id', '{"gateway":{"id":"gw2"}}', 'gateway.id'],
  ['another outbox file', '{"store":{"path":"/tmp/x.db"}}', 'store.path'],
  // issue 23 item 2: prototype keys, refused before anything is merged
  ['__proto__', '{"__proto__":{"polluted":1}}', '__proto__'],
  ['__proto__ nested', '{"uplink":{"__proto__":{"polluted":1}}}', 'uplink.__proto__'],
  ['constructor.prototype', '{"constructor":{"prototype":{"polluted":1}}}', 'constructor'],
];

describe('edge/app/merge-remote-config', () => {
  for (const [what, json, key] of REFUSED) {
    it(`refuses ${what}, naming ${key}`, () => {
      assert.throws(
        () => mergeRemoteConfig(local, JSON.parse(json) as Record<string, unknown>),
        (e: unknown) => e instanceof ConfigError && e.key === key && e.message.includes(key),
      );
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  }
  it('accepts a local-only key set to the value the gateway already has', () => {
    assert.equal(mergeRemoteConfig(local, { gateway: { id: 'gw1' }, cloud: { url: 'mqtt://cloud.example:1883' } }).cloud.url, 'mqtt://cloud.example:1883');
  });
  it('applies what a remote config may change and keeps the local connection', () => {
    const out = mergeRemoteConfig(local, { uplink: { batchMaxReadings: 50 }, cloud: { keepaliveSeconds: 20 }, log: { level: 'debug' } });
    assert.equal(out.uplink.batchMaxReadings, 50);
    assert.equal(out.cloud.keepaliveSeconds, 20);
    assert.equal(out.cloud.password, 's3cret');
    assert.equal(out.log.level, 'debug');
  });
});
