import assert from 'node:assert/strict';
import { InOrderAcks } from '../../../src/ingest/mqtt/in-order-acks.js';

describe('ingest/mqtt/in-order-acks', () => {
  it('releases in arrival order as messages settle, whatever order they settle in', () => {
    const out: number[] = [];
    const acks = new InOrderAcks(() => assert.fail('no failure'));
    const settle = [1, 2, 3, 4].map((i) => acks.add(() => out.push(i)));
    settle[2]!();
    settle[1]!();
    assert.deepEqual(out, [], 'nothing before the first is durable');
    settle[0]!();
    assert.deepEqual(out, [1, 2, 3]);
    assert.equal(acks.waiting, 1);
    settle[3]!();
    settle[3]!(); // settling twice changes nothing
    assert.deepEqual(out, [1, 2, 3, 4]);
  });

  it('a failure withholds its PUBACK and every later one, and is reported once', () => {
    const out: number[] = [];
    const failures: unknown[] = [];
    const acks = new InOrderAcks((e) => failures.push(e));
    const settle = [1, 2, 3].map((i) => acks.add(() => out.push(i)));
    settle[2]!();
    settle[1]!(new Error('disk full'));
    settle[0]!();
    assert.deepEqual(out, [1]);
    assert.equal(failures.length, 1);
    assert.equal((failures[0] as Error).message, 'disk full');
    const later = acks.add(() => out.push(4));
    later();
    assert.deepEqual(out, [1], 'a broken pipeline releases nothing more (its connection is being dropped)');
  });
});
