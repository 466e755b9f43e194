import assert from 'node:assert/strict';
import { inflateRawSync } from 'node:zlib';
import { selectLogs } from '../../src/logs/log-query.js';
import { logCommands, maskedConfig } from '../../src/logs/log-commands.js';
import { loadConfig } from '@causeway/shared';
import { edgeSchema, type EdgeConfig } from '../../src/config/schema.js';

const at = (ms: number, level: string, msg: string): string => JSON.stringify({ ts: new Date(ms).toISOString(), level, msg });
const decode = (b64: string): string[] => inflateRawSync(Buffer.from(b64, 'base64')).toString().split('\n');

describe('logs/log-query and the logs built-ins (issue 20)', () => {
  const lines = [at(1000, 'info', 'a'), at(2000, 'warn', 'b'), 'not json', at(3000, 'error', 'c'), at(4000, 'debug', 'd'), at(5000, 'warn', 'e')];

  it('filters by time and level, oldest first', () => {
    const s = selectLogs(lines, { sinceMs: 2000, level: 'warn', maxLines: 100, maxBytes: 10_000 });
    assert.deepEqual(decode(s.deflatedBase64).map((l) => JSON.parse(l).msg), ['b', 'c', 'e']);
    assert.deepEqual([s.lines, s.matched, s.truncated, s.firstTs, s.lastTs], [3, 3, false, new Date(2000).toISOString(), new Date(5000).toISOString()]);
    assert.equal(selectLogs(lines, { sinceMs: 9000, level: 'debug', maxLines: 10, maxBytes: 1000 }).lines, 0);
  });

  it('keeps the newest lines that fit maxLines and maxBytes, and says so', () => {
    assert.deepEqual(decode(selectLogs(lines, { sinceMs: 0, level: 'debug', maxLines: 2, maxBytes: 10_000 }).deflatedBase64).map((l) => JSON.parse(l).msg), ['d', 'e']);
    const many = Array.from({ length: 3000 }, (_, i) => at(i, 'info', `m${i} ${Math.random().toString(36).repeat(4)}`));
    const s = selectLogs(many, { sinceMs: 0, level: 'info', maxLines: 3000, maxBytes: 4096 });
    assert.ok(s.deflatedBase64.length <= 4096 && s.truncated && s.lines > 10 && s.matched === 3000, JSON.stringify({ ...s, deflatedBase64: s.deflatedBase64.length }));
    assert.equal(JSON.parse(decode(s.deflatedBase64).at(-1)!).msg.split(' ')[0], 'm2999');
  });

  it('refuses requests over the limits with the reason; masks every sensitive key in the bundle config', async () => {
    const cfg = loadConfig<EdgeConfig>(edgeSchema, { argv: ['--cloud.username', 'gw', '--cloud.password', 'pw-123', '--identity.claimToken', 'cw_claim_x.y', '--ingest.mqtt.password', 'lan-pw'], env: {} });
    const cmds = logCommands({ ring: undefined, config: () => cfg, status: () => ({ ok: true }) });
    await assert.rejects(cmds.logs!({}, new AbortController().signal), /keeps no log ring/);
    const masked = JSON.stringify(maskedConfig(cfg));
    for (const s of ['pw-123', 'cw_claim_x.y', 'lan-pw']) assert.ok(!masked.includes(s), s);
    const bundle = (await cmds['support-bundle']!({ lines: 0 }, new AbortController().signal)) as Record<string, unknown>;
    assert.deepEqual(bundle.status, { ok: true });
    await assert.rejects(cmds['support-bundle']!({ lines: 5000 }, new AbortController().signal), (e: any) => e.code === 'COMMAND_INVALID' && /lines must be from 0 to 1000/.test(e.message));
  });
});
