import { noiseAt } from '@causeway/shared';
import { type DeviceProfile, round } from './profile.js';

/** RMS (mm/s), peak and dominant frequency for message `seq`; a fault episode every 200 messages. */
export function vibrationValues(seq: number, seed: number, noise: number): { rms: number; peak: number; freq: number } {
  const fault = seq % 200 >= 150;
  const rms = round((fault ? 7.5 : 1.8) + noise * (2 * noiseAt(seed, seq) - 1), 3);
  return { rms, peak: round(rms * 1.41 + (fault ? 2 : 0), 3), freq: fault ? 120 : 50 };
}

/** `seq=12 rms=1.812 peak=2.555 freq=50` key=value lines of a machine vibration sensor. */
export const vibration: DeviceProfile = {
  name: 'vibration',
  protocol: 'kv',
  lines: (seq, seed, noise) => {
    const v = vibrationValues(seq, seed, noise);
    return [`seq=${seq} rms=${v.rms} peak=${v.peak} freq=${v.freq}`];
  },
};
