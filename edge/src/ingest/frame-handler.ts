import { isValidId } from '@causeway/shared';
import { type SourceCounters, countDrop } from './counters.js';
import { type Protocol, frameText } from './protocols/protocol.js';

/** ">" starts a reply line; no supported protocol starts a reading with it (JSON "{", NMEA "$", kv/CSV names or digits). */
const REPLY_PREFIX = 0x3e;
import type { StreamProcessor, StreamValue } from './stream-processor.js';

export interface FrameHandlerOptions {
  device: string;
  protocol: Protocol;
  /**
   * field → stream. Without it every field is a stream of its own name. With it, only mapped fields
   * are kept; a field mapped to "" is ignored on purpose, any other unmapped field is counted.
   */
  streams?: Readonly<Record<string, string>>;
  /** ACK line template; `{seq}` is replaced by the frame's seq. Absent: the device wants no ACK. */
  ack?: string;
  processor: StreamProcessor;
  counters: SourceCounters;
  /** a device's answer to a command: lines starting with ">" (see firmware-sim devices/commands.ts) */
  onReply?: (device: string, reply: string) => void;
  now?: () => number;
}

/** Bytes to write back to the device once its frame is durable, or null for none. */
export type FrameHandler = (frame: Buffer) => Promise<string | null>;

/**
 * One frame: parse → map fields to streams → rules → sink; resolves after the sink's promises
 * (the outbox's durable commit), and only then yields the ACK — a device that retransmits until it
 * gets one therefore never loses a reading to a crash between receipt and commit.
 * A refused frame yields no ACK (the device's retransmit is a second chance) and is counted by reason.
 */
export function createFrameHandler(o: FrameHandlerOptions): FrameHandler {
  const now = o.now ?? Date.now;
  return async (frame) => {
    o.counters.frames++;
    if (frame[0] === REPLY_PREFIX) {
      const t = frameText(frame);
      if (!t.ok) {
        countDrop(o.counters, t.reason);
        return null;
      }
      o.counters.replies++;
      o.onReply?.(o.device, t.text.slice(1));
      return null;
    }
    const r = o.protocol.parse(frame);
    if (!r.ok) {
      countDrop(o.counters, r.reason);
      return null;
    }
    const values: StreamValue[] = [];
    for (const f of r.fields) {
      const stream = o.streams === undefined ? f.name : o.streams[f.name];
      if (stream === '') continue;
      if (stream === undefined || !isValidId(stream)) {
        countDrop(o.counters, 'unmapped');
        continue;
      }
      values.push(f.unit === undefined ? { stream, value: f.value } : { stream, value: f.value, unit: f.unit });
    }
    try {
      await o.processor.process(o.device, values, r.ts ?? now(), o.counters);
    } catch {
      countDrop(o.counters, 'sink-failed');
      return null;
    }
    if (o.ack === undefined || o.ack === '') return null;
    o.counters.acks++;
    return o.ack.replaceAll('{seq}', r.seq ?? '') + '\n';
  };
}
