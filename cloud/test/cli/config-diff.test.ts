import assert from 'node:assert/strict';
import { diffDocs, flatten, oneLine } from '../../src/cli/config-diff.js';

describe('cloud/cli/config-diff', () => {
  it('flattens documents to dotted keys', () => {
    assert.deepEqual([...flatten({ uplink: { inflight: 2, codec: 'json' }, ingest: { rules: [{ stream: 't' }] }, x: {} })], [
      ['uplink.inflight', '2'],
      ['uplink.codec', '"json"'],
      ['ingest.rules', '[{"stream":"t"}]'],
      ['x', '{}'],
    ]);
  });

  const cases: Array<[string, unknown, unknown, string[]]> = [
    ['same', { a: { b: 1 } }, { a: { b: 1 } }, []],
    ['changed', { uplink: { inflight: 4 } }, { uplink: { inflight: 2 } }, ['- uplink.inflight: 4', '+ uplink.inflight: 2']],
    ['added', {}, { log: { level: 'debug' } }, ['+ log.level: "debug"']],
    ['removed', { log: { level: 'debug' }, a: 1 }, { a: 1 }, ['- log.level: "debug"']],
    ['sorted by key', { z: 1, a: 1 }, { z: 2, a: 2 }, ['- a: 1', '+ a: 2', '- z: 1', '+ z: 2']],
  ];
  for (const [name, a, b, want] of cases) it(`diff: ${name}`, () => assert.deepEqual(diffDocs(a, b), want));

  it('one line per document', () => {
    assert.equal(oneLine({ uplink: { inflight: 2 }, log: { level: 'debug' } }), 'uplink.inflight=2, log.level="debug"');
    assert.equal(oneLine({}), '{}');
  });
});
