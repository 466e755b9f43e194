import { noiseAt } from '@causeway/shared';
import type { DeviceProfile } from './profile.js';
import { gga, rmc, type Fix } from './nmea-sentences.js';

/** A closed route (lat, lon) the vehicle drives round, one leg per 50 fixes. */
export const ROUTE: readonly [number, number][] = [
  [52.3702, 4.8952],
  [52.3791, 4.9003],
  [52.3731, 4.9215],
  [52.3598, 4.9121],
];
const FIXES_PER_LEG = 50;
/** the base time tests pass (`--epoch`) so a run is reproducible; each fix is one second later */
export const GPS_EPOCH = Date.UTC(2026, 0, 15, 8, 0, 0);

/** Position, speed and course of fix `seq` along ROUTE, with ±noise metres of jitter, taken at `ts`. */
export function gpsFix(seq: number, seed: number, noise: number, ts = GPS_EPOCH + seq * 1000): Fix {
  const leg = Math.floor(seq / FIXES_PER_LEG) % ROUTE.length;
  const k = (seq % FIXES_PER_LEG) / FIXES_PER_LEG;
  const [aLat, aLon] = ROUTE[leg]!;
  const [bLat, bLon] = ROUTE[(leg + 1) % ROUTE.length]!;
  const jitter = (noise * (2 * noiseAt(seed, seq) - 1)) / 111_000; // metres → degrees (latitude)
  const lat = aLat + (bLat - aLat) * k + jitter;
  const lon = aLon + (bLon - aLon) * k;
  const dy = (bLat - aLat) * 111_000;
  const dx = (bLon - aLon) * 111_000 * Math.cos((aLat * Math.PI) / 180);
  const legMetres = Math.hypot(dx, dy);
  const course = ((Math.atan2(dx, dy) * 180) / Math.PI + 360) % 360;
  return { ts, lat, lon, speed: legMetres / FIXES_PER_LEG, course, alt: 2 + (seq % 7), sats: 7 + (seq % 5), hdop: 0.9 };
}

/** A vehicle tracker: a GGA and an RMC sentence per fix, as u-blox receivers send by default. */
export const vehicleGps: DeviceProfile = {
  name: 'gps',
  protocol: 'nmea',
  lines: (seq, seed, noise, state) => {
    // A live run (the demo) carries the current time; a test gives --epoch for reproducible fixes.
    const f = gpsFix(seq, seed, noise, state.epochMs === undefined ? Date.now() : state.epochMs + seq * 1000);
    return [gga(f), rmc(f)];
  },
};
