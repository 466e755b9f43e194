import assert from 'node:assert/strict';
import { groupHeap, perUnit, type HeapSnapshot } from '../lib/heap-diff.js';

/** A snapshot in V8's flat format: each node is [type, name, self_size]. */
function snapshot(nodes: Array<[string, string, number]>): HeapSnapshot {
  const types = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'native'];
  const strings: string[] = [];
  const str = (s: string): number => (strings.includes(s) ? strings.indexOf(s) : strings.push(s) - 1);
  return {
    snapshot: { meta: { node_fields: ['type', 'name', 'id', 'self_size'], node_types: [types] } },
    nodes: nodes.flatMap(([t, n, size], i) => [types.indexOf(t), str(n), i + 1, size]),
    strings,
  };
}

describe('bench/lib/heap-diff', () => {
  it('groups objects by constructor, closures by name, the rest by node type', () => {
    const g = groupHeap(snapshot([['object', 'Socket', 304], ['object', 'Socket', 304], ['closure', 'onData', 56], ['string', 'gw-1', 32], ['string', 'gw-2', 40]]));
    assert.deepEqual(g.get('Socket'), { count: 2, bytes: 608 });
    assert.deepEqual(g.get('closure onData'), { count: 1, bytes: 56 });
    assert.deepEqual(g.get('(string)'), { count: 2, bytes: 72 });
  });

  it('divides what was added by the units, largest first, and counts what went away', () => {
    const before = groupHeap(snapshot([['object', 'Broker', 272], ['code', 'x', 100]]));
    const after = groupHeap(snapshot([
      ['object', 'Broker', 272],
      ['object', 'Connection', 296], ['object', 'Connection', 296],
      ['object', 'Session', 152], ['object', 'Session', 152],
      ['string', 'a', 32],
    ]));
    const { total, rows } = perUnit(before, after, 2);
    assert.equal(total, (2 * 296 + 2 * 152 + 32 - 100) / 2);
    assert.deepEqual(rows.map((r) => r.group), ['Connection', 'Session', '(string)', 'Broker', '(code)']);
    assert.deepEqual(rows[0], { group: 'Connection', count: 1, bytes: 296 });
    assert.deepEqual(rows[4], { group: '(code)', count: -0.5, bytes: -50 });
  });
});
