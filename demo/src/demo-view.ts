/** One frame of the demo's live view, as text. Pure: the demo passes what it measured. */
export interface GatewayRow {
  gateway: string;
  link: 'up' | 'down' | '?';
  readingsPerSecond: number;
  outboxRecords: number;
  oldestAgeSeconds: number;
  evicted: number;
  lastAckAgeSeconds?: number;
}

export interface ViewState {
  elapsedSeconds: number;
  gateways: GatewayRow[];
  telemetryStored: number;
  commandsRunning: number;
  commandsDone: number;
}

export function renderView(s: ViewState): string {
  const pad = (v: string | number, n: number): string => String(v).padEnd(n);
  const lines = [
    `causeway demo — ${s.elapsedSeconds.toFixed(0)} s — telemetry stored in the cloud: ${s.telemetryStored} batches — commands running: ${s.commandsRunning}, finished: ${s.commandsDone}`,
    `${pad('GATEWAY', 12)}${pad('LINK', 6)}${pad('READINGS/S', 12)}${pad('OUTBOX', 8)}${pad('OLDEST(s)', 11)}${pad('EVICTED', 9)}LAST ACK`,
    ...s.gateways.map(
      (g) =>
        `${pad(g.gateway, 12)}${pad(g.link, 6)}${pad(g.readingsPerSecond.toFixed(1), 12)}${pad(g.outboxRecords, 8)}${pad(g.oldestAgeSeconds.toFixed(1), 11)}${pad(g.evicted, 9)}${g.lastAckAgeSeconds === undefined ? '-' : `${g.lastAckAgeSeconds.toFixed(1)} s ago`}`,
    ),
  ];
  return lines.join('\n');
}
