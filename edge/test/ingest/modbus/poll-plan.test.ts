import assert from 'node:assert/strict';
import { planReads } from '../../../src/ingest/modbus/poll-plan.js';
import type { ModbusPoint } from '../../../src/ingest/modbus/modbus-config.js';

const pt = (stream: string, fc: ModbusPoint['fc'], address: number, extra: Partial<ModbusPoint> = {}): ModbusPoint => ({ stream, fc, address, ...extra });
const shape = (ps: ModbusPoint[], gap = 0): string[] => planReads(ps, gap).map((r) => `fc${r.fc}@${r.address}+${r.count}:${r.points.map((p) => `${p.point.stream}#${p.index}`).join(',')}`);

describe('ingest/modbus/poll-plan', () => {
  it('contiguous registers become one read, in address order', () => {
    assert.deepEqual(shape([pt('c', 3, 3, { type: 'float32' }), pt('a', 3, 0), pt('b', 3, 1, { type: 'int32' })]), ['fc3@0+5:a#0,b#1,c#3']);
  });
  it('a gap splits the read unless maxGap allows it', () => {
    const ps = [pt('a', 3, 0), pt('b', 3, 3)];
    assert.deepEqual(shape(ps), ['fc3@0+1:a#0', 'fc3@3+1:b#0']);
    assert.deepEqual(shape(ps, 2), ['fc3@0+4:a#0,b#3']);
    assert.deepEqual(shape(ps, 1), ['fc3@0+1:a#0', 'fc3@3+1:b#0']);
  });
  it('function codes are never mixed', () => {
    assert.deepEqual(shape([pt('h', 3, 0), pt('i', 4, 1), pt('c', 1, 0), pt('d', 2, 0), pt('c2', 1, 1)]), ['fc1@0+2:c#0,c2#1', 'fc2@0+1:d#0', 'fc3@0+1:h#0', 'fc4@1+1:i#0']);
  });
  it('bit fields of one register share it', () => {
    assert.deepEqual(shape([pt('s0', 3, 10, { bit: 0 }), pt('s1', 3, 10, { bit: 1 }), pt('w', 3, 10)]), ['fc3@10+1:s0#0,s1#0,w#0']);
  });
  it('a read never exceeds 125 registers', () => {
    const ps = Array.from({ length: 130 }, (_, i) => pt(`r${i}`, 4, i));
    const reads = planReads(ps);
    assert.deepEqual(reads.map((r) => [r.address, r.count]), [[0, 125], [125, 5]]);
  });
  it('a two-register value is not split across the 125 limit', () => {
    const ps = [...Array.from({ length: 124 }, (_, i) => pt(`r${i}`, 3, i)), pt('f', 3, 124, { type: 'float32' })];
    assert.deepEqual(planReads(ps).map((r) => [r.address, r.count]), [[0, 124], [124, 2]]);
  });
  it('coils coalesce up to 2000', () => {
    const ps = Array.from({ length: 2001 }, (_, i) => pt(`c${i}`, 2, i));
    assert.deepEqual(planReads(ps).map((r) => [r.address, r.count]), [[0, 2000], [2000, 1]]);
  });
});
