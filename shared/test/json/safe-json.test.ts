import assert from 'node:assert/strict';
import { JsonError } from '../../src/errors/json-error.js';
import { findUnsafeKey, parseJson } from '../../src/json/safe-json.js';

const TABLE: Array<[string, string, string | undefined]> = [
  ['a plain document', '{"a":{"b":[1,{"c":"__proto__"}]}}', undefined],
  ['a forbidden word as a value is fine', '{"name":"constructor"}', undefined],
  ['a key that only contains the word', '{"myprototype":1,"__proto__x":2}', undefined],
  ['scalars and arrays', '[1,"x",null,true]', undefined],
  ['__proto__ at the top', '{"__proto__":{"polluted":1}}', '__proto__'],
  ['__proto__ deep', '{"a":{"b":{"c":{"__proto__":{}}}}}', 'a.b.c.__proto__'],
  ['constructor', '{"config":{"constructor":{"prototype":{"polluted":1}}}}', 'config.constructor'],
  ['prototype in an array', '{"ports":[{},{"prototype":1}]}', 'ports[1].prototype'],
  ['in a top-level array', '[{"__proto__":null}]', '[0].__proto__'],
];

describe('shared/json/safe-json', () => {
  describe('parseJson refuses prototype keys at any depth, naming the path', () => {
    for (const [what, text, path] of TABLE) {
      it(what, () => {
        if (path === undefined) assert.deepEqual(parseJson(text, 'body'), JSON.parse(text));
        else assert.throws(() => parseJson(text, 'body'), (e: unknown) => e instanceof JsonError && e.code === 'JSON_UNSAFE_KEY' && e.path === path && e.message.includes(path));
      });
    }
  });
  it('text that does not parse is JSON_MALFORMED', () => {
    assert.throws(() => parseJson('{"a":', 'body'), (e: unknown) => e instanceof JsonError && e.code === 'JSON_MALFORMED' && /^body is not valid JSON/.test(e.message));
  });
  it('findUnsafeKey walks a value nested deeper than the call stack allows', () => {
    let v: Record<string, unknown> = { __proto__x: 1 };
    for (let i = 0; i < 200_000; i++) v = { a: v };
    assert.equal(findUnsafeKey(v), undefined);
  });
  it('findUnsafeKey sees an own __proto__ made by defineProperty (as cborg decodes it)', () => {
    const v: Record<string, unknown> = {};
    Object.defineProperty(v, '__proto__', { value: { polluted: 1 }, enumerable: true, configurable: true, writable: true });
    assert.equal(findUnsafeKey({ data: v }), 'data.__proto__');
  });
});
