import assert from 'node:assert/strict';
import { frameModule, selfTimes } from '../lib/cpu-profile-top.js';

describe('bench/lib/cpu-profile-top', () => {
  it('names a frame by its package, its node: module or its dist file', () => {
    assert.equal(frameModule('file:///r/node_modules/cborg/lib/encode.js'), 'cborg');
    assert.equal(frameModule('file:///r/node_modules/@scope/pkg/x.js'), '@scope/pkg');
    assert.equal(frameModule('node:zlib'), 'node:zlib');
    assert.equal(frameModule('file:///r/dist/edge/src/store/pending-records.js'), 'dist/edge/src/store/pending-records.js');
    assert.equal(frameModule(''), '(native)');
  });

  it('adds self time per function and module, leaving out the first skipMs', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const p = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('form', 'file:///r/dist/edge/src/store/pending-records.js') },
        { id: 3, callFrame: frame('encode', 'file:///r/node_modules/cborg/lib/encode.js') },
      ],
      samples: [2, 2, 3, 2],
      timeDeltas: [1000, 1000, 3000, 500],
    };
    const all = selfTimes(p);
    assert.equal(all.total, 5500);
    assert.equal(all.byModule.get('cborg'), 3000);
    assert.equal(all.byFunction.get('form dist/edge/src/store/pending-records.js:1'), 2500);
    const later = selfTimes(p, 1.5); // from 1.5 ms on: the first sample (at 1 ms) is start-up
    assert.equal(later.total, 4500);
    assert.equal(later.byModule.get('dist/edge/src/store/pending-records.js'), 1500);
  });
});
