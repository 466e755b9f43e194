import assert from 'node:assert/strict';
import { parseFrom } from '../../src/cli/start-position.js';

describe('cloud/cli/start-position: consume --from', () => {
  const now = Date.parse('2026-12-04T12:00:00Z');
  const cases: Array<[string, ReturnType<typeof parseFrom>]> = [
    ['earliest', { kind: 'earliest' }],
    ['latest', { kind: 'latest' }],
    ['10m', { kind: 'time', time: now - 600_000 }],
    ['2h ago', { kind: 'time', time: now - 7_200_000 }],
    ['1d', { kind: 'time', time: now - 86_400_000 }],
    ['1764849600000', { kind: 'time', time: 1764849600000 }],
    ['2026-12-04T10:00:00Z', { kind: 'time', time: Date.parse('2026-12-04T10:00:00Z') }],
  ];
  for (const [s, want] of cases) it(s, () => assert.deepEqual(parseFrom(s, now), want));
  for (const bad of ['yesterday', '10', '-5m', '', '2026-13-45']) it(`refuses "${bad}"`, () => assert.throws(() => parseFrom(bad, now), (e: any) => e.code === 'USAGE'));
});
