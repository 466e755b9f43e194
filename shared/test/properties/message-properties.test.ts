import assert from 'node:assert/strict';
import {
  fromUserProperties,
  joinQueue,
  propertiesFor,
  splitQueue,
  toUserProperties,
  ROOT_QUEUE,
} from '../../src/properties/message-properties.js';
import { TopicError } from '../../src/errors/topic-error.js';

describe('shared/properties/message-properties', () => {
  const SPLITS: Array<[string, string, string | undefined]> = [
    ['telemetry/gw1/dev1/temp', 'telemetry', '/gw1/dev1/temp'],
    ['status/gw1', 'status', '/gw1'],
    ['alerts', 'alerts', undefined],
    ['a/', 'a', '/'],
  ];
  for (const [topic, queue, second] of SPLITS) {
    it(`splits ${topic} into queue ${queue} and mqttSecondTopic ${second}`, () => {
      const s = splitQueue(topic);
      assert.equal(s.queue, queue);
      assert.equal(s.mqttSecondTopic, second);
      assert.equal(joinQueue(queue, second), topic);
    });
  }
  // An empty first level is valid MQTT (issue 15): such topics feed the `_root` queue, whole topic as mqttSecondTopic.
  const ROOTED: Array<[string, string]> = [
    ['/TopicA', '/TopicA'],
    ['/sensors/x/temp', '/sensors/x/temp'],
    ['/', '/'],
    ['//', '//'],
  ];
  for (const [topic, second] of ROOTED) {
    it(`an empty first level: ${topic} feeds queue _root with mqttSecondTopic ${second}`, () => {
      const s = splitQueue(topic);
      assert.equal(s.queue, ROOT_QUEUE);
      assert.equal(s.mqttSecondTopic, second);
      assert.equal(joinQueue(ROOT_QUEUE, second), topic);
    });
  }
  it('a topic whose first level is literally _root feeds the same queue; mqttRealTopic tells them apart', () => {
    assert.deepEqual(splitQueue('_root/x'), { queue: ROOT_QUEUE, mqttSecondTopic: '/x' });
    assert.equal(fromUserProperties(ROOT_QUEUE, { mqttRealTopic: '_root/x' }).mqttRealTopic, '_root/x');
    assert.equal(fromUserProperties(ROOT_QUEUE, { mqttSecondTopic: '/x' }).mqttRealTopic, '/x');
  });
  it('derives the properties of an empty-first-level topic', () => {
    assert.deepEqual(propertiesFor('/sensors/x', { qos: 0 }), { qoslevel: 0, cleansessionflag: true, mqttRealTopic: '/sensors/x', mqttSecondTopic: '/sensors/x' });
  });
  it('refuses an empty queue name', () => {
    assert.throws(() => joinQueue('', '/a'), TopicError);
  });

  it('derives properties with the documented defaults', () => {
    assert.deepEqual(propertiesFor('telemetry/gw1/d/t'), {
      qoslevel: 1,
      cleansessionflag: true,
      mqttRealTopic: 'telemetry/gw1/d/t',
      mqttSecondTopic: '/gw1/d/t',
    });
    assert.deepEqual(propertiesFor('status/gw1', { qos: 0, clientId: 'gw1', cleanSession: false }), {
      qoslevel: 0,
      cleansessionflag: false,
      mqttRealTopic: 'status/gw1',
      mqttSecondTopic: '/gw1',
      clientId: 'gw1',
    });
  });

  it('round-trips through MQTT 5 user properties', () => {
    const p = propertiesFor('cmd/gw1/relay/c1', { qos: 2, clientId: 'ops', cleanSession: false });
    const up = toUserProperties(p);
    assert.deepEqual(Object.values(up).every((v) => typeof v === 'string'), true);
    assert.deepEqual(fromUserProperties('cmd', up), p);
  });

  it('builds the real topic from queue + mqttSecondTopic when mqttRealTopic is absent (backend → device)', () => {
    const p = fromUserProperties('cmd', { mqttSecondTopic: '/gw7/relay/c9' });
    assert.equal(p.mqttRealTopic, 'cmd/gw7/relay/c9');
    assert.equal(p.qoslevel, 1);
    assert.equal(p.cleansessionflag, true);
  });

  const BAD: Array<Record<string, string>> = [
    { mqttSecondTopic: 'no-leading-slash' },
    { mqttSecondTopic: '/a/+' },
    { mqttSecondTopic: '/a', qoslevel: '3' },
    { mqttSecondTopic: '/a', cleansessionflag: 'yes' },
  ];
  for (const raw of BAD) {
    it(`rejects ${JSON.stringify(raw)}`, () => {
      assert.throws(() => fromUserProperties('cmd', raw), TopicError);
    });
  }
});
