/**
 * A DBC file (Vector's CAN database format) reduced to what decoding needs: messages (BO_), their
 * signals (SG_) with bit layout, scaling, range, unit and multiplexing, and value tables (VAL_).
 * Everything else (nodes, comments, attributes, environment variables) is skipped.
 */
export interface DbcSignal {
  name: string;
  /** Intel (@1): the least significant bit's position; Motorola (@0): the most significant bit's, in DBC's sawtooth numbering */
  startBit: number;
  length: number;
  byteOrder: 'intel' | 'motorola';
  signed: boolean;
  factor: number;
  offset: number;
  min: number;
  max: number;
  unit: string;
  /** `M`: this signal selects which multiplexed signals a frame carries */
  multiplexer: boolean;
  /** `mN`: present only in frames whose multiplexer value is N */
  multiplexValue?: number;
  /** VAL_ table: raw value → label */
  values?: Map<number, string>;
}

export interface DbcMessage {
  /** without the extended flag bit (bit 31 in the file) */
  id: number;
  extended: boolean;
  name: string;
  dlc: number;
  signals: DbcSignal[];
}

export interface Dbc {
  /** keyed by `messageKey(id, extended)` */
  messages: Map<number, DbcMessage>;
}

/** A DBC file that cannot be read: the line and what is wrong (code DBC_INVALID at the config layer). */
export class DbcError extends Error {
  readonly code = 'DBC_INVALID';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'DbcError';
  }
}

/** Map key of a message: extended ids get bit 29 set so 0x123 standard and 0x123 extended differ. */
export function messageKey(id: number, extended: boolean): number {
  return extended ? id + 0x20000000 : id;
}

const NUM = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;
const BO = /^BO_\s+(\d+)\s+(\w+)\s*:\s*(\d+)\s+\S+/;
const SG = new RegExp(
  String.raw`^SG_\s+(\w+)\s*(M|m\d+M?)?\s*:\s*(\d+)\|(\d+)@([01])([+-])\s*\(\s*(${NUM})\s*,\s*(${NUM})\s*\)\s*\[\s*(${NUM})\s*\|\s*(${NUM})\s*\]\s*"([^"]*)"`,
);
const VAL = /^VAL_\s+(\d+)\s+(\w+)\s+((?:[-\d]+\s+"[^"]*"\s*)*);/;

/** Parses DBC text; throws DbcError naming the line of a BO_, SG_ or VAL_ it cannot read. Pure. */
export function parseDbc(text: string): Dbc {
  const messages = new Map<number, DbcMessage>();
  const byRawId = new Map<string, DbcMessage>();
  let current: DbcMessage | undefined;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    const lineNo = n + 1;
    if (line.startsWith('BO_ ')) {
      const m = BO.exec(line);
      if (m === null) throw new DbcError(`cannot read message "${line}" (BO_ <id> <name>: <dlc> <sender>)`, lineNo);
      const raw = Number(m[1]);
      const extended = raw >= 0x80000000;
      const id = extended ? raw - 0x80000000 : raw;
      if (extended ? id > 0x1fffffff : id > 0x7ff) throw new DbcError(`message id ${raw} is out of range`, lineNo);
      const dlc = Number(m[3]);
      if (dlc > 8) throw new DbcError(`message ${m[2]} is ${dlc} bytes long; only classic CAN (≤ 8) is decoded`, lineNo);
      current = { id, extended, name: m[2]!, dlc, signals: [] };
      messages.set(messageKey(id, extended), current);
      byRawId.set(m[1]!, current);
    } else if (line.startsWith('SG_ ')) {
      if (current === undefined) throw new DbcError('signal outside a message (SG_ before any BO_)', lineNo);
      const m = SG.exec(line);
      if (m === null) throw new DbcError(`cannot read signal "${line}" (SG_ <name> [M|mN] : <start>|<length>@<0|1><+|-> (<factor>,<offset>) [<min>|<max>] "<unit>" <receivers>)`, lineNo);
      const sig: DbcSignal = {
        name: m[1]!,
        startBit: Number(m[3]),
        length: Number(m[4]),
        byteOrder: m[5] === '1' ? 'intel' : 'motorola',
        signed: m[6] === '-',
        factor: Number(m[7]),
        offset: Number(m[8]),
        min: Number(m[9]),
        max: Number(m[10]),
        unit: m[11]!,
        multiplexer: m[2] === 'M' || (m[2]?.endsWith('M') ?? false),
      };
      if (m[2] !== undefined && m[2].startsWith('m')) sig.multiplexValue = parseInt(m[2].slice(1), 10);
      checkLayout(sig, current, lineNo);
      current.signals.push(sig);
    } else if (line.startsWith('VAL_ ')) {
      const m = VAL.exec(line);
      if (m === null) continue; // VAL_ of an environment variable, or one split over lines: labels are optional
      const msg = byRawId.get(m[1]!);
      const sig = msg?.signals.find((s) => s.name === m[2]);
      if (sig === undefined) throw new DbcError(`value table for unknown signal ${m[1]} ${m[2]}`, lineNo);
      sig.values = new Map([...m[3]!.matchAll(/([-\d]+)\s+"([^"]*)"/g)].map((p) => [Number(p[1]), p[2]!]));
    } else if (current !== undefined && line === '') {
      current = undefined;
    }
  }
  return { messages };
}

function checkLayout(s: DbcSignal, msg: DbcMessage, lineNo: number): void {
  if (s.length < 1 || s.length > 64) throw new DbcError(`signal ${s.name} is ${s.length} bits long (1–64)`, lineNo);
  if (s.startBit > 63) throw new DbcError(`signal ${s.name} starts at bit ${s.startBit} (0–63)`, lineNo);
  if (s.factor === 0) throw new DbcError(`signal ${s.name} has factor 0`, lineNo);
  const lastByte = s.byteOrder === 'intel' ? (s.startBit + s.length - 1) >> 3 : motorolaLastBit(s.startBit, s.length) >> 3;
  if (lastByte >= 8 || lastByte < 0) throw new DbcError(`signal ${s.name} runs past the 8 bytes of a frame`, lineNo);
  if (lastByte >= msg.dlc) throw new DbcError(`signal ${s.name} runs past message ${msg.name}'s ${msg.dlc} bytes`, lineNo);
}

/** Position of the least significant bit of a Motorola signal (−1 if it runs off byte 7). */
export function motorolaLastBit(startBit: number, length: number): number {
  let pos = startBit;
  for (let i = 1; i < length; i++) {
    pos = pos % 8 === 0 ? pos + 15 : pos - 1;
    if (pos > 63) return 64 * 8;
  }
  return pos;
}
