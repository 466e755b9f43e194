import assert from 'node:assert/strict';
import { gga, rmc, toNmeaCoord } from '../../src/profiles/nmea-sentences.js';
import { gpsFix } from '../../src/profiles/vehicle-gps.js';
import { nmea } from '@causeway/edge/ingest/protocols/nmea.js';

describe('firmware-sim/profiles/nmea-sentences', () => {
  const coords: [number, boolean, [string, string]][] = [
    [48.1173, true, ['4807.0380', 'N']],
    [-33.85, true, ['3351.0000', 'S']],
    [11.516667, false, ['01131.0000', 'E']],
    [-151.21, false, ['15112.6000', 'W']],
    [0, true, ['0000.0000', 'N']],
    [52.99999999, true, ['5300.0000', 'N']],
  ];
  for (const [deg, isLat, want] of coords) it(`${deg} → ${want.join(',')}`, () => assert.deepEqual(toNmeaCoord(deg, isLat), want));

  it('every simulated fix parses back with the edge parser (checksums right, values within rounding)', () => {
    for (let k = 0; k < 400; k += 7) {
      const f = gpsFix(k, 3, 5);
      for (const s of [gga(f), rmc(f)]) {
        const r = nmea.parse(Buffer.from(s));
        assert.ok(r.ok, `${s}: ${JSON.stringify(r)}`);
        if (!r.ok) continue;
        const v = Object.fromEntries(r.fields.map((x) => [x.name, x.value])) as Record<string, number>;
        assert.ok(Math.abs(v.lat! - f.lat) < 2e-6 && Math.abs(v.lon! - f.lon) < 2e-6, s);
      }
    }
  });
});
