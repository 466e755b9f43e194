import assert from 'node:assert/strict';
import qlobber from 'qlobber';
import { matchTopic, TopicTrie, validateTopicFilter, validateTopicName } from '@causeway/shared';
import { EDGE_PAIRS, fleetFilters, fleetTopics, seededRandom } from '../lib/fleet.js';
import { checkSameMatches, MatchMismatchError } from '../topic-match.js';

const MQTT = { separator: '/', wildcard_one: '+', wildcard_some: '#', match_empty_levels: true };
const shape = { gateways: 50, devicesPerGateway: 10 };

describe('bench topic-match data and agreement check', () => {
  it('generates the same valid filters and topics for the same seed', () => {
    const f = fleetFilters(500, shape, 7);
    const t = fleetTopics(500, shape, 8);
    assert.deepEqual(fleetFilters(500, shape, 7), f);
    assert.notDeepEqual(fleetFilters(500, shape, 9), f);
    assert.equal(f.length, 500);
    for (const x of f) validateTopicFilter(x);
    for (const x of t) validateTopicName(x);
    assert.ok(f.some((x) => x.endsWith('/#')) && f.some((x) => x.includes('/+/')));
    const r = seededRandom(1);
    assert.ok(Array.from({ length: 100 }, r).every((v) => v >= 0 && v < 1));
  });

  it('passes when TopicTrie and qlobber agree on fleet traffic', () => {
    const trie = new TopicTrie<number>();
    const q = new qlobber.Qlobber<number>(MQTT);
    fleetFilters(500, shape).forEach((f, i) => {
      trie.add(f, i);
      q.add(f, i);
    });
    const total = checkSameMatches(fleetTopics(2000, shape), (t) => trie.match(t), (t) => q.match(t));
    assert.ok(total >= 2000, 'the "#" subscriber alone matches every topic');
  });

  it('aborts with MatchMismatchError naming the topic when one side answers differently', () => {
    const trie = new TopicTrie<number>();
    trie.add('a/+', 1);
    trie.add('a/#', 2);
    // A matcher without the parent-level rule: "a/#" does not match "a".
    const wrong = (t: string): number[] => (t === 'a' ? [] : trie.match(t));
    assert.throws(() => checkSameMatches(['a/b', 'a'], (t) => trie.match(t), wrong), (err: unknown) => err instanceof MatchMismatchError && /topic "a"/.test(err.message));
  });

  it('agrees with qlobber on every edge pair the benchmark checks', () => {
    for (const [f, t] of EDGE_PAIRS) {
      assert.equal(matchTopic(f, t), new qlobber.QlobberTrue(MQTT).add(f).test(t), `${f} vs ${t}`);
    }
  });
});
