import assert from 'node:assert/strict';
import { ConfigError } from '@causeway/shared';
import { checkHttpFilesCredential } from '../../src/config/http-files-credential.js';

type Cfg = Parameters<typeof checkHttpFilesCredential>[0];
const cfg = (transport: 'mqtt' | 'http', o: { csr?: boolean; cert?: string; password?: string; claimToken?: string } = {}): Cfg =>
  ({
    files: { transport },
    identity: { csr: o.csr ?? false, claimToken: o.claimToken ?? '' },
    cloud: { cert: o.cert ?? '', password: o.password ?? '' },
  }) as unknown as Cfg;

describe('edge/config/http-files-credential: files.transport http needs a secret (issue 20)', () => {
  const refused: Array<[string, Cfg, RegExp]> = [
    ['http with identity.csr (a claim with a certificate)', cfg('http', { csr: true, claimToken: 'tok' }), /files\.transport is http but identity\.csr is true/],
    ['http with identity.csr and a password left in the config', cfg('http', { csr: true, password: 'x' }), /identity\.csr/],
    ['http with cloud.cert and no secret', cfg('http', { cert: '/etc/causeway/gw.pem' }), /files\.transport is http but the gateway has cloud\.cert and no cloud\.password/],
  ];
  for (const [what, c, says] of refused) {
    it(`refuses ${what}, naming files.transport`, () => {
      assert.throws(() => checkHttpFilesCredential(c), (e: unknown) => e instanceof ConfigError && e.key === 'files.transport' && says.test(e.message) && /files\.transport mqtt/.test(e.message));
    });
  }

  const allowed: Array<[string, Cfg]> = [
    ['mqtt with identity.csr (chunks over the mTLS link)', cfg('mqtt', { csr: true })],
    ['mqtt with a certificate and no secret', cfg('mqtt', { cert: '/etc/causeway/gw.pem' })],
    ['http with a secret', cfg('http', { password: 's3cret' })],
    ['http with a certificate and a secret', cfg('http', { cert: '/etc/causeway/gw.pem', password: 's3cret' })],
    ['http with a claim that gives a secret (no identity.csr)', cfg('http', { claimToken: 'tok' })],
    ['http with a certificate and a claim that gives a secret', cfg('http', { cert: '/etc/causeway/gw.pem', claimToken: 'tok' })],
  ];
  for (const [what, c] of allowed) {
    it(`allows ${what}`, () => assert.doesNotThrow(() => checkHttpFilesCredential(c)));
  }
});
