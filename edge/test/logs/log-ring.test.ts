import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogRing } from '../../src/logs/log-ring.js';

describe('logs/log-ring: the bounded on-disk log (issue 20)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'cw-ring-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('never holds more than maxBytes, keeps the newest lines, survives a reopen, files 0600', () => {
    const ring = new LogRing(join(dir, 'logs'), 16 * 1024);
    const line = (i: number): string => `{"ts":"2026-01-01T00:00:00.000Z","level":"info","msg":"line ${i} ${'x'.repeat(80)}"}\n`;
    for (let i = 0; i < 1000; i++) ring.append(line(i));
    const kept = ring.lines();
    assert.ok(kept.join('\n').length <= 16 * 1024, `${kept.join('\n').length} bytes kept`);
    assert.match(kept.at(-1)!, /line 999 /);
    assert.ok(kept.length > 50);
    ring.close();
    assert.equal(statSync(join(dir, 'logs', 'current.log')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'logs', 'previous.log')).mode & 0o777, 0o600);
    const again = new LogRing(join(dir, 'logs'), 16 * 1024);
    assert.deepEqual(again.lines(), kept);
    again.close();
  });

  it('masks the given secrets wherever they appear, and drops the journald prefix', () => {
    const ring = new LogRing(join(dir, 'logs'), 64 * 1024, ['hunter22', '', 'abc']);
    ring.append('<4>{"msg":"connect mqtt://gw:hunter22@host failed"}\n');
    ring.addSecrets(['s3cr3t-later']);
    ring.append('{"msg":"token s3cr3t-later"}\n');
    assert.deepEqual(ring.lines(), ['{"msg":"connect mqtt://gw:[redacted]@host failed"}', '{"msg":"token [redacted]"}']);
    ring.close();
  });
});
