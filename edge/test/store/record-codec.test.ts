import assert from 'node:assert/strict';
import * as cborg from 'cborg';
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

  it('writes the same bytes as cborg for every kind of value (the direct encoder, issue 16)', () => {
    const values = [0, -0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, -24, -25, -256, -257, -65537, -(2 ** 32), -(2 ** 32) - 1, -(2 ** 53 - 1), 2 ** 53, -(2 ** 53), 1e21,
      1.5, 0.1, 20.1, -20.1, 1e300, -1e-300, 5e-324, 3.4e38, 65504, 65505, 1e-7, 0.5, 'on', '', 'x'.repeat(23), 'x'.repeat(24), 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(300), 'é', '°C', '\ud800', 'a\u0000b', '\u007f', true, false, null];
    let n = 0;
    const same = (r: Parameters<typeof encodeReadingBody>[0]): void => {
      const want = Buffer.from(cborg.encode([r.ts, r.value, r.unit ?? null, r.quality ?? null]));
      assert.deepEqual(encodeReadingBody(r), want, JSON.stringify(r));
      n++;
    };
    for (const ts of [0, 23, 24, 1_700_000_000_000, 2 ** 53 - 1]) {
      for (const value of values) {
        for (const unit of [undefined, 'C', 'x'.repeat(30), '°C', '']) {
          for (const quality of [undefined, 0, 23, 24, 255]) same({ device: 'd', stream: 's', ts, value, ...(unit === undefined ? {} : { unit }), ...(quality === undefined ? {} : { quality }) });
        }
      }
    }
    // random numbers of every width: doubles, integers up to 2^40, floats exact in 32 bits, halves
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 20_000; i++) {
      const value = [rnd() * 1e6 - 5e5, Math.floor(rnd() * 2 ** 40) - 2 ** 39, rnd(), Math.fround(rnd() * 100), Math.round(rnd() * 2000) / 2, 20 + (i % 100) / 10][i % 6]!;
      same({ device: 'd', stream: 's', ts: 1_700_000_000_000 + i, value, unit: 'C' });
    }
    assert.ok(n > 25_000);
  });

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
