import { noiseAt } from '@causeway/shared';
import { type DeviceProfile, round } from './profile.js';

export const ROADSIDE_COLUMNS = ['seq', 'vehicles', 'speedAvg', 'roadTemp'] as const;

export function roadsideValues(seq: number, seed: number, noise: number): { vehicles: number; speedAvg: number; roadTemp: number } {
  const n = noiseAt(seed, seq);
  return { vehicles: Math.floor(n * 30), speedAvg: round(70 + 15 * Math.sin(seq / 10) + noise * (2 * n - 1), 1), roadTemp: round(3 - seq * 0.01, 2) };
}

/** CSV rows `seq,vehicles,speedAvg,roadTemp`; expects `ACK <seq>` for every row (retransmit otherwise). */
export const roadsideUnit: DeviceProfile = {
  name: 'roadside-unit',
  protocol: 'csv',
  columns: ROADSIDE_COLUMNS,
  wantsAck: true,
  lines: (seq, seed, noise) => {
    const v = roadsideValues(seq, seed, noise);
    return [`${seq},${v.vehicles},${v.speedAvg},${v.roadTemp}`];
  },
};
