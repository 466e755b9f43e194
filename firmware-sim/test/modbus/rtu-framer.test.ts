import assert from 'node:assert/strict';
import { RtuFramer, rtuFrame } from '../../src/modbus/rtu-framer.js';

const req = (unit: number, ...pdu: number[]): Buffer => rtuFrame(unit, Buffer.from(pdu));

describe('modbus/rtu-framer', () => {
  it('cuts back-to-back requests, whatever the chunking', () => {
    const bytes = Buffer.concat([req(1, 3, 0, 0, 0, 2), req(2, 16, 0, 100, 0, 2, 4, 0, 1, 0, 2), req(3, 5, 0, 0, 0xff, 0)]);
    for (const size of [1, 3, 7, bytes.length]) {
      const f = new RtuFramer();
      const got = [];
      for (let i = 0; i < bytes.length; i += size) got.push(...f.push(bytes.subarray(i, i + size)));
      assert.deepEqual(got.map((r) => [r.unit, r.pdu.toString('hex')]), [[1, '0300000002'], [2, '10006400020400010002'], [3, '050000ff00']], `chunk ${size}`);
      assert.equal(f.crcErrors, 0);
    }
  });
  it('a corrupted frame is counted and the next good one still comes through', () => {
    const bad = req(1, 3, 0, 0, 0, 2);
    bad[bad.length - 1]! ^= 0x55;
    const f = new RtuFramer();
    const got = f.push(Buffer.concat([bad, req(7, 4, 0, 10, 0, 1)]));
    assert.deepEqual(got.map((r) => r.unit), [7]);
    assert.ok(f.crcErrors >= 1);
  });
  it('rtuFrame appends the CRC low byte first', () => {
    assert.equal(req(1, 3, 0, 0, 0, 1).toString('hex'), '010300000001840a');
  });
});
