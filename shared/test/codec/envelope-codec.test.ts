import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import * as cborg from 'cborg';
import { decodeEnvelope, encodeEnvelope, tryDecodeEnvelope, decodeRaw } from '../../src/codec/envelope-codec.js';
import { contentTypeOf, sniffFormat, FRAME_MAGIC } from '../../src/codec/content-type.js';
import { DecodeError } from '../../src/errors/decode-error.js';
import type { Envelope, ReadingBatch } from '../../src/envelopes/types.js';

const batch: ReadingBatch = {
  v: 1,
  type: 'batch',
  id: 'e1-100',
  gateway: 'gw1',
  device: 'therm-1',
  stream: 'temp',
  readings: [
    { seq: 100, ts: 1_700_000_000_000, value: 21.5, unit: 'C' },
    { seq: 101, ts: 1_700_000_001_000, value: 21.75, quality: 0 },
  ],
};

const SAMPLES: Envelope[] = [
  batch,
  { v: 1, type: 'reading', id: 'r1', gateway: 'gw1', device: 'd', stream: 's', seq: 1, ts: 1, value: 'on' },
  { v: 1, type: 'event', id: 'ev1', gateway: 'gw1', device: 'd', event: 'high-temp', severity: 'alarm', ts: 5, data: { value: 90 } },
  { v: 1, type: 'command', id: 'c1', name: 'set-relay', args: { on: true }, device: 'relay', issuedAt: 10, expiresAt: 20 },
  { v: 1, type: 'command-result', id: 'cr1', commandId: 'c1', gateway: 'gw1', device: 'relay', status: 'SUCCEEDED', ts: 11, output: { ok: 1 } },
  { v: 1, type: 'config', version: 3, issuedAt: 12, config: { ingest: { ports: [] } } },
  { v: 1, type: 'config-reported', id: 'k1', gateway: 'gw1', version: 3, status: 'REJECTED', ts: 13, error: { key: 'ingest.ports', message: 'bad' } },
  { v: 1, type: 'status', gateway: 'gw1', online: false, ts: 14 },
  {
    v: 1,
    type: 'status',
    gateway: 'gw1',
    online: true,
    ts: 15,
    agentVersion: '0.1.0',
    health: { uptimeSeconds: 3, outbox: { records: 2, bytes: 80, oldestAgeSeconds: 1 }, evictions: 0, expiries: 0, diskFreeBytes: 1e9, memFreeBytes: 1e8, rssBytes: 5e7, ports: [{ path: '/dev/ttyUSB0', device: 'th-1', open: true, opens: 1, disconnects: 0 }], lastUplinkError: { message: 'connack timeout', at: 9 }, configVersion: 4 },
  },
];

const FORMATS = [
  { codec: 'json', deflate: false },
  { codec: 'json', deflate: true },
  { codec: 'cbor', deflate: false },
  { codec: 'cbor', deflate: true },
] as const;

