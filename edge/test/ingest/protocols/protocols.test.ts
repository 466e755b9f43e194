import assert from 'node:assert/strict';
import type { ParseResult, Protocol } from '../../../src/ingest/protocols/protocol.js';
import { jsonLines } from '../../../src/ingest/protocols/json-lines.js';
import { keyValue } from '../../../src/ingest/protocols/key-value.js';
import { csv } from '../../../src/ingest/protocols/csv.js';
import { nmea, nmeaChecksum } from '../../../src/ingest/protocols/nmea.js';

/** What a case expects: the fields as name→value, or a refusal reason. */
type Want = { fields: Record<string, unknown>; ts?: number; seq?: string } | { reason: string };

function check(p: Protocol, input: string | Buffer, want: Want): void {
  const r: ParseResult = p.parse(typeof input === 'string' ? Buffer.from(input) : input);
  if ('reason' in want) {
    assert.equal(r.ok, false, `expected refusal ${want.reason}, got ${JSON.stringify(r)}`);
    if (!r.ok) assert.equal(r.reason, want.reason, r.detail);
    return;
  }
  assert.equal(r.ok, true, JSON.stringify(r));
  if (!r.ok) return;
  const got: Record<string, unknown> = {};
  for (const f of r.fields) got[f.name] = f.value;
  assert.deepEqual(got, want.fields);
  assert.equal(r.ts, want.ts);
  assert.equal(r.seq, want.seq);
}

const garbage = Buffer.from([0xc3, 0x28, 0x61, 0xff]);

describe('ingest/protocols/json-lines', () => {
  const table: [string, string | Buffer, Want][] = [
    ['flat numbers', '{"temp":21.5,"hum":40}', { fields: { temp: 21.5, hum: 40 } }],
    ['seq and ts taken out', '{"seq":7,"ts":1700000000000,"temp":1}', { fields: { temp: 1 }, ts: 1700000000000, seq: '7' }],
    ['nested flattened', '{"env":{"hum":40,"p":{"x":1}}}', { fields: { 'env.hum': 40, 'env.p.x': 1 } }],
    ['booleans and strings kept', '{"door":true,"mode":"eco"}', { fields: { door: true, mode: 'eco' } }],
    ['null skipped', '{"a":null,"b":2}', { fields: { b: 2 } }],
    ['array refused', '{"a":[1,2]}', { reason: 'non-numeric' }],
    ['bad ts refused', '{"ts":"yesterday","a":1}', { reason: 'non-numeric' }],
    ['top-level array refused', '[1,2]', { reason: 'malformed' }],
    ['truncated line refused', '{"temp":21.', { reason: 'malformed' }],
    ['not JSON', 'hello', { reason: 'malformed' }],
    ['a __proto__ key refused (issue 23 item 2)', '{"temp":1,"__proto__":{"x":2}}', { reason: 'malformed' }],
    ['a nested constructor key refused', '{"env":{"constructor":{"prototype":1}}}', { reason: 'malformed' }],
    ['invalid UTF-8', garbage, { reason: 'invalid-utf8' }],
  ];
  for (const [name, input, want] of table) it(name, () => check(jsonLines, input, want));
});

describe('ingest/protocols/key-value', () => {
  const kv = keyValue();
  const table: [string, string | Buffer, Want][] = [
    ['spaces', 'temp=21.5 hum=40', { fields: { temp: 21.5, hum: 40 } }],
    ['commas and semicolons', 'a=1,b=-2;c=3e2', { fields: { a: 1, b: -2, c: 300 } }],
    ['seq kept as text, ts as number', 'seq=A7 ts=5 x=1', { fields: { x: 1 }, ts: 5, seq: 'A7' }],
    ['booleans', 'relay=true', { fields: { relay: true } }],
    ['non-numeric value', 'temp=abc hum=4', { reason: 'non-numeric' }],
    ['empty value', 'temp= hum=4', { reason: 'non-numeric' }],
    ['NaN refused', 'temp=NaN', { reason: 'non-numeric' }],
    ['Infinity refused', 'temp=Infinity', { reason: 'non-numeric' }],
    ['no equals sign', 'temp 21', { reason: 'malformed' }],
    ['only separators', ' , ; ', { reason: 'malformed' }],
    ['invalid UTF-8', garbage, { reason: 'invalid-utf8' }],
  ];
  for (const [name, input, want] of table) it(name, () => check(kv, input, want));
});

