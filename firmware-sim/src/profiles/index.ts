import type { DeviceProfile } from './profile.js';
import { thermometer } from './thermometer.js';
import { vibration } from './vibration.js';
import { vehicleGps } from './vehicle-gps.js';
import { roadsideUnit } from './roadside-unit.js';

export const PROFILES: Readonly<Record<string, DeviceProfile>> = {
  thermometer,
  vibration,
  gps: vehicleGps,
  'roadside-unit': roadsideUnit,
};

export type { DeviceProfile, DeviceState } from './profile.js';
