import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { CausewayError } from '../../../shared/src/errors/causeway-error.js';
import { silentLogger, type Logger } from '../../../shared/src/log/logger.js';
import type { EventInput, ReadingInput, UplinkSink } from '../ingest/sink.js';
import { JsonError } from '../../../shared/src/errors/json-error.js';
import { parseJson } from '../../../shared/src/json/safe-json.js';

export interface StdinSourceOptions {
  /** write `{"ack":N}` when lines 1..N are settled and `{"nack":N,"code":…}` for a line not committed */
  ackTo?: Writable;
  logger?: Logger;
}

export interface LineSourceStats {
  lines: number;
  committed: number;
  invalid: number;
}

/**
 * A local input for tests and demos: JSON lines, each a ReadingInput, or an EventInput when it has an
 * `event` field. A bad line is counted, logged (without its body) and skipped; the source keeps going.
 */
export function startLineSource(input: Readable, sink: UplinkSink, opts: StdinSourceOptions = {}): { stats: LineSourceStats; done: Promise<void> } {
  const log = opts.logger ?? silentLogger;
  const stats: LineSourceStats = { lines: 0, committed: 0, invalid: 0 };
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
  const rl = createInterface({ input, crlfDelay: Infinity });
  rl.on('line', (line) => {
    const lineNo = ++stats.lines;
    if (line.trim() === '') return settle(lineNo);
    let value: unknown;
    try {
      value = parseJson(line, 'line');
    } catch (err) {
      // a prototype key is refused like a line that does not parse (issue 23 item 2)
      const unsafe = err instanceof JsonError && err.code === 'JSON_UNSAFE_KEY';
      return fail(lineNo, new CausewayError('INPUT_INVALID', unsafe ? err.message : 'line is not JSON', { cause: err }));
    }
    const isEvent = typeof value === 'object' && value !== null && 'event' in value;
    const p = isEvent ? sink.addEvent(value as EventInput) : sink.addReading(value as ReadingInput);
    p.then(
      () => {
        stats.committed++;
        settle(lineNo);
      },
      (err: unknown) => fail(lineNo, err),
    );
  });
  const done = new Promise<void>((resolve) => rl.once('close', () => resolve()));
  return { stats, done };
}
