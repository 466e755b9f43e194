import assert from 'node:assert/strict';
import { backoffDelay } from '../../../src/ingest/serial/reopen-backoff.js';

describe('ingest/serial/reopen-backoff', () => {
  const table: [string, number, Parameters<typeof backoffDelay>[1], number, number][] = [
    ['first attempt is the initial delay', 0, { initialMs: 100, jitter: 0 }, 0.5, 100],
    ['doubles', 3, { initialMs: 100, jitter: 0 }, 0.5, 800],
    ['capped', 20, { initialMs: 100, maxMs: 5000, jitter: 0 }, 0.5, 5000],
    ['huge attempt does not overflow', 10_000, { initialMs: 100, maxMs: 5000, jitter: 0 }, 0.5, 5000],
    ['jitter takes off the top', 1, { initialMs: 100, jitter: 0.5 }, 1, 100],
    ['jitter with random 0 leaves the delay', 1, { initialMs: 100, jitter: 0.5 }, 0, 200],
    ['factor 1 is constant', 7, { initialMs: 300, factor: 1, jitter: 0 }, 0, 300],
  ];
  for (const [name, attempt, opts, r, want] of table) it(name, () => assert.equal(backoffDelay(attempt, opts, () => r), want));
});
