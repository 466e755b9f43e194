import assert from 'node:assert/strict';
import { next, type TargetEvent, type TargetState } from '../../src/control/command-state.js';

const TABLE: Array<[TargetState, TargetEvent, TargetState | undefined]> = [
  ['QUEUED', { type: 'sent' }, 'SENT'],
  ['SENT', { type: 'sent' }, undefined],
  ['SENT', { type: 'delivered' }, 'DELIVERED'],
  ['QUEUED', { type: 'delivered' }, 'DELIVERED'],
  ['DELIVERED', { type: 'delivered' }, undefined], // duplicate report
  ['DELIVERED', { type: 'result', status: 'SUCCEEDED' }, 'SUCCEEDED'],
  ['SENT', { type: 'result', status: 'FAILED' }, 'FAILED'], // result overtook the delivered report
  ['DELIVERED', { type: 'result', status: 'REJECTED' }, 'REJECTED'],
  ['SUCCEEDED', { type: 'result', status: 'FAILED' }, undefined], // terminal stays terminal
  ['QUEUED', { type: 'expire' }, 'EXPIRED'],
  ['SENT', { type: 'expire' }, 'EXPIRED'],
  ['DELIVERED', { type: 'expire' }, 'TIMED_OUT'],
  ['EXPIRED', { type: 'delivered' }, undefined],
  ['QUEUED', { type: 'cancel' }, 'CANCELED'],
  ['DELIVERED', { type: 'cancel' }, 'CANCELED'],
  ['CANCELED', { type: 'result', status: 'SUCCEEDED' }, undefined],
];

describe('cloud/control/command-state', () => {
  for (const [from, ev, to] of TABLE) {
    it(`${from} + ${ev.type}${'status' in ev ? ` ${ev.status}` : ''} → ${to ?? '(ignored)'}`, () => assert.equal(next(from, ev), to));
  }
});
