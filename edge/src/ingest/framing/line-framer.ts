import type { Framer, FramerOutput } from './framer.js';

export interface LineFramerOptions {
  /** default "\n"; a trailing "\r" is stripped from every line as well, so CRLF devices work unchanged */
  delimiter?: string;
  /** longest line kept, in bytes without the delimiter; default 1024 */
  maxLength?: number;
}

/**
 * Line delimited frames with a bounded buffer. A line longer than maxLength is dropped as `overlong`
 * (counted once) and everything up to the next delimiter is discarded, so the framer resynchronises on
 * the next whole line instead of growing without bound on a device that never sends a delimiter.
 * Empty lines are skipped silently (a CRLF device idling sends them).
 */
export function createLineFramer(opts: LineFramerOptions = {}): Framer {
  const delim = Buffer.from(opts.delimiter ?? '\n', 'utf8');
  if (delim.length === 0) throw new RangeError('line delimiter must not be empty');
  const max = opts.maxLength ?? 1024;
  let held: Buffer = Buffer.alloc(0);
  let discarding = false;
  let discarded = 0;

  const push = (chunk: Buffer): FramerOutput => {
    const out: FramerOutput = { frames: [], drops: [] };
    let buf = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
    for (;;) {
      const at = buf.indexOf(delim);
      if (at < 0) break;
      let line = buf.subarray(0, at);
      buf = buf.subarray(at + delim.length);
      if (discarding) {
        out.drops.push({ reason: 'overlong', detail: `line of ${discarded + line.length} bytes exceeds ${max}` });
        discarding = false;
        discarded = 0;
        continue;
      }
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      if (line.length > max) {
        out.drops.push({ reason: 'overlong', detail: `line of ${line.length} bytes exceeds ${max}` });
        continue;
      }
      if (line.length > 0) out.frames.push(Buffer.from(line));
    }
    // Keep at most max + delimiter bytes; past that the line is overlong whatever follows.
    if (!discarding && buf.length > max + delim.length) {
      discarding = true;
      discarded = buf.length;
      buf = Buffer.alloc(0);
    } else if (discarding) {
      discarded += buf.length;
      buf = Buffer.alloc(0);
    }
    held = Buffer.from(buf);
    return out;
  };

  return {
    push,
    reset() {
      held = Buffer.alloc(0);
      discarding = false;
      discarded = 0;
    },
    get pending() {
      return held.length;
    },
  };
}
