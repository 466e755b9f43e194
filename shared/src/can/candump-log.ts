import type { CanFrame, CanFrameError } from './can-frame.js';

/**
 * One line of a candump log (`candump -L`, also what `canplayer` replays):
 *   (1436509052.249713) can0 123#DEADBEEF
 *   (1436509052.250000) can0 18FEF100#FFFF00C0FFFFFFFF   8 hex digits: extended id
 *   (1436509052.251000) can0 7DF#R                       remote frame (R2: asking for 2 bytes)
 * CAN FD (`##`) is refused as unsupported. `ts` is the log's time in ms. Pure.
 */
export function parseCandumpLine(line: string): { frame: CanFrame; iface: string } | CanFrameError {
  const m = /^\s*\((\d+(?:\.\d+)?)\)\s+(\S+)\s+([0-9A-Fa-f]+)#(.*?)\s*$/.exec(line);
  if (m === null) return { error: 'not a candump log line "(seconds) iface id#data"' };
  const [, secs, iface, idHex, rest] = m as unknown as [string, string, string, string, string];
  if (rest.startsWith('#')) return { error: 'CAN FD frames (##) are not supported' };
  if (idHex.length !== 3 && idHex.length !== 8) return { error: `candump id ${idHex} is neither 3 (standard) nor 8 (extended) hex digits` };
  const extended = idHex.length === 8;
  const id = parseInt(idHex, 16);
  if (extended ? id > 0x1fffffff : id > 0x7ff) return { error: `candump id ${idHex} out of range` };
  const ts = Number(secs) * 1000;
  if (rest.startsWith('R')) {
    const dlc = rest.length > 1 ? Number(rest.slice(1)) : 0;
    if (!Number.isInteger(dlc) || dlc < 0 || dlc > 8) return { error: `candump remote length ${rest.slice(1)} is not 0–8` };
    return { iface, frame: { id, extended, remote: true, dlc, data: new Uint8Array(0), ts } };
  }
  const hex = rest.replace(/\./g, '');
  if (!/^(?:[0-9A-Fa-f]{2}){0,8}$/.test(hex)) return { error: `candump data ${JSON.stringify(rest)} is not 0–8 hex bytes` };
  const data = new Uint8Array(hex.length / 2);
  for (let i = 0; i < data.length; i++) data[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return { iface, frame: { id, extended, remote: false, dlc: data.length, data, ts } };
}

/** A frame as a candump log line (for the simulator and reproductions). Pure. */
export function formatCandumpLine(f: CanFrame, iface: string, tsMs: number): string {
  const id = f.id.toString(16).toUpperCase().padStart(f.extended ? 8 : 3, '0');
  const data = f.remote ? `R${f.dlc === 0 ? '' : f.dlc}` : Buffer.from(f.data).toString('hex').toUpperCase();
  return `(${(tsMs / 1000).toFixed(6)}) ${iface} ${id}#${data}`;
}
