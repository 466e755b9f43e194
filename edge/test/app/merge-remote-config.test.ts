import assert from 'node:assert/strict';
import { changedParts, mergeRemoteConfig } from '../../src/app/merge-remote-config.js';
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
  // issue 19: a remote document may not make a register writable nor point a bus at another host
  ['a Modbus point made writable', '{"ingest":{"modbus":[{"tcp":{"host":"10.0.0.5"},"slaves":[{"unit":1,"device":"m","points":[{"stream":"v","fc":3,"address":0,"writable":true}]}]}]}}', 'ingest.modbus'],
  ['another Modbus TCP host', '{"ingest":{"modbus":[{"tcp":{"host":"attacker"},"slaves":[{"unit":1,"device":"m","points":[{"stream":"v","fc":4,"address":0}]}]}]}}', 'ingest.modbus'],
  ['the Modbus buses cleared', '{"ingest":{"modbus":null}}', 'ingest.modbus'],
  ['a CAN adapter', '{"ingest":{"can":{"sources":[{"slcan":{"path":"/dev/ttyACM0"}}]}}}', 'ingest.can'],
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
  it('accepts ingest.modbus repeated unchanged (a full document that carries the local buses)', () => {
    assert.deepEqual(mergeRemoteConfig(local, { ingest: { modbus: [] }, log: { level: 'debug' } }).ingest.modbus, []);
  });
  it('applies what a remote config may change and keeps the local connection', () => {
    const out = mergeRemoteConfig(local, { uplink: { batchMaxReadings: 50 }, cloud: { keepaliveSeconds: 20 }, log: { level: 'debug' } });
    assert.equal(out.uplink.batchMaxReadings, 50);
    assert.equal(out.cloud.keepaliveSeconds, 20);
    assert.equal(out.cloud.password, 's3cret');
    assert.equal(out.log.level, 'debug');
  });

  describe('ingest.canDbc: a DBC pushed by remote config (issue 19)', () => {
    const withCan = structuredClone(local);
    withCan.ingest.can = [{ name: 'j1939', device: 'bus-12', candump: { path: '/tmp/none.log' }, j1939: true }];
    const DBC = 'BO_ 1024 Battery: 4 BMS\n SG_ SoC : 16|8@1+ (0.5,0) [0|100] "%" X\n';
    it('is not local: a DBC for a configured source is merged, and only the DBC counts as changed', () => {
      const out = mergeRemoteConfig(withCan, { ingest: { canDbc: { j1939: DBC } } });
      assert.deepEqual(out.ingest.canDbc, { j1939: DBC });
      assert.deepEqual(out.ingest.can, withCan.ingest.can);
      assert.deepEqual(changedParts(withCan, out), { ingestRules: false, canDbc: true, ingestSources: false, uplink: false, commands: false });
    });
    it('refuses a DBC for a source the gateway does not have, naming ingest.canDbc.<name>', () => {
      assert.throws(
        () => mergeRemoteConfig(withCan, { ingest: { canDbc: { obd: DBC } } }),
        (e: unknown) => e instanceof ConfigError && e.key === 'ingest.canDbc.obd' && /no CAN source is named obd \(ingest\.can names: j1939\)/.test(e.message),
      );
    });
    it('refuses a DBC that does not parse, with its line', () => {
      assert.throws(
        () => mergeRemoteConfig(withCan, { ingest: { canDbc: { j1939: 'BO_ 256 M: 2 X\n SG_ S : 8|16@1+ (1,0) [0|0] "" X\n' } } }),
        (e: unknown) => e instanceof ConfigError && /ingest\.canDbc/.test(e.key ?? '') && /j1939: line 2: signal S runs past/.test(e.message),
      );
    });
  });

  describe('files.transport http on a gateway with only a certificate (issue 20)', () => {
    const withCsr = structuredClone(local);
    withCsr.identity.csr = true;
    withCsr.cloud.password = '';
    const http = { files: { transport: 'http', httpUrl: 'https://cloud.example:8080' } };
    it('refuses it, naming files.transport and identity.csr: HTTP downloads need a secret', () => {
      assert.throws(
        () => mergeRemoteConfig(withCsr, http),
        (e: unknown) => e instanceof ConfigError && e.key === 'files.transport' && /files\.transport is http but identity\.csr is true/.test(e.message),
      );
    });
    it('merges it on a gateway with a secret', () => {
      assert.equal(mergeRemoteConfig(local, http).files.transport, 'http');
    });
  });
});
