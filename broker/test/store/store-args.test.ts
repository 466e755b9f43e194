import assert from 'node:assert/strict';
import { distinctQueues } from '../../src/store/store-args.js';
import { StoreError } from '../../src/store/store-error.js';

describe('store args: distinctQueues', () => {
  it('gives the list itself when no name repeats', () => {
    const few = ['q:a', 't:a/b', 'f:a/+'];
    assert.equal(distinctQueues(few), few);
    const many = Array.from({ length: 40 }, (_, i) => `f:${i}/#`);
    assert.equal(distinctQueues(many), many);
  });

  it('drops repeats in first-seen order, in short and in long lists', () => {
    assert.deepEqual(distinctQueues(['q:a', 't:a', 'q:a', 'f:#', 't:a']), ['q:a', 't:a', 'f:#']);
    const many = [...Array.from({ length: 30 }, (_, i) => `f:${i}/#`), 'f:3/#', 'q:x'];
    assert.deepEqual(distinctQueues(many), [...Array.from({ length: 30 }, (_, i) => `f:${i}/#`), 'q:x']);
  });

  it('refuses an empty or non-string name with STORE_INVALID', () => {
    for (const bad of [['q:a', ''], ['q:a', 7 as unknown as string]]) {
      assert.throws(() => distinctQueues(bad), (e: unknown) => e instanceof StoreError && e.code === 'STORE_INVALID');
    }
  });
});
