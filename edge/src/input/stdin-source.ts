import type { Readable, Writable } from 'node:stream';
import { CausewayError, silentLogger, type Logger, JsonError, parseJson } from '@causeway/shared';
import type { DropReason } from '../ingest/drop-reason.js';
import { DEFAULT_MAX_READING_BYTES, isOversized } from '../ingest/reading-size.js';
import type { EventInput, ReadingInput, UplinkSink } from '../ingest/sink.js';
import { boundedLines } from './bounded-lines.js';

export interface StdinSourceOptions {
  /** write `{"ack":N}` when lines 1..N are settled and `{"nack":N,"code":…}` for a line not committed */
  ackTo?: Writable;
  logger?: Logger;
  /** ingest.maxReadingBytes: larger readings are refused (INPUT_TOO_LARGE); 0: no limit */
  maxReadingBytes?: number;
}

export interface LineSourceStats {
  lines: number;
  committed: number;
  invalid: number;
  /** lines refused before the sink: `overlong` (longer than 4 × maxReadingBytes + 1 KiB, never held whole), `oversized` */
  drops: Partial<Record<DropReason, number>>;
}

/** A JSON line carries escapes and field names: the line may be this much longer than the reading. */
export function maxLineBytes(maxReadingBytes: number): number {
  return maxReadingBytes > 0 ? 4 * maxReadingBytes + 1024 : Number.POSITIVE_INFINITY;
}

/**
 * A local input for tests and demos: JSON lines, each a ReadingInput, or an EventInput when it has an
 * `event` field. A bad line is counted, logged (without its body) and skipped; the source keeps going.
 */
export function startLineSource(input: Readable, sink: UplinkSink, opts: StdinSourceOptions = {}): { stats: LineSourceStats; done: Promise<void> } {
  const log = opts.logger ?? silentLogger;
  const stats: LineSourceStats = { lines: 0, committed: 0, invalid: 0, drops: {} };
  const maxReading = opts.maxReadingBytes ?? DEFAULT_MAX_READING_BYTES;
  const settled = new Set<number>();
  let acked = 0;
  let ackQueued = false;
  const flushAck = (): void => {
    ackQueued = false;
    let n = acked;
    while (settled.has(n + 1)) settled.delete(++n);
    if (n !== acked) {
      acked = n;
      opts.ackTo?.write(JSON.stringify({ ack: n }) + '\n');
    }
  };
  const settle = (lineNo: number): void => {
    settled.add(lineNo);
    if (!ackQueued) {
      ackQueued = true;
      setImmediate(flushAck);
    }
  };
  const fail = (lineNo: number, err: unknown): void => {
    const code = err instanceof CausewayError ? err.code : 'INPUT_INVALID';
    if (code === 'INPUT_INVALID') stats.invalid++;
    log.warn('input line not committed', { line: lineNo, code, error: (err as Error).message });
    opts.ackTo?.write(JSON.stringify({ nack: lineNo, code }) + '\n');
    settle(lineNo);
  };
  const drop = (lineNo: number, reason: DropReason, message: string): void => {
    stats.drops[reason] = (stats.drops[reason] ?? 0) + 1;
    fail(lineNo, new CausewayError('INPUT_TOO_LARGE', message));
  };
  const onLine = (text: string): void => {
    const lineNo = ++stats.lines;
    if (text.trim() === '') return settle(lineNo);
    let value: unknown;
    try {
      value = parseJson(text, 'line');
    } catch (err) {
      // a prototype key is refused like a line that does not parse (issue 23 item 2)
      const unsafe = err instanceof JsonError && err.code === 'JSON_UNSAFE_KEY';
      return fail(lineNo, new CausewayError('INPUT_INVALID', unsafe ? err.message : 'line is not JSON', { cause: err }));
    }
    const isEvent = typeof value === 'object' && value !== null && 'event' in value;
    if (!isEvent && typeof value === 'object' && value !== null && isOversized(value as ReadingInput, maxReading)) {
      return drop(lineNo, 'oversized', `reading exceeds ingest.maxReadingBytes ${maxReading}`);
    }
    const p = isEvent ? sink.addEvent(value as EventInput) : sink.addReading(value as ReadingInput);
    p.then(
      () => {
        stats.committed++;
        settle(lineNo);
      },
      (err: unknown) => fail(lineNo, err),
    );
  };
  const maxLine = maxLineBytes(maxReading);
  const lines = boundedLines(maxLine);
  const each = (ls: ReturnType<typeof lines.push>): void => {
    for (const l of ls) {
      if ('text' in l) onLine(l.text);
      else drop(++stats.lines, 'overlong', `line of ${l.overlong} bytes exceeds ${maxLine}`);
    }
  };
  input.on('data', (chunk: Buffer | string) => each(lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)));
  const done = new Promise<void>((resolve) => {
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      each(lines.end());
      resolve();
    };
    input.once('end', end);
    input.once('close', end);
  });
  return { stats, done };
}