describe('shared/codec/envelope-codec', () => {
  for (const fmt of FORMATS) {
    for (const env of SAMPLES) {
      it(`round-trips a ${env.type} as ${contentTypeOf(fmt)}`, () => {
        const bytes = encodeEnvelope(env, fmt);
        assert.deepEqual(decodeEnvelope(bytes), env);
        const sniffed = sniffFormat(bytes);
        assert.equal(sniffed.codec, fmt.codec);
        assert.equal(sniffed.deflate, fmt.deflate);
      });
    }
  }

  it('writes plain JSON unframed so humans can read it, and frames everything else', () => {
    assert.equal(encodeEnvelope(batch).toString('utf8')[0], '{');
    assert.equal(encodeEnvelope(batch, { codec: 'cbor' })[0], FRAME_MAGIC);
  });

  it('CBOR+deflate is much smaller than JSON for a realistic batch', () => {
    const big: ReadingBatch = { ...batch, readings: Array.from({ length: 200 }, (_, i) => ({ seq: i, ts: 1_700_000_000_000 + i * 100, value: 20 + (i % 7) / 4 })) };
    const json = encodeEnvelope(big).length;
    const packed = encodeEnvelope(big, { codec: 'cbor', deflate: true }).length;
    assert.ok(packed * 3 < json, `cbor+deflate ${packed} vs json ${json}`);
  });

  it('deflateMinBytes: a body under it goes uncompressed (the frame says so), one at or over it is deflated', () => {
    const big: ReadingBatch = { ...batch, readings: Array.from({ length: 50 }, (_, i) => ({ seq: i, ts: 1_700_000_000_000 + i * 100, value: 20 + (i % 7) / 4 })) };
    for (const [env, deflated] of [[batch, false], [big, true]] as const) {
      const bytes = encodeEnvelope(env, { codec: 'cbor', deflate: true, deflateMinBytes: 256 });
      assert.equal(sniffFormat(bytes).deflate, deflated);
      assert.deepEqual(decodeEnvelope(bytes), env);
      assert.deepEqual(encodeEnvelope(env, { codec: 'cbor', deflate: true, deflateMinBytes: 256 }), bytes, 'the same body, the same frame');
    }
  });

  const REJECTS: Array<[string, Uint8Array, string]> = [
    ['empty input', Buffer.alloc(0), 'DECODE_TRUNCATED'],
    ['a frame without a body', Buffer.from([FRAME_MAGIC, 0x02]), 'DECODE_TRUNCATED'],
    ['unknown frame version', Buffer.from([FRAME_MAGIC, 0x22, 0xa0]), 'DECODE_UNKNOWN_VERSION'],
    ['unknown codec', Buffer.from([FRAME_MAGIC, 0x07, 0xa0]), 'DECODE_UNKNOWN_CONTENT_TYPE'],
    ['text that is not JSON', Buffer.from('hello'), 'DECODE_UNKNOWN_CONTENT_TYPE'],
    ['truncated JSON', Buffer.from('{"v":1,"type":"sta'), 'DECODE_TRUNCATED'],
    ['invalid UTF-8 in JSON', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'DECODE_MALFORMED'],
    ['JSON with an unknown contract version', Buffer.from('{"v":2,"type":"status"}'), 'DECODE_UNKNOWN_VERSION'],
    ['JSON of the wrong type', Buffer.from('{"v":1,"type":"status","gateway":"g","online":"yes","ts":1}'), 'DECODE_BAD_TYPE'],
    ['an unknown envelope type', Buffer.from('{"v":1,"type":"teleport"}'), 'DECODE_BAD_TYPE'],
    ['a status whose health backlog is a string (issue 20)', Buffer.from('{"v":1,"type":"status","gateway":"g","online":true,"ts":1,"health":{"uptimeSeconds":1,"outbox":{"records":"many","bytes":1,"oldestAgeSeconds":1},"evictions":0,"expiries":0,"diskFreeBytes":1,"memFreeBytes":1,"rssBytes":1,"ports":[],"configVersion":0}}'), 'DECODE_BAD_TYPE'],
    ['a status whose health has no ports list', Buffer.from('{"v":1,"type":"status","gateway":"g","online":true,"ts":1,"health":{"uptimeSeconds":1,"outbox":{"records":1,"bytes":1,"oldestAgeSeconds":1},"evictions":0,"expiries":0,"diskFreeBytes":1,"memFreeBytes":1,"rssBytes":1,"configVersion":0}}'), 'DECODE_BAD_TYPE'],
    ['a batch with no readings', Buffer.from('{"v":1,"type":"batch","id":"a","gateway":"g","device":"d","stream":"s","readings":[]}'), 'DECODE_BAD_TYPE'],
    ['a reading with a NaN-like value', encodeEnvelope({ ...batch, readings: [{ seq: 1, ts: 1, value: 'x' }] }, { codec: 'json' }).toString().replace('"x"', '{}') as unknown as Uint8Array, 'DECODE_BAD_TYPE'],
    ['a batch with a wildcard in the device id', Buffer.from(JSON.stringify({ ...batch, device: 'd/+' })), 'DECODE_BAD_TYPE'],
    ['truncated CBOR', encodeEnvelope(batch, { codec: 'cbor' }).subarray(0, 20), 'DECODE_TRUNCATED'],
    ['corrupt deflate', Buffer.concat([Buffer.from([FRAME_MAGIC, 0x12]), Buffer.from('not deflate at all')]), 'DECODE_MALFORMED'],
    ['an oversized payload', Buffer.alloc(300 * 1024, 0x7b), 'DECODE_OVERSIZED'],
    ['a zip bomb', Buffer.concat([Buffer.from([FRAME_MAGIC, 0x11]), deflateRawSync(Buffer.alloc(8 * 1024 * 1024, 0x20))]), 'DECODE_OVERSIZED'],
    ['CBOR with duplicate keys', Buffer.concat([Buffer.from([FRAME_MAGIC, 0x02]), Buffer.from([0xa2, 0x61, 0x76, 0x01, 0x61, 0x76, 0x01])]), 'DECODE_MALFORMED'],
    // issue 23 item 2: prototype keys anywhere in an envelope, JSON or CBOR (cborg makes them own keys)
    ['JSON with __proto__ in event data', Buffer.from('{"v":1,"type":"event","id":"e","gateway":"g","device":"d","event":"x","severity":"info","ts":1,"data":{"a":{"__proto__":{"polluted":1}}}}'), 'DECODE_UNSAFE_KEY'],
    ['JSON with constructor in command args', Buffer.from('{"v":1,"type":"command","id":"c","name":"n","args":{"constructor":{"prototype":{}}},"issuedAt":1}'), 'DECODE_UNSAFE_KEY'],
    ['CBOR with __proto__ at the top', Buffer.concat([Buffer.from([FRAME_MAGIC, 0x02]), cborg.encode(new Map<string, unknown>([['v', 1], ['type', 'status'], ['__proto__', { polluted: 1 }]]))]), 'DECODE_UNSAFE_KEY'],
    ['CBOR with prototype in a reading', Buffer.concat([Buffer.from([FRAME_MAGIC, 0x02]), cborg.encode({ ...batch, readings: [new Map<string, unknown>([['seq', 1], ['prototype', 1]])] })]), 'DECODE_UNSAFE_KEY'],
    ['CBOR that is not a map', Buffer.concat([Buffer.from([FRAME_MAGIC, 0x02]), cborg.encode([1, 2, 3])]), 'DECODE_BAD_TYPE'],
  ];
  for (const [what, bytes, code] of REJECTS) {
    it(`rejects ${what} with ${code}`, () => {
      const input = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
      assert.throws(() => decodeEnvelope(input), (e: unknown) => e instanceof DecodeError && e.code === code);
    });
  }

  it('honours a smaller maxBytes', () => {
    const bytes = encodeEnvelope(batch);
    assert.throws(() => decodeRaw(bytes, { maxBytes: 10 }), (e: unknown) => e instanceof DecodeError && e.reason === 'OVERSIZED');
  });

  it('survives 20,000 random and mutated inputs with only DecodeErrors (fuzz)', function () {
    this.timeout(60_000);
    let seed = 0xc0ffee;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const seeds = FORMATS.flatMap((f) => SAMPLES.map((e) => encodeEnvelope(e, f)));
    let ok = 0;
    let rejected = 0;
    const started = Date.now();
    for (let i = 0; i < 20_000; i++) {
      let input: Buffer;
      if (i % 2 === 0) {
        input = Buffer.from(Array.from({ length: rnd(64) }, () => rnd(256)));
        if (i % 6 === 0 && input.length > 1) input[0] = FRAME_MAGIC; // reach the framed paths
        if (i % 10 === 0 && input.length > 0) input[0] = 0x7b;
      } else {
        input = Buffer.from(seeds[rnd(seeds.length)]!);
        const flips = 1 + rnd(4);
        for (let k = 0; k < flips; k++) input[rnd(input.length)] = rnd(256);
        if (rnd(3) === 0) input = input.subarray(0, rnd(input.length));
      }
      const r = tryDecodeEnvelope(input);
      if (r.ok) ok++;
      else {
        assert.ok(r.error instanceof DecodeError);
        rejected++;
      }
      // tryDecode never throws; decode throws only DecodeError
      try {
        decodeEnvelope(input);
      } catch (err) {
        assert.ok(err instanceof DecodeError, `non-DecodeError for input ${input.toString('hex')}: ${String(err)}`);
      }
    }
    assert.equal(ok + rejected, 20_000);
    assert.ok(rejected > 10_000);
    assert.ok(Date.now() - started < 55_000, 'no hang');
  });
});
