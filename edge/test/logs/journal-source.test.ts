import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { loadConfig } from '@causeway/shared';
import { edgeSchema, type EdgeConfig } from '../../src/config/schema.js';
import { detectJournal, journalSource } from '../../src/logs/journal-source.js';
import { logCommands } from '../../src/logs/log-commands.js';
import { LogRing, maskLiterals } from '../../src/logs/log-ring.js';

const US = (iso: string): string => String(Date.parse(iso) * 1000);
const decode = (b64: string): string[] => inflateRawSync(Buffer.from(b64, 'base64')).toString().split('\n');

/**
 * The journal as the agent reads it: a stand-in `journalctl` on PATH (a real process, as the agent runs
 * it) that records its arguments and prints what a journal would, or fails as journalctl does.
 */
describe('logs/journal-source: causeway logs from journald, falling back to the ring (issue 20)', function () {
  this.timeout(30_000);
  let dir: string;
  let savedPath: string | undefined;
  const fake = (script: string): void => {
    writeFileSync(join(dir, 'journalctl'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${join(dir, 'args')}"\n${script}\n`);
    chmodSync(join(dir, 'journalctl'), 0o755);
  };
  const entries = [
    { MESSAGE: JSON.stringify({ ts: '2026-12-06T02:00:00.000Z', level: 'warn', msg: 'uplink lost, password pw-secret-1' }), PRIORITY: '4', __REALTIME_TIMESTAMP: US('2026-12-06T02:00:00.000Z') },
    { MESSAGE: 'FATAL ERROR: Reached heap limit Allocation failed', PRIORITY: '3', __REALTIME_TIMESTAMP: US('2026-12-06T02:00:01.000Z') },
  ];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-journal-'));
    savedPath = process.env.PATH;
    process.env.PATH = `${dir}:${savedPath ?? ''}`;
    writeFileSync(join(dir, 'out.json'), entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks journalctl for the unit, since, level and count, and parses its JSON', async () => {
    fake(`cat "${join(dir, 'out.json')}"`);
    const lines = await journalSource('causeway-edge.service').read({ sinceMs: Date.parse('2026-12-06T01:00:00.500Z'), level: 'warn', maxLines: 300 });
    assert.deepEqual(readFileSync(join(dir, 'args'), 'utf8').trim().split('\n'), ['-u', 'causeway-edge.service', '-o', 'json', '--no-pager', '--quiet', '--since', `@${Date.parse('2026-12-06T01:00:00Z') / 1000}`, '-p', '4', '-n', '300']);
    assert.equal(lines.length, 2);
    assert.deepEqual(JSON.parse(lines[1]!), { ts: '2026-12-06T02:00:01.000Z', level: 'error', msg: 'FATAL ERROR: Reached heap limit Allocation failed', source: 'journal' });
  });

  it('is unavailable when journalctl fails or may not read the system journal', async () => {
    fake(`echo "Failed to open journal: Permission denied" >&2; exit 1`);
    await assert.rejects(journalSource('u.service').read({ sinceMs: 0, level: 'info', maxLines: 10 }), (e: any) => e.code === 'JOURNAL_UNAVAILABLE' && /Permission denied/.test(e.message));
    fake(`echo "No journal files were opened due to insufficient permissions." >&2; exit 0`);
    await assert.rejects(journalSource('u.service').read({ sinceMs: 0, level: 'info', maxLines: 10 }), (e: any) => e.code === 'JOURNAL_UNAVAILABLE' && /insufficient permissions/.test(e.message));
  });

  it('logs and the support bundle answer from the journal (masked, source journald); when it fails, from the ring saying why', async () => {
    const cfg = loadConfig<EdgeConfig>(edgeSchema, { argv: [], env: {} });
    const ring = new LogRing(join(dir, 'ring'), 64 * 1024, ['pw-secret-1']);
    ring.append(JSON.stringify({ ts: '2026-12-06T02:00:02.000Z', level: 'error', msg: 'from the ring' }) + '\n');
    const now = () => Date.parse('2026-12-06T02:30:00Z');
    const cmds = logCommands({ ring, journal: journalSource('causeway-edge.service'), mask: (l) => maskLiterals(l, ['pw-secret-1']), config: () => cfg, status: () => ({}), now });
    fake(`cat "${join(dir, 'out.json')}"`);
    const j = (await cmds.logs!({ sinceSeconds: 3600, level: 'warn' }, new AbortController().signal)) as { source: string; deflatedBase64: string; journalError?: string };
    assert.equal(j.source, 'journald');
    assert.equal(j.journalError, undefined);
    const got = decode(j.deflatedBase64);
    assert.deepEqual(got.map((l) => JSON.parse(l).msg), ['uplink lost, password [redacted]', 'FATAL ERROR: Reached heap limit Allocation failed']);
    const bundle = (await cmds['support-bundle']!({ lines: 10 }, new AbortController().signal)) as { logs: { source: string; deflatedBase64: string } };
    assert.equal(bundle.logs.source, 'journald', 'the bundle\'s lines come from the journal too');
    assert.equal(decode(bundle.logs.deflatedBase64).join('\n').includes('pw-secret-1'), false, 'masked there as well');
    fake('exit 1');
    const b2 = (await cmds['support-bundle']!({ lines: 10 }, new AbortController().signal)) as { logs: { source: string; journalError?: string } };
    assert.deepEqual([b2.logs.source, typeof b2.logs.journalError], ['ring', 'string']);
    const r = (await cmds.logs!({ sinceSeconds: 3600, level: 'warn' }, new AbortController().signal)) as { source: string; deflatedBase64: string; journalError?: string };
    assert.equal(r.source, 'ring');
    assert.match(r.journalError ?? '', /journalctl failed/);
    assert.deepEqual(decode(r.deflatedBase64).map((l) => JSON.parse(l).msg), ['from the ring']);
    ring.close();
  });

  it('is used only under systemd with journalctl on PATH and a service unit, and never with log.source ring', () => {
    fake('exit 0');
    const cgroup = () => '0::/system.slice/causeway-edge.service\n';
    const env = { JOURNAL_STREAM: '8:12345', PATH: dir };
    assert.equal(detectJournal('auto', env, cgroup)?.unit, 'causeway-edge.service');
    assert.equal(detectJournal('ring', env, cgroup), undefined);
    assert.equal(detectJournal('auto', { PATH: dir }, cgroup), undefined, 'stdout not on journald');
    assert.equal(detectJournal('auto', { ...env, PATH: join(dir, 'nothing') }, cgroup), undefined, 'no journalctl');
    assert.equal(detectJournal('auto', env, () => '0::/user.slice/session-1.scope\n'), undefined, 'not a service');
    assert.equal(detectJournal('auto', env, () => { throw new Error('ENOENT'); }), undefined, 'no /proc');
  });
});
