/**
 * How a simulated device misbehaves, every Nth message (deterministic, so a test knows exactly how
 * many of each fault it caused and can compare with the edge's drop counters).
 */
export interface MisbehaviourOptions {
  /** a line of non-UTF-8 bytes before message N (line noise, wrong baud rate) */
  garbageEvery?: number;
  /** message N cut short (buffer overrun, device reset mid-line): the message is lost */
  partialEvery?: number;
  /** a line of `overlongBytes` before message N (a device dumping its debug buffer) */
  overlongEvery?: number;
  overlongBytes?: number;
  /** message N written in pieces with pauses between (USB-serial adapters do this); not a fault */
  splitEvery?: number;
  /** at message N, `burstSize` messages in a single write (a device flushing its backlog) */
  burstEvery?: number;
  burstSize?: number;
}

export type Injection = 'garbage' | 'partial' | 'overlong' | 'split' | 'burst';

export interface WritePlan {
  /** bytes to write, in order; with split there are several pieces of one message */
  writes: Buffer[];
  injected: Injection[];
  /** whether the message's own lines went out whole */
  delivered: boolean;
}

const hits = (seq: number, every: number | undefined): boolean => every !== undefined && every > 0 && seq % every === every - 1;

/** Bytes that are certainly not UTF-8 and contain no newline: 0xFF can start no UTF-8 sequence. */
export function garbageLine(rand: () => number, length = 12): Buffer {
  const b = Buffer.alloc(length + 1);
  b[0] = 0xff;
  for (let i = 1; i < length; i++) {
    const v = Math.floor(rand() * 256);
    b[i] = v === 0x0a || v === 0x0d ? 0xfe : v;
  }
  b[length] = 0x0a;
  return b;
}

/** What to write for message `seq` made of `lines`. Pure given `rand`. */
export function planWrites(seq: number, lines: readonly string[], o: MisbehaviourOptions, rand: () => number): WritePlan {
  const injected: Injection[] = [];
  const pre: Buffer[] = [];
  if (hits(seq, o.garbageEvery)) {
    injected.push('garbage');
    pre.push(garbageLine(rand));
  }
  if (hits(seq, o.overlongEvery)) {
    injected.push('overlong');
    pre.push(Buffer.from('#'.repeat(o.overlongBytes ?? 4096) + '\n'));
  }
  let body = lines.map((l) => l + '\n').join('');
  let delivered = true;
  if (hits(seq, o.partialEvery)) {
    injected.push('partial');
    const first = lines[0] ?? '';
    // Any proper prefix of the line; at least 1 character so it is a frame, not an empty line.
    const cut = 1 + Math.floor(rand() * Math.max(1, first.length - 2));
    body = first.slice(0, cut) + '\n';
    delivered = false;
  }
  const all = Buffer.concat([...pre, Buffer.from(body)]);
  if (hits(seq, o.splitEvery) && all.length >= 3) {
    injected.push('split');
    const a = 1 + Math.floor(rand() * (all.length - 2));
    return { writes: [all.subarray(0, a), all.subarray(a)], injected, delivered };
  }
  return { writes: [all], injected, delivered };
}

export function isBurst(seq: number, o: MisbehaviourOptions): boolean {
  return hits(seq, o.burstEvery);
}
