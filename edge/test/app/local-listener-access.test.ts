import assert from 'node:assert/strict';
import { ConfigError } from '@causeway/shared';
import { checkListenExposure, isLoopbackHost, listenerAccess } from '../../src/app/local-listener-access.js';

describe('app/local-listener-access', () => {
  const hosts: Array<[string, boolean]> = [
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['gateway.lan', false],
    ['', false],
  ];
  for (const [h, want] of hosts) it(`${JSON.stringify(h)} is ${want ? '' : 'not '}loopback`, () => assert.equal(isLoopbackHost(h), want));

  const exposure: Array<[string, Parameters<typeof checkListenExposure>[0], string | undefined]> = [
    ['loopback without credentials is fine', { host: '127.0.0.1', port: 0 }, undefined],
    ['the LAN without credentials is refused, naming the host key', { host: '0.0.0.0', port: 0 }, 'ingest.mqtt.listen.host'],
    ['the LAN with credentials is fine', { host: '0.0.0.0', port: 0, username: 'u', password: 'p' }, undefined],
    ['the LAN with the explicit opt-in is fine', { host: '0.0.0.0', port: 0, allowAnonymous: true }, undefined],
    ['a username without a password is refused', { host: '127.0.0.1', port: 0, username: 'u' }, 'ingest.mqtt.listen.password'],
    ['a password without a username is refused', { host: '0.0.0.0', port: 0, password: 'p', allowAnonymous: true }, 'ingest.mqtt.listen.username'],
  ];
  for (const [name, l, key] of exposure) {
    it(name, () => {
      if (key === undefined) return checkListenExposure(l);
      assert.throws(() => checkListenExposure(l), (e: unknown) => e instanceof ConfigError && e.key === key);
    });
  }

  it('with credentials only the exact pair is accepted', async () => {
    const a = listenerAccess({ host: '0.0.0.0', port: 0, username: 'sensors', password: 's3cret' });
    const who = { clientId: 'c', remoteAddress: '10.0.0.2' };
    assert.equal((await a.authenticate({ ...who, username: 'sensors', password: Buffer.from('s3cret') })).ok, true);
    assert.equal((await a.authenticate({ ...who, username: 'sensors', password: Buffer.from('wrong') })).ok, false);
    assert.equal((await a.authenticate({ ...who, username: 'other', password: Buffer.from('s3cret') })).ok, false);
    assert.equal((await a.authenticate({ ...who, username: 'sensors' })).ok, false);
    assert.equal((await a.authenticate(who)).ok, false);
  });

  it('without credentials anyone is accepted (loopback or the opt-in)', async () => {
    assert.equal((await listenerAccess({ host: '127.0.0.1', port: 0 }).authenticate({ clientId: 'c', remoteAddress: '127.0.0.1' })).ok, true);
  });
});
