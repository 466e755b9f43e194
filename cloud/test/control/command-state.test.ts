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
  // installs (issue 17): progress moves forward only, every progress state can time out or be canceled
  ['DELIVERED', { type: 'progress', state: 'DOWNLOADING' }, 'DOWNLOADING'],
  ['SENT', { type: 'progress', state: 'DOWNLOADING' }, 'DOWNLOADING'], // overtook the delivered report
  ['DOWNLOADING', { type: 'progress', state: 'DOWNLOADING' }, 'DOWNLOADING'], // a newer byte count
  ['DOWNLOADING', { type: 'progress', state: 'VERIFYING' }, 'VERIFYING'],
  ['INSTALLING', { type: 'progress', state: 'DOWNLOADING' }, undefined], // a late report
  ['DOWNLOADING', { type: 'delivered' }, undefined],
  ['INSTALLING', { type: 'result', status: 'ROLLED_BACK' }, 'ROLLED_BACK'],
  ['VERIFYING', { type: 'expire' }, 'TIMED_OUT'],
  ['DOWNLOADING', { type: 'cancel' }, 'CANCELED'],
  ['ROLLED_BACK', { type: 'progress', state: 'INSTALLING' }, undefined],
];

describe('cloud/control/command-state', () => {
  for (const [from, ev, to] of TABLE) {
    it(`${from} + ${ev.type}${'status' in ev ? ` ${ev.status}` : ''}${'state' in ev ? ` ${ev.state}` : ''} → ${to ?? '(ignored)'}`, () => assert.equal(next(from, ev), to));
  }
});
