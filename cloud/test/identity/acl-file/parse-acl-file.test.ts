import assert from 'node:assert/strict';
import { AclFileError } from '../../../src/identity/acl-file/acl-file-error.js';
import { countRules, parseAclFile } from '../../../src/identity/acl-file/parse-acl-file.js';

describe('cloud/identity/acl-file/parse-acl-file', () => {
  it('reads mosquitto\'s acl_file: anonymous topics first, user sections, patterns anywhere, comments and blanks', () => {
    const r = parseAclFile(
      [
        '# anonymous clients',
        'topic read public/#',
        '',
        '   topic write public/feedback   ',
        'user ops',
        'topic readwrite plant/#',
        'topic deny plant/secret/#',
        '# patterns apply to everyone',
        'pattern write devices/%c/status',
        'user billing',
        'topic alerts/billing/#',
        'pattern read users/%u/#',
        'user ops',
        'topic read audit/#',
      ].join('\n'),
    );
    assert.deepEqual(r.anonymous, [
      { access: 'read', filter: 'public/#', line: 2 },
      { access: 'write', filter: 'public/feedback', line: 4 },
    ]);
    assert.deepEqual(r.users.get('ops'), [
      { access: 'readwrite', filter: 'plant/#', line: 6 },
      { access: 'deny', filter: 'plant/secret/#', line: 7 },
      { access: 'read', filter: 'audit/#', line: 14 },
    ]);
    // no access word: readwrite, as in mosquitto
    assert.deepEqual(r.users.get('billing'), [{ access: 'readwrite', filter: 'alerts/billing/#', line: 11 }]);
    assert.deepEqual(r.patterns, [
      { access: 'write', filter: 'devices/%c/status', line: 9 },
      { access: 'read', filter: 'users/%u/#', line: 12 },
    ]);
    assert.equal(countRules(r), 8);
  });

  it('an empty file (or only comments) has no rules', () => {
    assert.equal(countRules(parseAclFile('')), 0);
    assert.equal(countRules(parseAclFile('# nothing\n\n  # at all\r\n')), 0);
  });

  it('reads CRLF files, spaces inside a topic, and a topic named like an access word', () => {
    const r = parseAclFile('user a b\r\ntopic read site one/#\r\ntopic read\r\n');
    assert.deepEqual(r.users.get('a b'), [
      { access: 'read', filter: 'site one/#', line: 2 },
      { access: 'readwrite', filter: 'read', line: 3 },
    ]);
  });

  it('topics with an empty first level are filters like any other', () => {
    assert.deepEqual(parseAclFile('topic read /sensors/#').anonymous, [{ access: 'read', filter: '/sensors/#', line: 1 }]);
  });

  const BAD: Array<[string, string, number, RegExp]> = [
    ['an unknown keyword', 'topic read a\nacl read b', 2, /unknown keyword "acl"/],
    ['a bad access type', '\n\ntopic reed a/b', 3, /"reed" is not an access type/],
    ['a topic line without a topic', 'topic', 1, /"topic" needs a topic/],
    ['a pattern line without a topic', 'pattern   ', 1, /"pattern" needs a topic/],
    ['a user line without a name', 'user', 1, /"user" needs a username/],
    ['an invalid filter (# not last)', 'topic read a/#/b', 1, /"a\/#\/b" is not a valid topic filter/],
    ['an invalid filter (+ inside a level)', 'user x\ntopic write a/b+', 2, /not a valid topic filter/],
    ['%c inside a level', 'pattern read devices/dev-%c/x', 1, /%c and %u must each be a whole topic level/],
    ['%u inside a level', 'pattern read u%u', 1, /must each be a whole topic level/],
    ['%c in a topic line (not a pattern) is a literal, but + around it is still checked', 'topic read a/%c+', 1, /not a valid topic filter/],
  ];
  for (const [what, text, line, message] of BAD) {
    it(`refuses ${what}, naming line ${line}`, () => {
      assert.throws(
        () => parseAclFile(text),
        (err: unknown) => err instanceof AclFileError && err.code === 'ACL_FILE_INVALID' && err.line === line && err.message.startsWith(`line ${line}: `) && message.test(err.message),
      );
    });
  }
});
