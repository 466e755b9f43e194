import assert from 'node:assert/strict';
import { TopicSet } from '../../src/topics/topic-set.js';
import { matchTopic } from '../../src/topics/topic-filter.js';

describe('shared/topics/topic-set', () => {
  it('returns the topics a filter matches, with + and # and the parent level of #', () => {
    const s = new TopicSet();
    for (const t of ['a', 'a/b', 'a/b/c', 'a/x', 'b/b', '/lead', 'a//c']) s.add(t);
    assert.deepEqual(s.match('a/+').sort(), ['a/b', 'a/x']);
    assert.deepEqual(s.match('a/#').sort(), ['a', 'a/b', 'a/b/c', 'a/x', 'a//c'].sort());
    assert.deepEqual(s.match('+/b').sort(), ['a/b', 'b/b']);
    assert.deepEqual(s.match('a/+/c').sort(), ['a//c', 'a/b/c']);
    assert.deepEqual(s.match('a/b'), ['a/b']);
    assert.deepEqual(s.match('+/lead'), ['/lead']);
    assert.deepEqual(s.match('nothing/+'), []);
  });

  it('does not match $-topics with first-level wildcards', () => {
    const s = new TopicSet();
    s.add('$SYS/load');
    s.add('status/gw1');
    assert.deepEqual(s.match('#'), ['status/gw1']);
    assert.deepEqual(s.match('+/load'), []);
    assert.deepEqual(s.match('$SYS/#'), ['$SYS/load']);
  });

  it('add and delete are idempotent, delete prunes, size follows', () => {
    const s = new TopicSet();
    assert.equal(s.add('a/b/c'), true);
    assert.equal(s.add('a/b/c'), false);
    assert.equal(s.add('a/b'), true);
    assert.equal(s.size, 2);
    assert.equal(s.delete('a/b/c'), true);
    assert.equal(s.delete('a/b/c'), false);
    assert.equal(s.delete('a'), false);
    assert.equal(s.has('a/b'), true);
    assert.equal(s.has('a/b/c'), false);
    assert.deepEqual(s.match('a/#'), ['a/b']);
    assert.equal(s.delete('a/b'), true);
    assert.equal(s.size, 0);
    assert.deepEqual(s.match('#'), []);
  });

  it('rejects an invalid filter', () => {
    assert.throws(() => new TopicSet().match('a/#/b'), { code: 'FILTER_INVALID' });
  });

  it('agrees with matchTopic on random topics and filters', () => {
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const level = (): string => ['a', 'b', '', '$s', 'c'][rnd(5)]!;
    const topics = new Set<string>();
    for (let i = 0; i < 300; i++) topics.add(Array.from({ length: 1 + rnd(4) }, level).join('/'));
    const s = new TopicSet();
    for (const t of topics) s.add(t);
    for (let i = 0; i < 300; i++) {
      const levels = Array.from({ length: 1 + rnd(4) }, () => (rnd(3) === 0 ? '+' : level()));
      if (rnd(3) === 0) levels.push('#');
      const filter = levels.join('/');
      if (filter === '') continue; // not a valid filter
      const expected = [...topics].filter((t) => matchTopic(filter, t)).sort();
      assert.deepEqual(s.match(filter).sort(), expected, filter);
    }
  });
});
