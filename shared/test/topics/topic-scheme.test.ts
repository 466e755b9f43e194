import assert from 'node:assert/strict';
import { downlinkFilters, formatTopic, parseTopic, type CausewayTopic } from '../../src/topics/topic-scheme.js';
import { validateId, MAX_ID_BYTES } from '../../src/topics/topic-id.js';
import { parseSharedSubscription } from '../../src/topics/shared-subscription.js';
import { TopicError } from '../../src/errors/topic-error.js';

const ROUND_TRIP: Array<[CausewayTopic, string]> = [
  [{ kind: 'telemetry', gateway: 'gw1', device: 'therm-1', stream: 'temp' }, 'telemetry/gw1/therm-1/temp'],
  [{ kind: 'events', gateway: 'gw1', device: 'therm-1', type: 'high-temp' }, 'events/gw1/therm-1/high-temp'],
  [{ kind: 'cmd-result', gateway: 'gw1', device: 'relay', commandId: 'c-42' }, 'cmd-result/gw1/relay/c-42'],
  [{ kind: 'config-reported', gateway: 'gw1' }, 'config-reported/gw1'],
  [{ kind: 'status', gateway: 'gw1' }, 'status/gw1'],
  [{ kind: 'cmd', gateway: 'gw1', device: 'relay', commandId: 'c-42' }, 'cmd/gw1/relay/c-42'],
  [{ kind: 'cmd-group', group: 'north', commandId: 'c-43' }, 'cmd-group/north/c-43'],
  [{ kind: 'cmd-all', commandId: 'c-44' }, 'cmd-all/c-44'],
  [{ kind: 'config', gateway: 'gw1' }, 'config/gw1'],
];

const BAD_TOPICS: Array<[string, RegExp]> = [
  ['weather/gw1', /not a Causeway queue/],
  ['telemetry/gw1/dev', /4 levels/],
  ['telemetry/gw1/dev/temp/extra', /4 levels/],
  ['telemetry//dev/temp', /gateway id must not be empty/],
  ['status/gw+1', /wildcard/],
  ['cmd-all/#', /wildcard/],
  ['config/' + 'x'.repeat(MAX_ID_BYTES + 1), /longer than/],
];

describe('shared/topics/topic-scheme', () => {
  for (const [topic, text] of ROUND_TRIP) {
    it(`formats and parses ${text}`, () => {
      assert.equal(formatTopic(topic), text);
      assert.deepEqual(parseTopic(text), topic);
    });
  }
  for (const [text, msg] of BAD_TOPICS) {
    it(`rejects ${JSON.stringify(text.slice(0, 40))}`, () => {
      assert.throws(() => parseTopic(text), (e: unknown) => e instanceof TopicError && msg.test(e.message));
    });
  }
  it('refuses to format a topic with an invalid id', () => {
    assert.throws(() => formatTopic({ kind: 'status', gateway: 'a/b' }), /must not contain "\/"/);
  });
  it('lists the downlink filters of a gateway', () => {
    assert.deepEqual(downlinkFilters('gw1', ['north']), ['cmd/gw1/+/+', 'cmd-group/north/+', 'cmd-all/+', 'config/gw1', 'file-chunk/gw1/+', 'cert/gw1']);
  });

  const IDS: Array<[unknown, boolean]> = [
    ['gw-1', true],
    ['Gerät_7', true],
    ['x'.repeat(MAX_ID_BYTES), true],
    ['é'.repeat(MAX_ID_BYTES / 2 + 1), false], // bytes, not characters
    ['', false],
    ['a+b', false],
    ['a#', false],
    ['a/b', false],
    ['a\u0000', false],
    ['tab\there', false],
    ['\u007f', false],
    [42, false],
    [undefined, false],
  ];
  for (const [id, ok] of IDS) {
    it(`validateId ${ok ? 'accepts' : 'rejects'} ${JSON.stringify(id)?.slice(0, 30)}`, () => {
      if (ok) validateId(id, 'id');
      else assert.throws(() => validateId(id, 'id'), TopicError);
    });
  }

  it('parses shared subscriptions', () => {
    assert.deepEqual(parseSharedSubscription('$share/backend/telemetry/#'), { group: 'backend', filter: 'telemetry/#' });
    assert.equal(parseSharedSubscription('telemetry/#'), undefined);
    assert.throws(() => parseSharedSubscription('$share/g'), TopicError);
    assert.throws(() => parseSharedSubscription('$share//a'), TopicError);
    assert.throws(() => parseSharedSubscription('$share/g+/a'), TopicError);
    assert.throws(() => parseSharedSubscription('$share/g/a/#/b'), TopicError);
  });
});
