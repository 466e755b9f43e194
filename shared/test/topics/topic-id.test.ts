import assert from 'node:assert/strict';
import { validateId, isValidId, MAX_ID_BYTES } from '../../src/topics/topic-id.js';
import { TopicError } from '../../src/errors/topic-error.js';

// Issue 23 item 12: ids that cannot be managed or that look like another id are refused.
const IDS: Array<[unknown, boolean, RegExp?]> = [
  ['gw-1', true],
  ['Gerät_7', true],
  ['gw 1', true], // an inner space is visible and addressable
  ['a.b', true],
  ['...', true],
  ['.hidden', true],
  ['cost$', true],
  ['x'.repeat(MAX_ID_BYTES), true],
  ['é'.repeat(MAX_ID_BYTES / 2 + 1), false, /longer than/],
  ['', false, /empty/],
  ['a+b', false, /wildcard/],
  ['a#', false, /wildcard/],
  ['a/b', false, /"\/"/],
  ['.', false, /must not be "\."/],
  ['..', false, /must not be "\.\."/],
  [' ', false, /whitespace/],
  ['   ', false, /whitespace/],
  [' gw1', false, /whitespace/],
  ['gw1 ', false, /whitespace/],
  ['gw1\u00a0', false, /whitespace/],
  ['\u3000', false, /whitespace/],
  ['$SYS', false, /"\$"/],
  ['$share', false, /"\$"/],
  ['a\u0000', false, /U\+0000/],
  ['tab\there', false, /U\+0009/],
  ['\u007f', false, /U\+007F/],
  ['a\u0085b', false, /U\+0085/], // C1 control (NEL)
  ['gw\u202e1', false, /U\+202E/], // right-to-left override
  ['gw\u202a1', false, /U\+202A/],
  ['gw\u20661', false, /U\+2066/], // isolates
  ['gw\u20691', false, /U\+2069/],
  ['gw\u200e1', false, /U\+200E/], // LRM / RLM
  ['gw\u200f1', false, /U\+200F/],
  ['gw\u200b1', false, /U\+200B/], // zero-width space
  ['\ufeffgw1', false, /U\+FEFF/],
  ['gw\u20281', false, /U\+2028/],
  ['\ud800', false, /well-formed/],
  [42, false, /string/],
  [undefined, false, /string/],
];

describe('shared/topics/topic-id', () => {
  for (const [id, ok, msg] of IDS) {
    it(`validateId ${ok ? 'accepts' : 'rejects'} ${JSON.stringify(id)?.slice(0, 30)}`, () => {
      assert.equal(isValidId(id), ok);
      if (ok) validateId(id, 'id');
      else assert.throws(() => validateId(id, 'gateway id'), (e: unknown) => e instanceof TopicError && e.code === 'ID_INVALID' && e.message.startsWith('gateway id') && (msg?.test(e.message) ?? true));
    });
  }
  it('never echoes an invisible character in its message', () => {
    assert.throws(() => validateId('gw\u202e+1', 'gateway id'), (e: unknown) => e instanceof TopicError && !/\u202e/.test(e.message) && /\\u202e/.test(e.message));
  });
});
