import assert from 'node:assert/strict';
import { GPS_EPOCH, vehicleGps } from '../../src/profiles/vehicle-gps.js';

/** RMC's date and time fields (hhmmss.ss, ddmmyy) → ms since the epoch, to the second. */
function rmcTime(line: string): number {
  const f = line.split(',');
  const [hh, mi, ss] = [f[1]!.slice(0, 2), f[1]!.slice(2, 4), f[1]!.slice(4, 6)].map(Number);
  const [dd, mo, yy] = [f[9]!.slice(0, 2), f[9]!.slice(2, 4), f[9]!.slice(4, 6)].map(Number);
  return Date.UTC(2000 + yy!, mo! - 1, dd!, hh!, mi!, ss!);
}

describe('firmware-sim/profiles/vehicle-gps: fix times', () => {
  const state = { intervalMs: 1000, relay: false, seq: 0 };
  it('a live run carries the current time (issue 24: the demo showed January 2026)', () => {
    const rmc = vehicleGps.lines(42, 1, 0, state).find((l) => l.startsWith('$GPRMC'))!;
    assert.ok(Math.abs(rmcTime(rmc) - Date.now()) < 5_000, rmc);
  });

  it('--epoch gives reproducible times, one second per fix', () => {
    const rmc = vehicleGps.lines(42, 1, 0, { ...state, epochMs: GPS_EPOCH }).find((l) => l.startsWith('$GPRMC'))!;
    assert.equal(rmcTime(rmc), GPS_EPOCH + 42_000);
  });
});
