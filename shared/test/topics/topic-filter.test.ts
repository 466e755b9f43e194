import assert from 'node:assert/strict';
import { isValidTopicFilter, isValidTopicName, matchTopic, validateTopicFilter } from '../../src/topics/topic-filter.js';
import { TopicError } from '../../src/errors/topic-error.js';

// [filter, topic, expected] — MQTT 3.1.1 §4.7 / MQTT 5 §4.7 examples plus edge cases.
const MATCHES: Array<[string, string, boolean]> = [
  ['sport/tennis/player1', 'sport/tennis/player1', true],
  ['sport/tennis/player1', 'sport/tennis/player2', false],
  ['sport/tennis/player1', 'sport/tennis/player1/ranking', false],
  ['sport/tennis/player1/#', 'sport/tennis/player1', true], // parent level [MQTT-4.7.1-2]
  ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
  ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
  ['sport/#', 'sport', true],
  ['sport/#', 'sports', false],
  ['#', 'sport/tennis', true],
  ['#', '/', true],
  ['sport/tennis/+', 'sport/tennis/player1', true],
  ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
  ['sport/+', 'sport', false],
  ['sport/+', 'sport/', true], // empty level matches +
  ['+/+', '/finance', true],
  ['/+', '/finance', true],
  ['+', '/finance', false],
  ['+', 'finance', true],
  ['+/tennis/#', 'sport/tennis/player1', true],
  ['+/tennis/#', 'sport/tennis', true],
  ['+/tennis/#', 'sport/golf', false],
  ['a/b/c', 'a/b', false],
  ['a/b', 'a/b/c', false],
  ['a//b', 'a//b', true],
  ['a/+/b', 'a//b', true],
  ['a/+/+', 'a/b', false],
  ['telemetry/+/+/temp', 'telemetry/gw1/dev1/temp', true],
  ['telemetry/+/+/temp', 'telemetry/gw1/dev1/humidity', false],
  ['cmd/gw1/#', 'cmd/gw1/dev/42', true],
  ['cmd/gw1/#', 'cmd/gw10/dev/42', false],
  // $-topics are not matched by a wildcard at the first level [MQTT-4.7.2-1]
  ['#', '$SYS/broker/uptime', false],
  ['+/monitor/Clients', '$SYS/monitor/Clients', false],
  ['$SYS/#', '$SYS/monitor/Clients', true],
  ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
  ['$SYS/+', '$SYS', false],
  ['a/#', 'a/$b', true], // $ only matters at the first level
  ['ab', 'a', false],
  ['a', 'ab', false],
  ['a/b#', 'a/b', false],
];

describe('shared/topics/topic-filter', () => {
  describe('matchTopic', () => {
    for (const [filter, topic, expected] of MATCHES) {
      it(`${JSON.stringify(filter)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(topic)}`, () => {
        assert.equal(matchTopic(filter, topic), expected);
      });
    }
  });

  const NAMES: Array<[string, boolean]> = [
    ['a/b', true],
    ['/', true],
    ['a//b', true],
    ['$SYS/x', true],
    ['', false],
    ['a/+', false],
    ['a/#', false],
    ['a\u0000b', false],
    ['x'.repeat(65535), true],
    ['x'.repeat(65536), false],
    ['\ud800', false], // lone surrogate: not encodable UTF-8
    ['température/°C', true],
  ];
  describe('validateTopicName', () => {
    for (const [name, ok] of NAMES) {
      it(`${ok ? 'accepts' : 'rejects'} ${JSON.stringify(name.length > 20 ? name.slice(0, 10) + `…(${name.length})` : name)}`, () => {
        assert.equal(isValidTopicName(name), ok);
      });
    }
  });

  const FILTERS: Array<[string, boolean]> = [
    ['#', true],
    ['+', true],
    ['a/+/b', true],
    ['a/#', true],
    ['+/+/#', true],
    ['', false],
    ['a/#/b', false],
    ['a#', false],
    ['a/b#', false],
    ['a+', false],
    ['a/+b', false],
    ['a\u0000', false],
    ['$share/g/a/+', true], // syntactically a normal filter; parseSharedSubscription gives it meaning
  ];
  describe('validateTopicFilter', () => {
    for (const [filter, ok] of FILTERS) {
      it(`${ok ? 'accepts' : 'rejects'} ${JSON.stringify(filter)}`, () => {
        assert.equal(isValidTopicFilter(filter), ok);
      });
    }
    it('throws a TopicError with code FILTER_INVALID that names the rule', () => {
      assert.throws(() => validateTopicFilter('a/#/b'), (e: unknown) => e instanceof TopicError && e.code === 'FILTER_INVALID' && /MQTT-4.7.1-2/.test(e.message));
    });
  });
});
