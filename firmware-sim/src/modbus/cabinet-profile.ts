import { mapBank, type RegisterBank } from './register-bank.js';

/** A register map for simulated Modbus slaves: one bank per unit id. */
export interface ModbusProfile {
  readonly name: string;
  bank(unit: number): RegisterBank;
}

const float32Words = (v: number): [number, number] => {
  const b = Buffer.alloc(4);
  b.writeFloatBE(v, 0);
  return [b.readUInt16BE(0), b.readUInt16BE(2)];
};

/**
 * A roadside cabinet's power meter / controller, the same map on every unit with values derived from the
 * unit id so a test can tell the slaves apart:
 *
 * | table | address | type | value (unit u) |
 * | --- | --- | --- | --- |
 * | input | 0–1 | float32 ABCD | supply voltage 230 + u/10 V |
 * | input | 2 | int16 ×0.1 | cabinet temperature 20 + u/10 °C (200 + u) |
 * | input | 3–4 | uint32 CDAB | energy 100000·u + 12345 Wh |
 * | input | 5 | bits | status: bit 0 mains ok, bit 2 fan on (0b101) |
 * | holding | 100 | uint16 | fan set point, % (50), writable |
 * | holding | 101 | uint16 | firmware version (0x0102), read-only |
 * | holding | 102–103 | float32 ABCD | heater set point 5.0 °C, writable (a 32-bit write is fc 16) |
 * | coil | 0 | bit | heater relay (off), writable |
 * | coil | 1–2 | bit | cabinet light, sign power (off), writable (one fc 15 write sets 0–2 together) |
 * | coil | 3 | bit | mains contactor (on), read-only |
 * | discrete | 0 | bit | door open: u odd |
 */
export const roadsideCabinet: ModbusProfile = {
  name: 'roadside-cabinet',
  bank(u) {
    const [v0, v1] = float32Words(230 + u / 10);
    const [h0, h1] = float32Words(5);
    const energy = 100000 * u + 12345;
    return mapBank({
      input: new Map([[0, v0], [1, v1], [2, 200 + u], [3, energy & 0xffff], [4, Math.floor(energy / 0x10000)], [5, 0b101]]),
      holding: new Map([[100, 50], [101, 0x0102], [102, h0], [103, h1]]),
      coil: new Map([[0, 0], [1, 0], [2, 0], [3, 1]]),
      discrete: new Map([[0, u % 2]]),
      writable: { holding: new Set([100, 102, 103]), coil: new Set([0, 1, 2]) },
    });
  },
};

export const MODBUS_PROFILES: Readonly<Record<string, ModbusProfile>> = { 'roadside-cabinet': roadsideCabinet };
