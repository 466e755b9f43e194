import assert from 'node:assert/strict';
import { typeWords } from '../../src/config/type-words.js';

describe('shared/config/type-words', () => {
  const cases: Array<[string, string]> = [
    ['nat', 'whole number ≥ 0'],
    ['int', 'integer'],
    ['String', 'text'],
    ['Boolean', 'true|false'],
    ['cbor|json', 'one of cbor|json'],
    ['causeway-serial-ports', 'JSON list of ports'],
    ['something-new', 'something-new'],
  ];
  for (const [format, words] of cases) it(`${format} → ${words}`, () => assert.equal(typeWords(format), words));
});
