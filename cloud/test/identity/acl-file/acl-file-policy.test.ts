import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAccess, type AccessControl, type Identity } from '@causeway/broker';
import { ConfigError, createLogger } from '@causeway/shared';
import { Harness, collect, sleep, until, type RawClient } from '../../../../broker/test/fixtures/harness.js';
import { AclFilePolicy, readAclFile } from '../../../src/identity/acl-file/acl-file-policy.js';

const FILE = `# development: anonymous clients may use lab/, and their own devices/<client id>/
topic readwrite lab/#
topic deny lab/secret
pattern readwrite devices/%c/#
user ops
topic readwrite #
`;

describe('cloud/identity/acl-file/acl-file-policy', () => {
  let dir: string;
  let path: string;
  let lines: string[];
  const logger = () => createLogger({ level: 'debug', write: (l) => lines.push(l) });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'causeway-acl-'));
    path = join(dir, 'acl');
    writeFileSync(path, FILE);
    lines = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a bad file is a ConfigError naming auth.aclFile, the file and the line', () => {
    writeFileSync(path, 'topic read a\n\nuser\n');
    assert.throws(() => readAclFile(path), (e: unknown) => e instanceof ConfigError && e.key === 'auth.aclFile' && e.message.includes(path) && /line 3: "user" needs a username/.test(e.message));
    assert.throws(() => readAclFile(join(dir, 'missing')), (e: unknown) => e instanceof ConfigError && /cannot read .*missing: ENOENT/.test(e.message));
  });

  it('applies to apps (by registry id) and anonymous admins, never to gateways; the registry decides first', () => {
    const inner: AccessControl = {
      authenticate: async () => ({ ok: false, code: 'NOT_AUTHORIZED', reason: 'x' }),
      // the registry: gateways only under their id, apps and admins anything
      canPublish: (who, topic) => (who.role !== 'gateway' || topic.startsWith(`telemetry/${who.id}/`) ? { allow: true } : { allow: false, reason: 'registry' }),
      canSubscribe: () => ({ allow: true }),
    };
    const policy = AclFilePolicy.load(path);
    const access = policy.over(inner);
    const gw: Identity = { role: 'gateway', id: 'gw1', groups: [] };
    const app: Identity = { role: 'app', id: 'ops', queues: ['*'], canSend: true };
    const anon: Identity = { role: 'admin', id: 'dev-1' };
    const conn = (clientId: string, username?: string) => ({ clientId, username });
    assert.equal(access.canPublish(gw, 'telemetry/gw1/d/t', conn('gw1')).allow, true, 'gateways: the registry alone');
    assert.equal(access.canPublish(gw, 'telemetry/gw2/d/t', conn('gw1')).allow, false);
    // an app is named by its registry id, whatever username it sent
    assert.equal(access.canPublish(app, 'plant/x', conn('ops.worker-1', 'someone-else')).allow, true);
    assert.equal(access.canPublish(anon, 'plant/x', conn('dev-1')).allow, false);
    assert.equal(access.canPublish(anon, 'lab/x', conn('dev-1')).allow, true);
    assert.equal(access.canPublish(anon, 'lab/secret', conn('dev-1')).allow, false);
    assert.equal(access.canPublish(anon, 'devices/dev-1/status', conn('dev-1')).allow, true);
    assert.equal(access.canSubscribe(anon, 'devices/dev-2/#', conn('dev-1')).allow, false);
    // a development client that sent a username is that user
    assert.equal(access.canPublish(anon, 'plant/x', conn('dev-1', 'ops')).allow, true);
    assert.equal(policy.counters.denied, 3);
    assert.equal(policy.counters.rules, 4);
  });

  it('reload: a good file takes over; a bad one is logged with its line, counted, and the old rules stay', () => {
    const policy = AclFilePolicy.load(path);
    const access = policy.over(openAccess(true));
    const anon: Identity = { role: 'admin', id: 'dev-1' };
    const c = { clientId: 'dev-1', username: undefined };
    assert.equal(access.canPublish(anon, 'field/x', c).allow, false);
    writeFileSync(path, 'topic write field/#\n');
    assert.equal(policy.reload(logger()), true);
    assert.equal(access.canPublish(anon, 'field/x', c).allow, true);
    assert.equal(access.canPublish(anon, 'lab/x', c).allow, false);
    writeFileSync(path, 'topic write lab/#\ntopic wirte field/#\n');
    assert.equal(policy.reload(logger()), false);
    assert.equal(access.canPublish(anon, 'field/x', c).allow, true, 'the previous rules stay in force');
    assert.deepEqual(policy.counters, { denied: 2, reloads: 1, reloadFailures: 1, rules: 1 });
    assert.match(lines.join('\n'), /acl file not reloaded.*line 2: \\"wirte\\" is not an access type/);
  });

  describe('over the wire (broker in development mode: every client is an anonymous admin)', () => {
    let h: Harness;
    let policy: AclFilePolicy;
    beforeEach(async () => {
      policy = AclFilePolicy.load(path);
      h = await new Harness({ access: policy.over(openAccess(true)), logger: logger() }).start();
    });
    afterEach(async () => {
      await h.close();
    });

    async function connected(version: 4 | 5, clientId: string, username?: string): Promise<RawClient> {
      const r = h.raw(version);
      r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clientId, clean: true, keepalive: 0, ...(username === undefined ? {} : { username, password: Buffer.from('s3cret-pass') }) }, version);
      await r.next('connack');
      return r;
    }

    for (const [version, code] of [[4, 0x80], [5, 0x87]] as const) {
      it(`v${version}: a denied SUBSCRIBE gets ${code === 0x80 ? '0x80' : '0x87'} for that filter only; counted and logged`, async () => {
        const r = await connected(version, `sub${version}`);
        const sub = (topic: string) => (version === 5 ? { topic, qos: 1 as const, nl: false, rap: false, rh: 0 } : { topic, qos: 1 as const });
        r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [sub('plant/#'), sub('lab/#'), sub(`devices/sub${version}/cmd`)] }, version);
        const ack = (await r.next('suback')) as { granted: number[] };
        // lab/# overlaps the denied lab/secret: refused as a whole
        assert.deepEqual(ack.granted, [code, code, 1]);
        assert.equal(h.broker.counters.aclDenied, 2);
        assert.equal(policy.counters.denied, 2);
        assert.match(lines.join('\n'), /subscription refused by ACL.*plant\/#.*acl file grants anonymous client sub/);
      });
    }

    it('v3.1.1: a denied PUBLISH is acknowledged and dropped (not stored, not delivered)', async () => {
      const watcher = await h.client({ clientId: 'watch', protocolVersion: 5, username: 'ops' });
      await watcher.subscribeAsync('#', { qos: 1 });
      const got = collect(watcher);
      const r = await connected(4, 'p4');
      r.send({ cmd: 'publish', topic: 'plant/x', payload: Buffer.from('no'), qos: 1, dup: false, retain: false, messageId: 7 });
      assert.equal(((await r.next('puback')) as { messageId?: number }).messageId, 7);
      r.send({ cmd: 'publish', topic: 'lab/x', payload: Buffer.from('yes'), qos: 1, dup: false, retain: false, messageId: 8 });
      await r.next('puback');
      await until(() => got.length === 1, 2000, 'the allowed message');
      await sleep(50);
      assert.deepEqual(got.map((g) => g.topic), ['lab/x']);
      assert.equal((await h.store.log.stats()).messages, 1);
      assert.equal(h.broker.counters.aclDenied, 1);
    });

    it('v5: a denied PUBLISH gets PUBACK 0x87 (QoS 1) / PUBREC 0x87 (QoS 2); QoS 0 is dropped; logs carry no password', async () => {
      const r = await connected(5, 'p5', 'guest');
      r.send({ cmd: 'publish', topic: 'plant/x', payload: Buffer.from('no'), qos: 1, dup: false, retain: false, messageId: 1 }, 5);
      assert.equal(((await r.next('puback')) as { reasonCode?: number }).reasonCode, 0x87);
      r.send({ cmd: 'publish', topic: 'plant/y', payload: Buffer.from('no'), qos: 2, dup: false, retain: false, messageId: 2 }, 5);
      assert.equal(((await r.next('pubrec')) as { reasonCode?: number }).reasonCode, 0x87);
      r.send({ cmd: 'publish', topic: 'plant/z', payload: Buffer.from('no'), qos: 0, dup: false, retain: false }, 5);
      r.send({ cmd: 'pingreq' }, 5);
      await r.next('pingresp');
      assert.equal((await h.store.log.stats()).messages, 0);
      assert.equal(h.broker.counters.aclDenied, 3);
      assert.equal(policy.counters.denied, 3);
      assert.match(lines.join('\n'), /publish refused by ACL.*acl file grants user guest no write/);
      assert.doesNotMatch(lines.join('\n'), /s3cret-pass/);
      assert.equal(r.closed, false);
    });

    it('refusals are all counted, but logged at most 5 a minute per client (a peer provokes them at will)', async () => {
      const r = await connected(5, 'noisy');
      for (let id = 1; id <= 20; id++) r.send({ cmd: 'publish', topic: 'plant/x', payload: Buffer.from('no'), qos: 1, dup: false, retain: false, messageId: id }, 5);
      for (let i = 0; i < 20; i++) await r.next('puback');
      assert.equal(h.broker.counters.aclDenied, 20);
      assert.equal(policy.counters.denied, 20);
      assert.equal(lines.filter((l) => l.includes('publish refused by ACL')).length, 5);
      assert.equal(h.broker.counters.logLinesSuppressed, 15);
    });

    it('a will on a topic the file does not grant refuses the CONNECT (v5 0x87)', async () => {
      const r = h.raw(5);
      r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'w', clean: true, keepalive: 0, will: { topic: 'plant/will', payload: Buffer.from('bye'), qos: 1, retain: false } }, 5);
      assert.equal(((await r.next('connack')) as { reasonCode?: number }).reasonCode, 0x87);
    });

    it('a SIGHUP-style reload applies to connections already open', async () => {
      const r = await connected(5, 'live');
      r.send({ cmd: 'publish', topic: 'field/x', payload: Buffer.from('1'), qos: 1, dup: false, retain: false, messageId: 1 }, 5);
      assert.equal(((await r.next('puback')) as { reasonCode?: number }).reasonCode, 0x87);
      writeFileSync(path, 'topic write field/#\n');
      assert.equal(policy.reload(logger()), true);
      r.send({ cmd: 'publish', topic: 'field/x', payload: Buffer.from('2'), qos: 1, dup: false, retain: false, messageId: 2 }, 5);
      assert.equal(((await r.next('puback')) as { reasonCode?: number }).reasonCode ?? 0, 0);
    });
  });
});
