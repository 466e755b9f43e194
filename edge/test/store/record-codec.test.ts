import assert from 'node:assert/strict';
import { checkEvent, checkReading, decodeEventBody, decodeReadingBody, encodeEventBody, encodeReadingBody } from '../../src/store/record-codec.js';

describe('store/record-codec', () => {
  const readings: Array<[string, Parameters<typeof encodeReadingBody>[0], object]> = [
    ['number', { device: 'd', stream: 's', ts: 1, value: 21.5 }, { seq: 7, ts: 1, value: 21.5 }],
    ['string + unit + quality', { device: 'd', stream: 's', ts: 2, value: 'on', unit: 'state', quality: 3 }, { seq: 7, ts: 2, value: 'on', unit: 'state', quality: 3 }],
    ['null', { device: 'd', stream: 's', ts: 3, value: null }, { seq: 7, ts: 3, value: null }],
    ['boolean', { device: 'd', stream: 's', ts: 4, value: false }, { seq: 7, ts: 4, value: false }],
  ];
  for (const [name, input, want] of readings) {
    it(`round-trips a ${name} reading compactly`, () => {
      const body = encodeReadingBody(input);
      assert.ok(body.length < 24 + (input.unit?.length ?? 0), `${body.length} bytes`);
      assert.deepEqual(decodeReadingBody(7, body), want);
    });
  }

  it('round-trips an event', () => {
    assert.deepEqual(decodeEventBody(encodeEventBody({ device: 'd', event: 'e', severity: 'alarm', ts: 5, data: { a: 1 } })), { ts: 5, severity: 'alarm', data: { a: 1 } });
    assert.deepEqual(decodeEventBody(encodeEventBody({ device: 'd', event: 'e', severity: 'info', ts: 5 })), { ts: 5, severity: 'info' });
  });

  const bad: Array<[string, unknown]> = [
    ['not an object', 5],
    ['device with /', { device: 'a/b', stream: 's', ts: 1, value: 1 }],
    ['empty stream', { device: 'a', stream: '', ts: 1, value: 1 }],
    ['float ts', { device: 'a', stream: 's', ts: 1.5, value: 1 }],
    ['Infinity', { device: 'a', stream: 's', ts: 1, value: Infinity }],
    ['object value', { device: 'a', stream: 's', ts: 1, value: {} }],
    ['quality 256', { device: 'a', stream: 's', ts: 1, value: 1, quality: 256 }],
    ['unknown priority', { device: 'a', stream: 's', ts: 1, value: 1, priority: 'urgent' }],
  ];
  for (const [name, r] of bad) {
    it(`refuses a reading: ${name}`, () => assert.throws(() => checkReading(r), { code: 'INPUT_INVALID' }));
  }
  it('refuses an event with a bad severity or data', () => {
    assert.throws(() => checkEvent({ device: 'd', event: 'e', severity: 'meh', ts: 1 }), { code: 'INPUT_INVALID' });
    assert.throws(() => checkEvent({ device: 'd', event: 'e', severity: 'info', ts: 1, data: [] }), { code: 'INPUT_INVALID' });
    // issue 23 item 2: the cloud would refuse the envelope, so it never enters the outbox
    assert.throws(() => checkEvent({ device: 'd', event: 'e', severity: 'info', ts: 1, data: JSON.parse('{"a":{"__proto__":{}}}') }), { code: 'INPUT_INVALID', message: /data\.a\.__proto__/ });
  });
});
