import { SlcanSplitter } from '@causeway/shared/can/index.js';
import type { Framer, FramerOutput } from '../framing/framer.js';

/** SLCAN lines (CR-terminated, BEL alone) as frames for the serial source; overlong garbage is dropped. */
export function createSlcanFramer(): Framer {
  let s = new SlcanSplitter();
  return {
    push(chunk: Buffer): FramerOutput {
      const before = s.overlong;
      const frames = s.push(chunk).map((l) => Buffer.from(l, 'latin1'));
      const drops = s.overlong > before ? [{ reason: 'overlong' as const, detail: `SLCAN line over ${SlcanSplitter.MAX_LINE} characters` }] : [];
      return { frames, drops };
    },
    reset() {
      s = new SlcanSplitter();
    },
    get pending() {
      return s.pending;
    },
  };
}
