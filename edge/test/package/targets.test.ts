import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO_ROOT } from '../../package/build-sea.js';
import { elfMachineOf, elfMachineOfFile, nativeFilesFor, targetNamed, TARGETS } from '../../package/targets.js';

function elfHead(machine: number, bigEndian = false): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; // 64-bit
  b[5] = bigEndian ? 2 : 1;
  if (bigEndian) b.writeUInt16BE(machine, 18);
  else b.writeUInt16LE(machine, 18);
  return b;
}

describe('package targets: which CPU a file is for, and what is shipped per target', () => {
  const cases: Array<[string, Buffer, number | undefined]> = [
    ['x86-64 little-endian', elfHead(62), 62],
    ['aarch64 little-endian', elfHead(183), 183],
    ['big-endian (s390x)', elfHead(22, true), 22],
    ['not ELF (a script)', Buffer.from('#!/bin/sh\necho hello world\n'), undefined],
    ['too short', Buffer.from([0x7f, 0x45, 0x4c, 0x46]), undefined],
  ];
  for (const [what, head, want] of cases) {
    it(`elfMachineOf: ${what} → ${want}`, () => assert.equal(elfMachineOf(head), want));
  }

  it('reads the running node as the host CPU', function () {
    if (process.platform !== 'linux') this.skip();
    const want = { x64: 62, arm64: 183 }[process.arch as 'x64' | 'arm64'];
    if (want === undefined) this.skip();
    assert.equal(elfMachineOfFile(process.execPath), want);
  });

  it('ships the host addons for the host target, and refuses them for the other CPU', function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') this.skip();
    const files = nativeFilesFor(TARGETS['linux-x64'], REPO_ROOT);
    assert.deepEqual(files.map((f) => f.name), ['sqlite', 'serialport']);
    // node_modules' better_sqlite3.node is built for this machine: never shipped beside an arm64 binary.
    assert.throws(() => nativeFilesFor(TARGETS['linux-arm64'], REPO_ROOT), /better_sqlite3\.node is ELF machine 62, linux-arm64 needs 183/);
    assert.throws(() => nativeFilesFor(TARGETS['linux-x64'], REPO_ROOT, join(REPO_ROOT, 'package.json')), /ELF machine none/);
    assert.throws(() => nativeFilesFor(TARGETS['linux-x64'], REPO_ROOT, '/nonexistent/better_sqlite3.node'), /missing/);
  });

  it('names the valid targets when given an unknown one', () => {
    assert.equal(targetNamed('linux-arm64').elfMachine, 183);
    assert.throws(() => targetNamed('win32-x64'), /unknown target "win32-x64"; expected one of linux-x64, linux-arm64/);
  });
});
