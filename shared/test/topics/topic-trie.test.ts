import assert from 'node:assert/strict';
import { TopicTrie } from '../../src/topics/topic-trie.js';
import { matchTopic } from '../../src/topics/topic-filter.js';

describe('shared/topics/topic-trie', () => {
  it('returns every value whose filter matches, once each', () => {
    const t = new TopicTrie<string>();
    t.add('a/b', 'exact');
    t.add('a/+', 'plus');
    t.add('a/#', 'hash');
    t.add('#', 'all');
    t.add('a/+', 'exact'); // same value under a second filter → still reported once
    assert.deepEqual(t.match('a/b').sort(), ['all', 'exact', 'hash', 'plus']);
    assert.deepEqual(t.match('a').sort(), ['all', 'hash']);
    assert.deepEqual(t.match('b/c'), ['all']);
  });

  it('does not match $-topics with first-level wildcards', () => {
    const t = new TopicTrie<number>();
    t.add('#', 1);
    t.add('+/x', 2);
    t.add('$SYS/#', 3);
    assert.deepEqual(t.match('$SYS/x'), [3]);
  });

  it('add is idempotent and remove prunes', () => {
    const t = new TopicTrie<string>();
    assert.equal(t.add('a/+/c', 'v'), true);
    assert.equal(t.add('a/+/c', 'v'), false);
    assert.equal(t.size, 1);
    assert.equal(t.remove('a/+/c', 'w'), false);
    assert.equal(t.remove('a/+/c', 'v'), true);
    assert.equal(t.size, 0);
    assert.deepEqual(t.match('a/b/c'), []);
    assert.equal(t.remove('x/y', 'v'), false);
  });

  it('agrees with matchTopic on a randomized corpus', () => {
    // Seeded (mulberry32) so a failure reproduces.
    let seed = 0x5eed;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const levels = ['a', 'b', 'c', '', '$x'];
    const pick = (n: number): string => levels[Math.floor(random() * n)]!;
    const filters = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const depth = 1 + Math.floor(random() * 4);
      const parts: string[] = [];
      for (let d = 0; d < depth; d++) {
        const r = random();
        parts.push(r < 0.2 ? '+' : pick(4));
      }
      if (random() < 0.2) parts.push('#');
      const f = parts.join('/');
      if (f !== '') filters.add(f);
    }
    const t = new TopicTrie<string>();
    for (const f of filters) t.add(f, f);
    for (let i = 0; i < 2000; i++) {
      const depth = 1 + Math.floor(random() * 5);
      const topic = Array.from({ length: depth }, (_, d) => (d === 0 ? pick(5) : pick(4))).join('/');
      const expected = [...filters].filter((f) => matchTopic(f, topic)).sort();
      assert.deepEqual(t.match(topic).sort(), expected, `topic ${JSON.stringify(topic)}`);
      assert.equal(t.hasMatch(topic), expected.length > 0, `hasMatch ${JSON.stringify(topic)}`);
    }
  });
});
