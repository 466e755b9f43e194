import type { CanFrame, CanFrameError } from './can-frame.js';

/**
 * SLCAN (the Lawicel CAN232/CANUSB ASCII protocol, spoken by CANable, USBtin and most cheap USB
 * adapters). Each message is ASCII ending in CR; the adapter answers a command with CR (ok) or BEL
 * (error). Received frames arrive as:
 *   t iii L dd…  [tttt]   standard data frame: 3 hex id, 1 digit length 0–8, 2 hex per byte
 *   T iiiiiiii L dd… [tttt] extended data frame: 8 hex id (29 bits)
 *   r iii L [tttt] / R iiiiiiii L [tttt]   remote frames
 * with a 4-hex millisecond timestamp (0–59999, wrapping each minute) when `Z1` turned timestamps on.
 */

/** S0–S8: the standard bitrates a Lawicel adapter knows, in bit/s. */
export const SLCAN_BITRATES: readonly number[] = [10_000, 20_000, 50_000, 100_000, 125_000, 250_000, 500_000, 800_000, 1_000_000];

export type SlcanMessage =
  | { kind: 'frame'; frame: CanFrame }
  /** CR alone: the previous command succeeded; `z`/`Z`: a transmitted frame was queued */
  | { kind: 'ok' }
  /** BEL: the previous command failed (bus not open, bad bitrate, buffer full) */
  | { kind: 'error' }
  /** V/v/N/F answers: version, serial number, status flags */
  | { kind: 'info'; text: string };

const HEX = /^[0-9A-Fa-f]*$/;

function hexBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * One SLCAN line (without its CR; BEL passed as "\x07") → a message, or an error saying what is wrong.
 * A frame with a trailing 4-hex group is read as timestamped. Pure.
 */
export function parseSlcanLine(line: string): SlcanMessage | CanFrameError {
  if (line === '' || line === 'z' || line === 'Z') return { kind: 'ok' };
  if (line === '\x07') return { kind: 'error' };
  const c = line[0]!;
  if (c === 'V' || c === 'v' || c === 'N' || c === 'F') return { kind: 'info', text: line };
  if (c !== 't' && c !== 'T' && c !== 'r' && c !== 'R') return { error: `not an SLCAN frame (starts with ${JSON.stringify(c)})` };
  const extended = c === 'T' || c === 'R';
  const remote = c === 'r' || c === 'R';
  const idLen = extended ? 8 : 3;
  if (line.length < 1 + idLen + 1) return { error: `SLCAN frame too short (${line.length} characters)` };
  if (!HEX.test(line.slice(1))) return { error: 'SLCAN frame has a non-hex character' };
  const id = parseInt(line.slice(1, 1 + idLen), 16);
  if (extended ? id > 0x1fffffff : id > 0x7ff) return { error: `SLCAN id ${line.slice(1, 1 + idLen)} out of range` };
  const dlcChar = line[1 + idLen]!;
  const dlc = dlcChar.charCodeAt(0) - 48;
  if (dlc < 0 || dlc > 8) return { error: `SLCAN length ${dlcChar} is not 0–8` };
  const body = 2 + idLen;
  const dataChars = remote ? 0 : 2 * dlc;
  const rest = line.length - body - dataChars;
  if (rest !== 0 && rest !== 4) return { error: `SLCAN frame length does not match its DLC ${dlc} (${rest} characters over)` };
  const frame: CanFrame = { id, extended, remote, dlc, data: remote ? new Uint8Array(0) : hexBytes(line.slice(body, body + dataChars)) };
  if (rest === 4) {
    const ts = parseInt(line.slice(body + dataChars), 16);
    if (ts > 59_999) return { error: `SLCAN timestamp ${ts} is over 59999 ms` };
    frame.ts = ts;
  }
  return { kind: 'frame', frame };
}

const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0');

/** A frame as the SLCAN line that transmits it (or that an adapter reports), with its CR. Pure. */
export function encodeSlcanFrame(f: CanFrame, timestampMs?: number): string {
  const head = (f.remote ? (f.extended ? 'R' : 'r') : f.extended ? 'T' : 't') + hex(f.id, f.extended ? 8 : 3) + String(f.dlc);
  let body = '';
  if (!f.remote) for (const b of f.data) body += hex(b, 2);
  return head + body + (timestampMs === undefined ? '' : hex(timestampMs % 60_000, 4)) + '\r';
}

/** The bitrate command (S0–S8) for a standard bitrate, or undefined if the adapter has no such setting. */
export function slcanBitrateCommand(bitrate: number): string | undefined {
  const i = SLCAN_BITRATES.indexOf(bitrate);
  return i < 0 ? undefined : `S${i}`;
}

/**
 * Commands that bring an adapter from any state to open at `bitrate`: close first (an adapter left open
 * refuses S with BEL), set the bitrate, timestamps as asked, open. Each ends with CR.
 */
export function slcanOpenSequence(bitrate: number, timestamps: boolean): string[] {
  const s = slcanBitrateCommand(bitrate);
  if (s === undefined) throw new RangeError(`no SLCAN bitrate command for ${bitrate} bit/s (one of ${SLCAN_BITRATES.join(', ')})`);
  return ['C\r', `${s}\r`, `Z${timestamps ? 1 : 0}\r`, 'O\r'];
}

/** Splits an SLCAN byte stream into lines: CR ends one, BEL is a line of its own. Keeps a partial line. */
export class SlcanSplitter {
  private partial = '';
  /** longest line kept before it is dropped as garbage (T + 8 + 1 + 16 + 4 = 30) */
  static readonly MAX_LINE = 64;
  overlong = 0;

  /** characters held waiting for their CR */
  get pending(): number {
    return this.partial.length;
  }

  push(chunk: Buffer | string): string[] {
    const s = this.partial + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    const out: string[] = [];
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const ch = s.charCodeAt(i);
      if (ch === 13) {
        out.push(s.slice(start, i).replace(/^\n+/, ''));
        start = i + 1;
      } else if (ch === 7) {
        if (i > start) out.push(s.slice(start, i));
        out.push('\x07');
        start = i + 1;
      }
    }
    this.partial = s.slice(start);
    if (this.partial.length > SlcanSplitter.MAX_LINE) {
      this.partial = '';
      this.overlong++;
    }
    return out;
  }
}
