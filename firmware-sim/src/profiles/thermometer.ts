import { noiseAt } from '@causeway/shared';
import { type DeviceProfile, round } from './profile.js';

/** °C for message `seq`: a slow daily-like swing around 21 °C plus uniform noise of ±noise. */
export function thermometerValue(seq: number, seed: number, noise: number): number {
  return round(21 + 4 * Math.sin(seq / 25) + noise * (2 * noiseAt(seed, seq) - 1), 2);
}

/** JSON lines `{"seq":12,"temp":21.37}` — the common hobbyist/industrial USB sensor. */
export const thermometer: DeviceProfile = {
  name: 'thermometer',
  protocol: 'json',
  lines: (seq, seed, noise, st) => [JSON.stringify({ seq, temp: thermometerValue(seq, seed, noise), relay: st.relay })],
};
