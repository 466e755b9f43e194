import assert from 'node:assert/strict';
import { aclFileCanPublish, aclFileCanSubscribe, filtersOverlap, type AclFileClient } from '../../../src/identity/acl-file/acl-file-check.js';
import { parseAclFile } from '../../../src/identity/acl-file/parse-acl-file.js';

const RULES = parseAclFile(`
# anonymous clients may read public/ and write feedback
topic read public/#
topic write public/feedback
topic read /sensors/#
topic write /inbox

user ops
topic readwrite plant/#
topic deny plant/secret/#
topic read $SYS/broker/#

user reader
topic read plant/+/temp

pattern write devices/%c/status
pattern readwrite users/%u/#
pattern deny devices/%c/locked
`);

const anon: AclFileClient = { clientId: 'dev-1' };
const ops: AclFileClient = { clientId: 'ops-console', username: 'ops' };
const reader: AclFileClient = { clientId: 'r1', username: 'reader' };
const stranger: AclFileClient = { clientId: 'x', username: 'nobody' };
const sneaky: AclFileClient = { clientId: '+', username: 'a/b' };

describe('cloud/identity/acl-file/acl-file-check', () => {
  const PUBLISH: Array<[string, AclFileClient, string, boolean]> = [
    ['anonymous: granted write', anon, 'public/feedback', true],
    ['anonymous: read-only topic', anon, 'public/news', false],
    ['anonymous: nothing granted', anon, 'plant/a/temp', false],
    ['anonymous: its own status through %c', anon, 'devices/dev-1/status', true],
    ['anonymous: another client\'s status', anon, 'devices/dev-2/status', false],
    ['anonymous: a %u pattern does not apply without a username', anon, 'users/dev-1/x', false],
    ['user: readwrite', ops, 'plant/a/temp', true],
    ['user: deny wins over readwrite', ops, 'plant/secret/key', false],
    ['user: anonymous topic lines do not apply to users', ops, 'public/feedback', false],
    ['user: %u pattern', ops, 'users/ops/inbox', true],
    ['user: another user\'s %u topics', ops, 'users/billing/inbox', false],
    ['user: read-only', reader, 'plant/a/temp', false],
    ['user with no section: only patterns', stranger, 'users/nobody/x', true],
    ['user with no section: nothing else', stranger, 'plant/a/temp', false],
    ['a deny pattern', ops, 'devices/ops-console/locked', false],
    ['a client id with a wildcard is not substituted into a grant', sneaky, 'devices/+/status', false],
    ['a username with "/" is not substituted into a grant', sneaky, 'users/a/b/x', false],
  ];
  for (const [what, client, topic, ok] of PUBLISH) {
    it(`publish ${topic}: ${what} → ${ok ? 'allowed' : 'denied'}`, () => {
      const d = aclFileCanPublish(RULES, client, topic);
      assert.equal(d.allow, ok);
      if (!d.allow) assert.match(d.reason, /^acl file /);
    });
  }

  const SUBSCRIBE: Array<[string, AclFileClient, string, boolean]> = [
    ['anonymous: within a read rule', anon, 'public/news/+', true],
    ['anonymous: the rule itself', anon, 'public/#', true],
    ['anonymous: the parent of a/# (a/# matches a)', anon, 'public', true],
    ['anonymous: wider than the rule', anon, '#', false],
    ['anonymous: write-only', anon, '/inbox', false],
    ['anonymous: an empty first level', anon, '/sensors/x', true],
    ['user: readwrite covers read', ops, 'plant/line1/temp', true],
    ['user: + reaches plant/secret/temp, which is denied', ops, 'plant/+/temp', false],
    ['user: overlapping a deny is refused as a whole', ops, 'plant/#', false],
    ['user: overlapping a deny through +', ops, 'plant/+/key', false],
    ['user: beside the deny', ops, 'plant/line1/#', true],
    ['user: $SYS through its own rule', ops, '$SYS/broker/uptime', true],
    ['user: read rule with +', reader, 'plant/line1/temp', true],
    ['user: + is not within an exact level', reader, 'plant/line1/+', false],
    ['shared subscription: checked by its inner filter', reader, '$share/g/plant/+/temp', true],
    ['shared subscription: inner filter not granted', reader, '$share/g/plant/#', false],
    ['a malformed shared subscription', reader, '$share/plant', false],
  ];
  for (const [what, client, filter, ok] of SUBSCRIBE) {
    it(`subscribe ${filter}: ${what} → ${ok ? 'allowed' : 'denied'}`, () => {
      assert.equal(aclFileCanSubscribe(RULES, client, filter).allow, ok);
    });
  }

  it('a "#" read rule does not reach $ topics [MQTT-4.7.2-1]', () => {
    const all = parseAclFile('topic read #');
    assert.equal(aclFileCanSubscribe(all, anon, 'a/b').allow, true);
    assert.equal(aclFileCanSubscribe(all, anon, '$SYS/#').allow, false);
  });

  it('a deny pattern whose substitution is unsafe denies', () => {
    const r = parseAclFile('topic readwrite #\npattern deny devices/%c/#');
    assert.equal(aclFileCanPublish(r, { clientId: 'a/b' }, 'x/y').allow, false);
    assert.equal(aclFileCanPublish(r, { clientId: 'ab' }, 'x/y').allow, true);
  });

  const OVERLAP: Array<[string, string, boolean]> = [
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
    ['a/+', 'a/b', true],
    ['a/#', 'a', true],
    ['a', 'a/#', true],
    ['a/b/c', 'a/+', false],
    ['+/+', 'a/#', true],
    ['#', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
    ['/x', '+/x', true],
  ];
  for (const [a, b, ok] of OVERLAP) it(`filters ${a} and ${b} ${ok ? 'overlap' : 'do not overlap'}`, () => assert.equal(filtersOverlap(a, b), ok));
});
