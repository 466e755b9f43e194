import assert from 'node:assert/strict';
import { socatCommand } from '../../src/pty/pty-pair.js';

describe('sim pty-pair: socatCommand', () => {
  it('runs socat under setpriv with a parent-death SIGTERM when setpriv is there', () => {
    assert.deepEqual(socatCommand(['-d', 'pty,link=/tmp/a', 'pty,link=/tmp/b'], '/usr/bin/setpriv'), {
      command: '/usr/bin/setpriv',
      args: ['--pdeathsig', 'TERM', '--', 'socat', '-d', 'pty,link=/tmp/a', 'pty,link=/tmp/b'],
    });
  });

  it('runs socat alone without setpriv', () => {
    assert.deepEqual(socatCommand(['pty,link=/tmp/a', 'pty,link=/tmp/b'], null), { command: 'socat', args: ['pty,link=/tmp/a', 'pty,link=/tmp/b'] });
  });
});
