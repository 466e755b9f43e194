import { encodeSpn, J1939_SPNS, j1939Id, type CanFrame } from '@causeway/shared/can/index.js';

/** What a simulated vehicle reports; a profile is its state over time. */
export interface VehicleState {
  engineRpm: number;
  speedKmh: number;
  fuelPct: number;
  coolantC: number;
  /** a proprietary battery message (id 0x400) for DBC decoding: pack voltage and state of charge */
  packV: number;
  socPct: number;
}

export interface VehicleProfile {
  /** state at `ms` since the adapter opened */
  at(ms: number): VehicleState;
}

/**
 * `city-bus`: a bus cruising at 1500 rpm and 88.5 km/h with 80 % fuel (steady, so tests can check the
 * exact values), its battery pack at 400 V and 80 %. `idle`: parked with the engine running.
 */
export const VEHICLE_PROFILES: Record<string, VehicleProfile> = {
  'city-bus': { at: () => ({ engineRpm: 1500, speedKmh: 88.5, fuelPct: 80, coolantC: 83, packV: 400, socPct: 80 }) },
  idle: { at: () => ({ engineRpm: 700, speedKmh: 0, fuelPct: 42.4, coolantC: 90, packV: 395.5, socPct: 61 }) },
};

const spn = (n: number) => J1939_SPNS.find((s) => s.spn === n)!;
const ENGINE_SA = 0x00;
const BODY_SA = 0x17;

/** One broadcast cycle on the bus: J1939 EEC1, CCVS1, DD, and the battery message 0x400. Pure. */
export function vehicleFrames(s: VehicleState): CanFrame[] {
  const pgnFrame = (pgn: number, sa: number, priority: number, fill: (d: Uint8Array) => void): CanFrame => {
    const data = new Uint8Array(8).fill(0xff);
    fill(data);
    return { id: j1939Id(pgn, sa, priority), extended: true, remote: false, dlc: 8, data };
  };
  const battery = new Uint8Array(4);
  const dv = Math.round(s.packV * 10);
  battery[0] = dv >> 8; // PackVoltage: Motorola 16 bits at 7, 0.1 V
  battery[1] = dv & 0xff;
  battery[2] = Math.round(s.socPct * 2); // SoC: Intel 8 bits at 16, 0.5 %
  battery[3] = 0;
  return [
    pgnFrame(61444, ENGINE_SA, 3, (d) => encodeSpn(spn(190), s.engineRpm, d)),
    pgnFrame(65265, BODY_SA, 6, (d) => encodeSpn(spn(84), s.speedKmh, d)),
    pgnFrame(65276, BODY_SA, 6, (d) => encodeSpn(spn(96), s.fuelPct, d)),
    { id: 0x400, extended: false, remote: false, dlc: 4, data: battery },
  ];
}

/** The DBC that describes the battery message (the e2e test and docs/field-buses.md use it). */
export const BATTERY_DBC = `VERSION ""

BU_: BMS

BO_ 1024 Battery: 4 BMS
 SG_ PackVoltage : 7|16@0+ (0.1,0) [0|1000] "V" Vector__XXX
 SG_ SoC : 16|8@1+ (0.5,0) [0|100] "%" Vector__XXX
`;