describe('ingest/protocols/csv', () => {
  const p = csv({ columns: ['seq', 'temp', '-', 'hum'] });
  const table: [string, string | Buffer, Want][] = [
    ['row mapped by header, skipped column', '3,21.5,x,40', { fields: { temp: 21.5, hum: 40 }, seq: '3' }],
    ['empty cell skipped', '4,,x,41', { fields: { hum: 41 }, seq: '4' }],
    ['too few columns (cut line)', '5,21.5', { reason: 'malformed' }],
    ['too many columns (merged lines)', '5,1,x,2,6,1,x,2', { reason: 'malformed' }],
    ['header row refused', 'seq,temp,-,hum', { reason: 'malformed' }],
    ['non-numeric cell', '6,warm,x,40', { reason: 'non-numeric' }],
    ['invalid UTF-8', garbage, { reason: 'invalid-utf8' }],
  ];
  for (const [name, input, want] of table) it(name, () => check(p, input, want));
  it('semicolon separator', () => check(csv({ columns: ['a', 'b'], separator: ';' }), '1;2', { fields: { a: 1, b: 2 } }));
});

describe('ingest/protocols/nmea', () => {
  const s = (body: string): string => `$${body}*${nmeaChecksum(body)}`;
  const ggaBody = 'GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,';
  const rmcBody = 'GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W';
  it('checksum of the textbook GGA sentence is 47', () => assert.equal(nmeaChecksum(ggaBody), '47'));
  const table: [string, string | Buffer, Want][] = [
    ['GGA to decimal degrees', s(ggaBody), { fields: { fix: 1, lat: 48 + 7.038 / 60, lon: 11 + 31 / 60, sats: 8, hdop: 0.9, alt: 545.4 } }],
    ['GGA southern/western hemisphere', s('GNGGA,000000,3351.000,S,15112.600,W,2,05,1.2,10.0,M,,M,,'), { fields: { fix: 2, lat: -(33 + 51 / 60), lon: -(151 + 12.6 / 60), sats: 5, hdop: 1.2, alt: 10 } }],
    ['GGA without fix has no position', s('GPGGA,000000,,,,,0,00,,,M,,M,,'), { fields: { fix: 0, sats: 0 } }],
    ['RMC speed in m/s and UTC time', s(rmcBody), { fields: { valid: true, lat: 48 + 7.038 / 60, lon: 11 + 31 / 60, speed: 11.524, course: 84.4 }, ts: Date.UTC(1994, 2, 23, 12, 35, 19) }],
    ['RMC void status', s('GPRMC,010203.50,V,,,,,,,010125,,'), { fields: { valid: false }, ts: Date.UTC(2025, 0, 1, 1, 2, 3, 500) }],
    ['lowercase checksum accepted', `$${ggaBody}*${nmeaChecksum(ggaBody).toLowerCase()}`, { fields: { fix: 1, lat: 48 + 7.038 / 60, lon: 11 + 31 / 60, sats: 8, hdop: 0.9, alt: 545.4 } }],
    ['bad checksum', `$${ggaBody}*48`, { reason: 'bad-checksum' }],
    ['one flipped digit caught by the checksum', `$${ggaBody.replace('4807', '4817')}*47`, { reason: 'bad-checksum' }],
    ['missing checksum', `$${ggaBody}`, { reason: 'bad-checksum' }],
    ['unsupported sentence', s('GPGSV,3,1,11,03,03,111,00'), { reason: 'unsupported' }],
    ['minutes >= 60', s('GPGGA,1,4867.0,N,01131.000,E,1,08,0.9,545.4,M,,M,,'), { reason: 'malformed' }],
    ['bad hemisphere', s('GPGGA,1,4807.038,X,01131.000,E,1,08,0.9,545.4,M,,M,,'), { reason: 'malformed' }],
    ['fix quality not a number', s('GPGGA,1,4807.038,N,01131.000,E,x,08,0.9,545.4,M,,M,,'), { reason: 'non-numeric' }],
    ['speed not a number', s('GPRMC,123519,A,4807.038,N,01131.000,E,fast,084.4,230394,,'), { reason: 'non-numeric' }],
    ['too few fields (partial sentence)', s('GPGGA,123519,4807.038'), { reason: 'malformed' }],
    ['plain text', 'hello world', { reason: 'malformed' }],
    ['invalid UTF-8', garbage, { reason: 'invalid-utf8' }],
  ];
  for (const [name, input, want] of table) it(name, () => check(nmea, input, want));
});
