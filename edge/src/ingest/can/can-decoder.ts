import { decodeMessage, decodeObd2Answer, decodeSpn, J1939_SPNS, J1939Reassembler, messageKey, parseJ1939Id, PGN_TP_CM, PGN_TP_DT, type CanFrame, type Dbc, type DbcMessage, type SpnDef } from '@causeway/shared/can/index.js';
import type { StreamValue } from '../stream-processor.js';

export interface CanDecoderOptions {
  /** read at each frame, so a reloaded DBC applies from the next frame on */
  dbc?: Dbc;
  j1939?: boolean;
  obd2?: boolean;
}

/** What one frame gave: readings, and what was wrong with it (each counted as a malformed frame). */
export interface DecodedFrame {
  values: StreamValue[];
  error?: string;
  /** no decoder knew the frame: counted as `unmapped`, not as an error (a bus carries much we do not read) */
  unknown: boolean;
}

/**
 * A J1939 DBC names a message by one full id (its priority and source address included), while the same
 * PGN comes from whichever ECU sends it: with `j1939`, an extended frame that matches no id exactly is
 * looked up by PGN (first message of that PGN in the file).
 */
const byPgn = new WeakMap<Dbc, Map<number, DbcMessage>>();
function pgnIndex(dbc: Dbc): Map<number, DbcMessage> {
  let m = byPgn.get(dbc);
  if (m === undefined) {
    m = new Map();
    for (const msg of dbc.messages.values()) if (msg.extended && !m.has(parseJ1939Id(msg.id).pgn)) m.set(parseJ1939Id(msg.id).pgn, msg);
    byPgn.set(dbc, m);
  }
  return m;
}

const SPNS_BY_PGN = new Map<number, SpnDef[]>();
for (const d of J1939_SPNS) SPNS_BY_PGN.set(d.pgn, [...(SPNS_BY_PGN.get(d.pgn) ?? []), d]);

/**
 * Frame → readings, through the decoders configured for one bus: the DBC first (a message it names
 * is its; with j1939, by PGN whatever the source address), then OBD-II answers (0x7E8–0x7EF), then J1939 on extended ids (with multi-packet reassembly).
 */
export function createCanDecoder(o: CanDecoderOptions): (frame: CanFrame, nowMs: number) => DecodedFrame {
  const tp = new J1939Reassembler();
  const spns = (pgn: number, data: Uint8Array): StreamValue[] => {
    const out: StreamValue[] = [];
    for (const d of SPNS_BY_PGN.get(pgn) ?? []) {
      const v = decodeSpn(d, data);
      if (v !== undefined) out.push({ stream: d.name, value: v, unit: d.unit });
    }
    return out;
  };
  return (f, nowMs) => {
    if (f.remote) return { values: [], unknown: true };
    let msg = o.dbc?.messages.get(messageKey(f.id, f.extended));
    if (msg === undefined && o.dbc !== undefined && o.j1939 === true && f.extended) msg = pgnIndex(o.dbc).get(parseJ1939Id(f.id).pgn);
    if (msg !== undefined) {
      const { signals, short } = decodeMessage(msg, f.data);
      const values = signals.map((s): StreamValue => (s.unit === '' ? { stream: s.name, value: s.value } : { stream: s.name, value: s.value, unit: s.unit }));
      return short.length === 0 ? { values, unknown: false } : { values, unknown: false, error: `${msg.name}: ${f.data.length} bytes, too short for ${short.join(', ')}` };
    }
    if (o.obd2 === true && !f.extended) {
      const a = decodeObd2Answer(f.id, f.data);
      if (a !== null) return 'error' in a ? { values: [], unknown: false, error: a.error } : { values: [{ stream: a.name, value: a.value, unit: a.unit }], unknown: false };
    }
    if (o.j1939 === true && f.extended) {
      const id = parseJ1939Id(f.id);
      if (id.pgn === PGN_TP_CM || id.pgn === PGN_TP_DT) {
        const r = tp.push(id.pgn, id.source, id.destination ?? 0xff, f.data, nowMs);
        if (r.kind === 'error') return { values: [], unknown: false, error: r.detail };
        if (r.kind === 'pending') return { values: [], unknown: false };
        return { values: spns(r.pgn, r.data), unknown: !SPNS_BY_PGN.has(r.pgn) };
      }
      if (SPNS_BY_PGN.has(id.pgn)) return { values: spns(id.pgn, f.data), unknown: false };
    }
    return { values: [], unknown: true };
  };
}
