import assert from 'node:assert/strict';
import { canPublish, canSubscribe, filterWithin, type Identity } from '../../src/identity/acl.js';

const gw1: Identity = { role: 'gateway', id: 'gw1', groups: ['north'] };
const app: Identity = { role: 'app', id: 'analytics', queues: ['telemetry', 'events'], canSend: false };
const ops: Identity = { role: 'app', id: 'fleet', queues: ['*'], canSend: true };
const admin: Identity = { role: 'admin', id: 'root' };
const gw1Cert: Identity = { role: 'gateway', id: 'gw1', groups: ['north'], certificate: true };
const field: Identity = { role: 'app', id: 'field', queues: ['_root'], canSend: false };

const PUBLISH: Array<[Identity, string, boolean]> = [
  [gw1, 'telemetry/gw1/dev/temp', true],
  [gw1, 'events/gw1/dev/high-temp', true],
  [gw1, 'cmd-result/gw1/dev/c1', true],
  [gw1, 'config-reported/gw1', true],
  [gw1, 'status/gw1', true],
  [gw1, 'telemetry/gw2/dev/temp', false], // as another gateway
  [gw1, 'status/gw2', false],
  [gw1, 'cmd/gw1/dev/c1', false], // downlink
  [gw1, 'cmd-all/c1', false],
  [gw1, 'weather/x', false], // not a Causeway topic
  [gw1, 'file-req/gw1/chunks', true], // chunk requests (issue 17)
  [gw1, 'file-req/gw2/chunks', false],
  [gw1, 'file-chunk/gw1/chunks', false], // only the cloud answers
  [ops, 'file-chunk/gw1/chunks', false],
  // certificate renewal (issue 20): over a session the certificate opened, for itself; answers from the cloud only
  [gw1Cert, 'cert-req/gw1', true],
  [gw1, 'cert-req/gw1', false], // a secret or a token does not renew a certificate
  [gw1Cert, 'cert-req/gw2', false],
  [gw1Cert, 'cert/gw1', false],
  [ops, 'cert/gw1', false],
  [app, 'cmd/gw1/dev/c1', false],
  [app, 'telemetry/gw1/dev/temp', false],
  [ops, 'cmd/gw1/dev/c1', true],
  [ops, 'cmd-all/c1', true],
  [ops, 'telemetry/gw1/d/t', false],
  [admin, 'anything/at/all', true],
];

const SUBSCRIBE: Array<[Identity, string, boolean]> = [
  [gw1, 'cmd/gw1/+/+', true],
  [gw1, 'cmd/gw1/#', true],
  [gw1, 'file-chunk/gw1/+', true],
  [gw1, 'file-chunk/gw2/+', false],
  [gw1, 'file-chunk/+/+', false],
  [gw1, 'cert/gw1', true],
  [gw1, 'cert/gw2', false],
  [gw1, 'cert/+', false],
  [gw1, 'cmd/gw1/relay/+', true],
  [gw1, 'cmd-group/north/+', true],
  [gw1, 'cmd-all/+', true],
  [gw1, 'config/gw1', true],
  [gw1, 'cmd/gw2/+/+', false], // another gateway's commands
  [gw1, 'cmd/+/+/+', false],
  [gw1, 'cmd-group/south/+', false],
  [gw1, '#', false],
  [gw1, '+/gw1/#', false],
  [gw1, 'config/+', false],
  [gw1, 'telemetry/gw1/#', false], // uplink of itself: not needed, not granted
  [gw1, '$share/g/cmd/gw1/#', false],
  [app, 'telemetry/#', true],
  [app, '$share/analytics/telemetry/+/+/temp', true],
  [app, 'events/gw1/+/+', true],
  [app, 'cmd-result/#', false],
  [app, '#', false],
  [app, '+/gw1/#', false],
  [ops, 'cmd-result/#', true],
  // `*` is every queue an app may read, not the downlink to gateways
  [ops, 'cert/#', false],
  [ops, 'config/+', false],
  [ops, 'cmd/gw1/#', false],
  [ops, 'cmd-all/#', false],
  [ops, 'file-chunk/gw1/#', false],
  [ops, '$share/g/config/gw1', false],
  [admin, '#', true],
  // topics with an empty first level are read through the `_root` queue (issue 15)
  [field, '/sensors/#', true],
  [field, '/+', true],
  [field, '$share/field//sensors/+', true],
  [field, 'telemetry/#', false],
  [app, '/sensors/#', false],
];

describe('cloud/identity/acl', () => {
  for (const [who, topic, ok] of PUBLISH) {
    it(`${who.role} ${who.id} ${ok ? 'may' : 'may not'} publish ${topic}`, () => {
      assert.equal(canPublish(who, topic).allow, ok);
    });
  }
  for (const [who, filter, ok] of SUBSCRIBE) {
    it(`${who.role} ${who.id} ${ok ? 'may' : 'may not'} subscribe ${filter}`, () => {
      assert.equal(canSubscribe(who, filter).allow, ok);
    });
  }
  it('explains a refusal with the client id', () => {
    const d = canPublish(gw1, 'telemetry/gw2/d/t');
    assert.equal(d.allow, false);
    assert.match((d as { reason: string }).reason, /gw1/);
  });

  const WITHIN: Array<[string, string, boolean]> = [
    ['a/b', 'a/b', true],
    ['a/b', 'a/+', true],
    ['a/+', 'a/b', false],
    ['a/b/c', 'a/#', true],
    ['a', 'a/#', true],
    ['a/#', 'a/#', true],
    ['a/#', 'a/+', false],
    ['a/+/c', 'a/+/+', true],
    ['a/b', 'a/b/c', false],
  ];
  for (const [inner, outer, ok] of WITHIN) {
    it(`filter ${inner} ${ok ? 'is' : 'is not'} within ${outer}`, () => assert.equal(filterWithin(inner, outer), ok));
  }
});
