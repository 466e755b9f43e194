import assert from 'node:assert/strict';
import { createLogger } from '@causeway/shared';
import type { MessageLog } from '../../src/store/contract.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { type RetentionTimer, startRetention } from '../../src/store/retention-timer.js';
import { StoreError } from '../../src/store/store-error.js';
import { makeMessage } from './store-contract.js';

describe('startRetention', () => {
  const timers: RetentionTimer[] = [];
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  afterEach(async () => {
    for (const t of timers.splice(0)) await t.stop();
    lines.length = 0;
  });

  it('prunes on its interval', async () => {
    const store = createMemoryStore();
    await store.log.append(makeMessage('a', 'old', { createdAt: Date.now() - 60_000 }), ['q:a']);
    await store.log.append(makeMessage('a', 'new'), ['q:a']);
    timers.push(startRetention(store.log, { maxAgeMs: 10_000, maxBytes: 0 }, 10, logger));
    // bounded wait: 100 × 10 ms
    for (let i = 0; i < 100 && (await store.log.stats()).messages > 1; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await store.log.stats()).messages, 1);
    assert.ok(lines.some((l) => l['msg'] === 'retention pruned the log' && l['removed'] === 1));
  });

  it('logs a failing prune and keeps going; never overlaps two prunes', async () => {
    let calls = 0;
    let release!: () => void;
    const log = {
      prune: () => {
        calls++;
        if (calls === 1) return Promise.reject(new StoreError('STORE_IO', 'disk full'));
        return new Promise<number>((resolve) => (release = () => resolve(3)));
      },
    } as unknown as MessageLog;
    const t = startRetention(log, { maxAgeMs: 1, maxBytes: 0 }, 3_600_000, logger);
    timers.push(t);
    assert.equal(await t.runOnce(), 0);
    assert.ok(lines.some((l) => l['msg'] === 'retention failed' && l['failures'] === 1));
    const a = t.runOnce();
    const b = t.runOnce();
    assert.equal(a, b);
    release();
    assert.equal(await a, 3);
    assert.equal(calls, 2);
  });
});
