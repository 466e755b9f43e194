import assert from 'node:assert/strict';
import { inflightWindow, refusalAction, strikeOnClose } from '../../src/uplink/refusal.js';

const P = { strikes: 3, windowMs: 5000 };

describe('uplink/refusal', () => {
  const cases: Array<[string, Record<string, number>, Array<[string, number]>, number, Record<string, number>, string[]]> = [
    ['a close right after a publish is a first strike', {}, [['a', 9000]], 10_000, { a: 1 }, []],
    ['every batch of the window is struck at a first close', {}, [['a', 9000], ['b', 9500]], 10_000, { a: 1, b: 1 }, []],
    ['a close long after the publish (keepalive, dead link) strikes nothing', { a: 1 }, [['a', 1000]], 10_000, { a: 1 }, []],
    ['the third close in a row refuses the batch and forgets it', { a: 2 }, [['a', 9999]], 10_000, {}, ['a']],
    ['suspects not in flight keep their count', { a: 2, b: 1 }, [['b', 9999]], 10_000, { a: 2, b: 2 }, []],
  ];
  for (const [name, before, inflight, closedAt, after, refused] of cases) {
    it(name, () => {
      const v = strikeOnClose(new Map(Object.entries(before)), inflight.map(([id, publishedAt]) => ({ id, publishedAt })), closedAt, P);
      assert.deepEqual(Object.fromEntries(v.strikes), after);
      assert.deepEqual(v.refused, refused);
    });
  }

  it('a refused batch of several rows is split, its halves one strike short; a single row is quarantined', () => {
    assert.deepEqual(refusalAction(500, P), { action: 'split', halfStrikes: 2 });
    assert.deepEqual(refusalAction(2, P), { action: 'split', halfStrikes: 2 });
    assert.deepEqual(refusalAction(1, P), { action: 'quarantine' });
  });

  it('one batch in flight while there are suspects, else the configured window', () => {
    assert.equal(inflightWindow(new Map(), 8), 8);
    assert.equal(inflightWindow(new Map([['a', 1]]), 8), 1);
  });
});
