/**
 * J1939-21 §5.10 transport protocol: a message of 9–1785 bytes travels as a TP.CM announcement (PGN
 * 60416) then numbered TP.DT packets of 7 bytes (PGN 60160). BAM (control byte 32) is broadcast; RTS (16)
 * opens a point-to-point connection whose data we can read passively the same way. A listener only
 * reassembles; it never answers CTS.
 */
export const PGN_TP_CM = 60416;
export const PGN_TP_DT = 60160;
const CM_RTS = 16;
const CM_BAM = 32;
const CM_ABORT = 255;
/** J1939-21 T1: the longest gap between two packets of one message before the receiver gives up */
export const TP_TIMEOUT_MS = 750;

interface Session {
  pgn: number;
  size: number;
  packets: number;
  data: Uint8Array;
  received: Set<number>;
  lastMs: number;
}

export type TpResult = { kind: 'complete'; pgn: number; source: number; data: Uint8Array } | { kind: 'error'; detail: string } | { kind: 'pending' };

/** Reassembles TP messages, one session per (source, destination); a new announcement replaces an old one. */
export class J1939Reassembler {
  private readonly sessions = new Map<number, Session>();

  /** Feed a TP.CM or TP.DT payload with the id's source and destination. */
  push(pgn: number, source: number, destination: number, data: Uint8Array, nowMs: number): TpResult {
    const key = source * 256 + destination;
    if (pgn === PGN_TP_CM) {
      if (data.length < 8) return { kind: 'error', detail: 'TP.CM shorter than 8 bytes' };
      const control = data[0]!;
      if (control === CM_ABORT) {
        this.sessions.delete(key);
        return { kind: 'pending' };
      }
      if (control !== CM_BAM && control !== CM_RTS) return { kind: 'pending' }; // CTS, EndOfMsgAck: flow control of others
      const size = data[1]! | (data[2]! << 8);
      const packets = data[3]!;
      const target = data[5]! | (data[6]! << 8) | (data[7]! << 16);
      if (size < 9 || size > 1785 || packets !== Math.ceil(size / 7)) {
        this.sessions.delete(key);
        return { kind: 'error', detail: `TP.CM announces ${size} bytes in ${packets} packets` };
      }
      this.sessions.set(key, { pgn: target, size, packets, data: new Uint8Array(packets * 7), received: new Set(), lastMs: nowMs });
      return { kind: 'pending' };
    }
    if (pgn !== PGN_TP_DT) return { kind: 'pending' };
    const s = this.sessions.get(key);
    if (s === undefined) return { kind: 'error', detail: `TP.DT from ${source} without an announcement` };
    if (nowMs - s.lastMs > TP_TIMEOUT_MS) {
      this.sessions.delete(key);
      return { kind: 'error', detail: `TP.DT from ${source} after ${nowMs - s.lastMs} ms (> ${TP_TIMEOUT_MS}): message of PGN ${s.pgn} dropped` };
    }
    if (data.length < 8) return { kind: 'error', detail: 'TP.DT shorter than 8 bytes' };
    const seq = data[0]!;
    if (seq < 1 || seq > s.packets) {
      this.sessions.delete(key);
      return { kind: 'error', detail: `TP.DT sequence ${seq} outside 1–${s.packets}` };
    }
    s.data.set(data.subarray(1, 8), (seq - 1) * 7);
    s.received.add(seq);
    s.lastMs = nowMs;
    if (s.received.size < s.packets) return { kind: 'pending' };
    this.sessions.delete(key);
    return { kind: 'complete', pgn: s.pgn, source, data: s.data.slice(0, s.size) };
  }

  /** sessions in progress (for tests and metrics) */
  get open(): number {
    return this.sessions.size;
  }
}

/** A BAM transfer of `data` as the frames' payloads: TP.CM then TP.DT packets (padding 0xFF). Pure. */
export function bamPackets(pgn: number, data: Uint8Array): { cm: Uint8Array; dt: Uint8Array[] } {
  const packets = Math.ceil(data.length / 7);
  const cm = Uint8Array.of(CM_BAM, data.length & 0xff, data.length >> 8, packets, 0xff, pgn & 0xff, (pgn >> 8) & 0xff, (pgn >> 16) & 0xff);
  const dt: Uint8Array[] = [];
  for (let i = 0; i < packets; i++) {
    const p = new Uint8Array(8).fill(0xff);
    p[0] = i + 1;
    p.set(data.subarray(i * 7, i * 7 + 7), 1);
    dt.push(p);
  }
  return { cm, dt };
}
