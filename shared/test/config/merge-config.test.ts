import assert from 'node:assert/strict';
import { mergeConfig } from '../../src/config/merge-config.js';
import { JsonError } from '../../src/errors/json-error.js';

const TABLE: Array<[string, Array<Record<string, unknown>>, Record<string, unknown>]> = [
  ['later layers win', [{ a: 1 }, { a: 2 }], { a: 2 }],
  ['objects merge key by key', [{ ingest: { rate: 1, port: 'x' } }, { ingest: { rate: 5 } }], { ingest: { rate: 5, port: 'x' } }],
  ['arrays are replaced whole', [{ ports: [1, 2] }, { ports: [3] }], { ports: [3] }],
  ['a scalar replaces an object', [{ a: { b: 1 } }, { a: 3 }], { a: 3 }],
  ['an object replaces a scalar', [{ a: 3 }, { a: { b: 1 } }], { a: { b: 1 } }],
  ['no layers', [], {}],
];

/** Documents as the API and the stores hand them over: decoded by JSON.parse, so `__proto__` is an own key. */
const UNSAFE: Array<[string, string, string]> = [
  ['__proto__ at the top', '{"__proto__":{"polluted":1}}', '__proto__'],
  ['__proto__ nested', '{"cloud":{"__proto__":{"polluted":1}}}', 'cloud.__proto__'],
  ['constructor.prototype', '{"constructor":{"prototype":{"polluted":1}}}', 'constructor'],
  ['prototype inside an array', '{"ports":[{"prototype":{"polluted":1}}]}', 'ports[0].prototype'],
];

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('shared/config/merge-config', () => {
  for (const [what, layers, expected] of TABLE) it(what, () => assert.deepEqual(plain(mergeConfig(layers)), expected));
  it('does not alias the inputs', () => {
    const layer = { a: { b: [1] } };
    const out = mergeConfig([layer]);
    (out.a as { b: number[] }).b.push(2);
    assert.deepEqual(layer.a.b, [1]);
  });
  it('builds the result from null-prototype objects', () => {
    const out = mergeConfig([{ a: { b: 1 } }, { a: { c: { d: 2 } } }]);
    assert.equal(Object.getPrototypeOf(out), null);
    assert.equal(Object.getPrototypeOf(out.a), null);
    assert.equal(Object.getPrototypeOf((out.a as Record<string, unknown>).c), null);
  });
  describe('refuses prototype keys and never pollutes Object.prototype (issue 23 item 2)', () => {
    for (const [what, json, path] of UNSAFE) {
      it(what, () => {
        const layer = JSON.parse(json) as Record<string, unknown>;
        assert.throws(
          () => mergeConfig([{ cloud: { url: 'mqtt://x' }, ports: [{}] }, layer]),
          (e: unknown) => e instanceof JsonError && e.code === 'JSON_UNSAFE_KEY' && e.path === path,
        );
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      });
    }
  });
});
