import assert from 'node:assert/strict';
import * as cborg from 'cborg';
import { BAIL, fastDecodeCbor } from '../../src/codec/cbor-fast-decode.js';
import { prng } from '../../src/random/prng.js';

// The options envelopes are decoded with (envelope-codec.ts): what the fast path must agree with.
const OPTS = { rejectDuplicateMapKeys: true, useMaps: false, allowUndefined: false } as const;

/** cborg's answer: its value, or that it threw. */
function reference(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: cborg.decode(bytes, OPTS) };
  } catch {
    return { ok: false };
  }
}

/** The fast path agrees when it gives cborg's value, or leaves the bytes to cborg (BAIL). */
function assertAgrees(bytes: Uint8Array, what: string): unknown {
  const fast = fastDecodeCbor(bytes);
  if (fast === BAIL) return BAIL;
  const ref = reference(bytes);
  assert.ok(ref.ok, `${what}: the fast path decoded bytes cborg refuses: ${Buffer.from(bytes).toString('hex')}`);
  assert.deepStrictEqual(fast, ref.value, `${what}: ${Buffer.from(bytes).toString('hex')}`);
  return fast;
}

function randomValue(rand: () => number, depth: number): unknown {
  const pick = Math.floor(rand() * (depth > 3 ? 7 : 9));
  switch (pick) {
    case 0:
      return Math.floor(rand() * 2 ** (Math.floor(rand() * 53))) * (rand() < 0.3 ? -1 : 1);
    case 1:
      return [0.5, -0, 1.1, 3.4028234663852886e38, 1e-7, 65504, 5.960464477539063e-8, NaN, Infinity, -Infinity, rand() * 1e6][Math.floor(rand() * 11)];
    case 2:
      return ['', 'a', 'degC', '°C', 'gw-17', 'x'.repeat(40), '日本', '😀', 'é'.repeat(20)][Math.floor(rand() * 9)];
    case 3:
      return [true, false, null][Math.floor(rand() * 3)];
    case 4:
      return new Uint8Array(Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 256)));
    case 5:
      return Number.MAX_SAFE_INTEGER * (rand() < 0.5 ? 1 : -1);
    case 6:
      return 2 ** 32 + Math.floor(rand() * 1000);
    case 7:
      return Array.from({ length: Math.floor(rand() * 6) }, () => randomValue(rand, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 6); i > 0; i--) o[['v', 'id', 'ts', 'value', 'readings', 'k' + i, 'ünï'][Math.floor(rand() * 7)]!] = randomValue(rand, depth + 1);
      return o;
    }
  }
}

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));

describe('codec/cbor-fast-decode', () => {
  it('decodes a batch envelope as cborg does, without leaving it to cborg', () => {
    const env = { v: 1, type: 'batch', id: 'b-1', gateway: 'gw', device: 'd', stream: 's', readings: Array.from({ length: 50 }, (_, i) => ({ seq: i, ts: 1_764_990_000_000 + i, value: 20 + i / 7, unit: '°C', quality: i % 3 === 0 ? 0 : 192 })) };
    const v = assertAgrees(cborg.encode(env), 'batch');
    assert.notEqual(v, BAIL);
    assert.deepStrictEqual(v, env);
  });

  it('agrees with cborg on 3,000 random values, and decodes nearly all of them itself', () => {
    const rand = prng(20261206);
    let own = 0;
    for (let i = 0; i < 3000; i++) {
      const value = randomValue(rand, 0);
      if (assertAgrees(cborg.encode(value), `value ${i}`) !== BAIL) own++;
    }
    assert.ok(own > 2900, `decoded ${own} of 3000 itself`);
  });

  it('agrees with cborg on 20,000 corrupted encodings (bytes flipped, cut, appended)', () => {
    const rand = prng(7);
    for (let i = 0; i < 20_000; i++) {
      const good = cborg.encode(randomValue(rand, 0));
      let bytes = Uint8Array.from(good);
      const how = i % 3;
      if (how === 0 && bytes.length > 0) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      else if (how === 1) bytes = bytes.subarray(0, Math.floor(rand() * bytes.length));
      else bytes = Uint8Array.from([...bytes, Math.floor(rand() * 256)]);
      assertAgrees(bytes, `corruption ${i}`);
    }
  });

  it('leaves to cborg what it does not handle itself: cborg then decides', () => {
    const cases: Record<string, string> = {
      'indefinite array': '9f 01 02 ff',
      'indefinite text': '7f 61 61 ff',
      tag: 'c1 1a 514b67b0',
      undefined: 'f7',
      'simple value 16': 'f0',
      'integer past 2^53': '1b 0020000000000000',
      'negative integer -2^53': '3b 001fffffffffffff',
      'duplicate key': 'a2 61 61 01 61 61 02',
      '__proto__ key': 'a1 69 5f5f70726f746f5f5f 01',
      'integer key': 'a1 01 02',
      'invalid UTF-8': '62 c3 28',
      'truncated map': 'a2 61 61 01',
      'trailing byte': '01 01',
      'reserved info 28': '1c',
      empty: '',
    };
    for (const [what, h] of Object.entries(cases)) {
      assert.equal(fastDecodeCbor(hex(h)), BAIL, what);
    }
    // nesting past 64 levels: cborg's answer, not a stack overflow here
    assert.equal(fastDecodeCbor(new Uint8Array([...new Array(100).fill(0x81), 0x01])), BAIL);
  });

  it('reads half, single and double floats and every integer width', () => {
    assert.equal(fastDecodeCbor(hex('f9 3c00')), 1);
    assert.equal(fastDecodeCbor(hex('f9 0001')), 5.960464477539063e-8);
    assert.ok(Object.is(fastDecodeCbor(hex('f9 8000')), -0));
    assert.ok(Number.isNaN(fastDecodeCbor(hex('f9 7e00'))));
    assert.equal(fastDecodeCbor(hex('fa 47c35000')), 100000);
    assert.equal(fastDecodeCbor(hex('fb 3ff199999999999a')), 1.1);
    assert.equal(fastDecodeCbor(hex('18 ff')), 255);
    assert.equal(fastDecodeCbor(hex('19 ffff')), 65535);
    assert.equal(fastDecodeCbor(hex('1a ffffffff')), 4294967295);
    assert.equal(fastDecodeCbor(hex('1b 001fffffffffffff')), Number.MAX_SAFE_INTEGER);
    assert.equal(fastDecodeCbor(hex('3b 001ffffffffffffe')), -Number.MAX_SAFE_INTEGER);
    assert.equal(fastDecodeCbor(hex('38 63')), -100);
  });
});
