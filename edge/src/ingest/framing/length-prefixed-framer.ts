import type { Framer, FramerOutput } from './framer.js';

export interface LengthPrefixedOptions {
  /** size of the big-endian length field: 1, 2 or 4 bytes; default 2 */
  lengthBytes?: 1 | 2 | 4;
  /** largest payload accepted; default 1024 */
  maxLength?: number;
  /**
   * Optional sync byte before each length field. With it, a bad length costs one byte and the framer
   * hunts for the next sync byte; without it there is nothing to resync on, so held bytes are dropped.
   */
  sync?: number;
}

/** Binary frames `[sync] length payload`; the payload is handed on as is. */
export function createLengthPrefixedFramer(opts: LengthPrefixedOptions = {}): Framer {
  const lb = opts.lengthBytes ?? 2;
  const max = opts.maxLength ?? 1024;
  const sync = opts.sync;
  const head = lb + (sync === undefined ? 0 : 1);
  let held: Buffer = Buffer.alloc(0);

  const readLen = (b: Buffer, at: number): number => (lb === 1 ? b.readUInt8(at) : lb === 2 ? b.readUInt16BE(at) : b.readUInt32BE(at));

  const push = (chunk: Buffer): FramerOutput => {
    const out: FramerOutput = { frames: [], drops: [] };
    let buf = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
    let skipped = 0;
    const flushSkipped = (): void => {
      if (skipped > 0) out.drops.push({ reason: 'malformed', detail: `${skipped} bytes before a sync byte` });
      skipped = 0;
    };
    for (;;) {
      if (sync !== undefined && buf.length > 0 && buf[0] !== sync) {
        const next = buf.indexOf(sync);
        const n = next < 0 ? buf.length : next;
        skipped += n;
        buf = buf.subarray(n);
        continue;
      }
      flushSkipped();
      if (buf.length < head) break;
      const len = readLen(buf, head - lb);
      if (len > max) {
        out.drops.push({ reason: 'oversized', detail: `frame declares ${len} bytes, limit ${max}` });
        buf = sync === undefined ? Buffer.alloc(0) : buf.subarray(1);
        continue;
      }
      if (buf.length < head + len) break;
      out.frames.push(Buffer.from(buf.subarray(head, head + len)));
      buf = buf.subarray(head + len);
    }
    flushSkipped();
    held = Buffer.from(buf);
    return out;
  };

  return {
    push,
    reset() {
      held = Buffer.alloc(0);
    },
    get pending() {
      return held.length;
    },
  };
}
