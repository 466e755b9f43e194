import assert from 'node:assert/strict';
import { BatchError, planImport, validateDeviceRows } from '../../src/fleet/device-rows.js';
import type { RegistryEntry } from '../../src/identity/registry/contract.js';

describe('fleet/device-rows: checking and planning a bulk import', () => {
  it('takes good rows with defaults and keeps their lines', () => {
    const { rows, errors } = validateDeviceRows([{ line: 2, id: 'gw-1', groups: ['north'], tags: { site: 'a' } }, { id: 'th-1', kind: 'device', gateway: 'gw-1' }]);
    assert.deepEqual(errors, []);
    assert.deepEqual(rows, [
      { line: 2, id: 'gw-1', kind: 'gateway', groups: ['north'], tags: { site: 'a' } },
      { line: 2, id: 'th-1', kind: 'device', groups: [], tags: {}, gateway: 'gw-1' },
    ]);
  });

  it('reports every bad row, with its line, not only the first', () => {
    const { errors } = validateDeviceRows([
      { line: 2, id: 'ok-1' },
      { line: 3, id: 'bad/id' },
      { line: 4, id: 'gw-2', kind: 'app' },
      { line: 5, id: 'gw-3', groups: ['a+b'] },
      { line: 6, id: 'gw-4', tags: { n: 3 } },
      { line: 7, id: 'ok-1' },
      { line: 8, id: 'gw-5', colour: 'red' },
      'nope',
    ]);
    assert.deepEqual(
      errors.map((e) => e.line),
      [3, 4, 5, 6, 7, 8, 8],
    );
    assert.match(errors[0]!.message, /id/);
    assert.match(errors[1]!.message, /kind must be gateway or device/);
    assert.match(errors[4]!.message, /id ok-1 is also on line 2/);
    assert.match(errors[5]!.message, /unknown field colour/);
    assert.match(errors[6]!.message, /must be an object/);
  });

  it('refuses a body that is not a list, or too long', () => {
    assert.match(validateDeviceRows({}).errors[0]!.message, /devices must be an array/);
    assert.match(validateDeviceRows(new Array(10_001).fill({ id: 'x' })).errors[0]!.message, /at most 10000 rows/);
  });

  it('plans: new rows are created, identical ones unchanged (re-running changes nothing), different ones are errors', () => {
    const entry = (id: string, o: Partial<RegistryEntry> = {}): RegistryEntry => ({ id, kind: 'gateway', groups: ['b', 'a'], tags: { x: '1', y: '2' }, enabled: true, createdAt: 1, online: false, ...o });
    const { rows } = validateDeviceRows([
      { line: 2, id: 'new' },
      { line: 3, id: 'same', groups: ['a', 'b'], tags: { y: '2', x: '1' } },
      { line: 4, id: 'other', groups: ['a'] },
    ]);
    const plan = planImport(rows, new Map([['same', entry('same')], ['other', entry('other')]]));
    assert.deepEqual(plan.create.map((r) => r.id), ['new']);
    assert.deepEqual(plan.unchanged.map((r) => r.id), ['same']);
    assert.deepEqual(plan.errors, [{ line: 4, id: 'other', message: 'other exists as a gateway with other groups, tags or gateway' }]);
  });

  it('a BatchError carries every row and names the first in its message', () => {
    const e = new BatchError([{ line: 3, message: 'a' }, { line: 9, message: 'b' }]);
    assert.equal(e.code, 'BATCH_INVALID');
    assert.equal(e.details.rows.length, 2);
    assert.match(e.message, /2 bad rows, nothing written \(line 3: a; line 9: b\)/);
  });
});
