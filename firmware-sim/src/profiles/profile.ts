/** The state a device keeps between lines: commands change it. */
export interface DeviceState {
  intervalMs: number;
  relay: boolean;
  seq: number;
  /** time of message 0 for profiles that carry a time (GPS), each next one a second later; absent: the current time (issue 24) */
  epochMs?: number;
}

/**
 * A simulated device type: what line it sends for message number `seq`, deterministic in (seed, seq)
 * so a test can compute what was sent. `line` has no terminator; the runner adds "\n".
 */
export interface DeviceProfile {
  readonly name: string;
  /** what the edge must be configured with for this device */
  readonly protocol: 'json' | 'kv' | 'csv' | 'nmea';
  /** CSV column names (for the edge's protocol.columns) */
  readonly columns?: readonly string[];
  /** lines for one tick (a GPS sends GGA and RMC together) */
  lines(seq: number, seed: number, noise: number, state: DeviceState): string[];
  /** the device retransmits until `ACK <seq>` comes back (roadside unit) */
  readonly wantsAck?: boolean;
}

export const round = (v: number, decimals: number): number => {
  const p = 10 ** decimals;
  return Math.round(v * p) / p;
};
