import assert from 'node:assert/strict';
import { mergeConfig } from '../../src/config/merge-config.js';

const TABLE: Array<[string, Array<Record<string, unknown>>, Record<string, unknown>]> = [
  ['later layers win', [{ a: 1 }, { a: 2 }], { a: 2 }],
  ['objects merge key by key', [{ ingest: { rate: 1, port: 'x' } }, { ingest: { rate: 5 } }], { ingest: { rate: 5, port: 'x' } }],
  ['arrays are replaced whole', [{ ports: [1, 2] }, { ports: [3] }], { ports: [3] }],
  ['a scalar replaces an object', [{ a: { b: 1 } }, { a: 3 }], { a: 3 }],
  ['an object replaces a scalar', [{ a: 3 }, { a: { b: 1 } }], { a: { b: 1 } }],
  ['no layers', [], {}],
];

describe('shared/config/merge-config', () => {
  for (const [what, layers, expected] of TABLE) it(what, () => assert.deepEqual(mergeConfig(layers), expected));
  it('does not alias the inputs', () => {
    const layer = { a: { b: [1] } };
    const out = mergeConfig([layer]);
    (out.a as { b: number[] }).b.push(2);
    assert.deepEqual(layer.a.b, [1]);
  });
});
