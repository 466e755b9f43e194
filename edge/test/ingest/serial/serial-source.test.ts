import assert from 'node:assert/strict';
import { silentLogger } from '@causeway/shared';
import { newSourceCounters } from '../../../src/ingest/counters.js';
import { createLineFramer } from '../../../src/ingest/framing/line-framer.js';
import { mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devicePathIdentity, startSerialSource, type PortOpener } from '../../../src/ingest/serial/serial-source.js';
import { FakePort, until } from '../helpers/fake-port.js';

describe('ingest/serial/serial-source', () => {
  it('retries a missing port with backoff, reopens a vanished one, never gives up', async () => {
    const ports: FakePort[] = [];
    let calls = 0;
    const open: PortOpener = async () => {
      calls++;
      if (calls <= 2 || calls === 4) throw new Error('ENOENT');
      const p = new FakePort();
      ports.push(p);
      return p;
    };
    const counters = newSourceCounters();
    const src = startSerialSource({ path: '/dev/fake', baudRate: 9600, framer: createLineFramer(), handle: async () => null, counters, logger: silentLogger, backoff: { baseMs: 5, capMs: 20, jitter: 0 }, open });
    await until(() => src.open);
    assert.deepEqual([counters.openFailures, counters.opens], [2, 1]);
    ports[0]!.unplug();
    await until(() => ports.length === 2 && src.open);
    assert.deepEqual([counters.openFailures, counters.opens, counters.disconnects], [3, 2, 1]);
    await src.stop();
    assert.equal(src.open, false);
  });

  it('closes and reopens a port whose path now leads to another device, though the port itself never closed', async () => {
    const ports: FakePort[] = [];
    const open: PortOpener = async () => {
      const p = new FakePort();
      ports.push(p);
      return p;
    };
    let device: string | null = 'ttyUSB0';
    const counters = newSourceCounters();
    const src = startSerialSource({ path: '/dev/serial/by-id/usb-x', baudRate: 9600, framer: createLineFramer(), handle: async () => null, counters, logger: silentLogger, backoff: { baseMs: 5, capMs: 20, jitter: 0 }, open, presenceCheckMs: 10, identify: async () => device });
    await until(() => src.open);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(counters.disconnects, 0, 'same device: left alone');
    device = null; // unplugged: the link is gone
    await until(() => counters.disconnects === 1);
    assert.equal(ports[0]!.isOpen, false, 'the stale port was closed');
    device = 'ttyUSB1'; // plugged back, enumerated under another name
    await until(() => ports.length >= 2 && src.open);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(counters.disconnects, 1, 'the new port is watched against its own device');
    device = 'ttyUSB2';
    await until(() => counters.disconnects === 2);
    await src.stop();
  });

  it('identifies the device a path leads to through symlinks, and null when it leads nowhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'presence-'));
    try {
      writeFileSync(join(dir, 'a'), '');
      writeFileSync(join(dir, 'b'), '');
      symlinkSync(join(dir, 'a'), join(dir, 'link'));
      const a = await devicePathIdentity(join(dir, 'link'));
      assert.equal(a, await devicePathIdentity(join(dir, 'a')));
      unlinkSync(join(dir, 'link'));
      assert.equal(await devicePathIdentity(join(dir, 'link')), null);
      symlinkSync(join(dir, 'b'), join(dir, 'link'));
      assert.notEqual(await devicePathIdentity(join(dir, 'link')), a);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('frames go to the handler in order, ACKs are written in order, a half line does not survive a reopen', async () => {
    const ports: FakePort[] = [];
    const open: PortOpener = async () => {
      const p = new FakePort();
      ports.push(p);
      return p;
    };
    const seen: string[] = [];
    const handle = async (f: Buffer): Promise<string | null> => {
      // frames reach the handler in order (rules see them in order); later ones finish faster, and
      // their ACKs must still be written in order
      seen.push(f.toString());
      await new Promise((r) => setTimeout(r, f.toString() === 'a' ? 30 : 1));
      return `ACK ${f.toString()}\n`;
    };
    const counters = newSourceCounters();
    const src = startSerialSource({ path: '/dev/fake', baudRate: 9600, framer: createLineFramer(), handle, counters, logger: silentLogger, backoff: { baseMs: 5, capMs: 30_000, jitter: 0 }, open });
    await until(() => src.open);
    ports[0]!.emit('data', Buffer.from('a\nb\nc\nhal'));
    await until(() => ports[0]!.written.length === 3);
    assert.deepEqual(ports[0]!.written, ['ACK a\n', 'ACK b\n', 'ACK c\n']);
    ports[0]!.unplug();
    await until(() => ports.length === 2 && src.open);
    ports[1]!.emit('data', Buffer.from('f\n'));
    await until(() => seen.length === 4);
    assert.deepEqual(seen, ['a', 'b', 'c', 'f'], 'not "half": the held bytes were reset on reopen');
    await src.stop();
  });

  it('pauses the port when too many frames wait for the sink, resumes when they drain', async () => {
    const p = new FakePort();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const src = startSerialSource({
      path: '/dev/fake', baudRate: 9600, framer: createLineFramer(), counters: newSourceCounters(), logger: silentLogger, maxPendingFrames: 4, open: async () => p,
      handle: async () => {
        await gate;
        return null;
      },
    });
    await until(() => src.open);
    p.emit('data', Buffer.from('1\n2\n3\n4\n5\n'));
    assert.equal(p.paused, 1);
    assert.equal(p.resumed, 0);
    release();
    await until(() => p.resumed === 1);
    await src.stop();
  });
});
