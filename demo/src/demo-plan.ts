/**
 * What the demo runs: two gateways (a bus and a roadside unit) with simulated serial sensors, wired with
 * a few pre-processing rules. Pure data, so the test and the README describe the same stack.
 */
export interface DemoDevice {
  device: string;
  profile: 'thermometer' | 'vibration' | 'gps' | 'roadside-unit';
  rate: number;
  port: Record<string, unknown>;
}

export interface DemoGateway {
  id: string;
  group: string;
  devices: DemoDevice[];
  rules: Array<Record<string, unknown>>;
}

export const DEMO_GATEWAYS: readonly DemoGateway[] = [
  {
    id: 'gw-bus-1',
    group: 'vehicles',
    devices: [
      { device: 'gps-1', profile: 'gps', rate: 1, port: { protocol: { type: 'nmea' }, streams: { lat: 'lat', lon: 'lon', speed: 'speed', fix: '', valid: '', sats: '', hdop: '', alt: '', course: '' } } },
      { device: 'vib-1', profile: 'vibration', rate: 20, port: { protocol: { type: 'kv' }, streams: { seq: '', rms: 'rms', peak: 'peak', freq: 'freq' } } },
    ],
    // 20 Hz vibration RMS → one summary (mean, max) per second
    rules: [{ device: 'vib-1', stream: 'rms', pipeline: [{ type: 'window', ms: 1000, stats: ['mean', 'max'] }] }],
  },
  {
    id: 'gw-rsu-1',
    group: 'roadside',
    devices: [
      { device: 'th-1', profile: 'thermometer', rate: 5, port: { protocol: { type: 'json' }, streams: { temp: 'temp', relay: '' } } },
      { device: 'rsu-1', profile: 'roadside-unit', rate: 2, port: { protocol: { type: 'csv', columns: ['seq', 'vehicles', 'speedAvg', 'roadTemp'] }, ack: 'ACK {seq}' } },
    ],
    rules: [
      { device: 'th-1', stream: 'temp', pipeline: [{ type: 'deadband', absolute: 0.05, heartbeatMs: 10_000 }] },
      { device: 'rsu-1', stream: 'roadTemp', pipeline: [{ type: 'threshold', low: 0, hysteresis: 0.5, event: 'ice-risk' }] },
    ],
  },
];
