import assert from 'node:assert/strict';
import { closest, didYouMean, editDistance } from '../../src/cli/did-you-mean.js';

describe('shared/cli/did-you-mean', () => {
  const distances: Array<[string, string, number]> = [
    ['', '', 0],
    ['json', 'json', 0],
    ['jsn', 'json', 1],
    ['telemetri', 'telemetry', 1],
    ['stauts', 'status', 1],
    ['abc', 'xyz', 3],
  ];
  for (const [a, b, d] of distances) it(`editDistance(${a}, ${b}) = ${d}`, () => assert.equal(editDistance(a, b), d));

  const suggestions: Array<[string, string[], string | undefined]> = [
    ['--jsn', ['--json', '--kind', '--group'], '--json'],
    ['devcies', ['devices', 'groups', 'queues'], 'devices'],
    ['th1', ['th-1', 'gw1', 'gw2'], 'th-1'],
    ['frobnicate', ['devices', 'groups', 'queues'], undefined],
    ['dev', ['devices', 'groups'], 'devices'],
    ['x', ['devices'], undefined],
  ];
  for (const [typed, cands, want] of suggestions) it(`closest(${typed}) = ${want}`, () => assert.equal(closest(typed, cands), want));

  it('formats the hint, and nothing for an exact or no match', () => {
    assert.equal(didYouMean('lst', ['list', 'add']), '; did you mean list?');
    assert.equal(didYouMean('list', ['list']), '');
    assert.equal(didYouMean('zzzzzz', ['list']), '');
  });
});
