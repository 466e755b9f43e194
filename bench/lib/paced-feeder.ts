/**
 * Feeds JSON lines (one ReadingInput each) into a process's stdin at a fixed rate, the way sensors
 * produce them: every `tickMs` it writes the lines that are due by the wall clock, so a slow tick catches
 * up instead of drifting. Bounded by a duration and by a stop predicate.
 */
import type { Writable } from 'node:stream';

export interface FeedOptions {
  /** readings per second */
  rate: number;
  /** stop after this long at the latest */
  durationMs: number;
  /** stop early when this returns true (checked every tick) */
  until?: () => boolean;
  /** default 10 ms (or 1000/rate when that is longer) */
  tickMs?: number;
}

export interface FeedReport {
  sent: number;
  wallMs: number;
  /** writes that found the pipe full (the reader lags; lines queue in this process) */
  backpressured: number;
}

/** The number of lines due `elapsedMs` into a feed at `rate`/s (pure; the first line is due at once). */
export function dueBy(elapsedMs: number, rate: number): number {
  return Math.floor((elapsedMs * rate) / 1000) + 1;
}

export async function feedLines(out: Writable, line: (seq: number, nowMs: number) => string, o: FeedOptions): Promise<FeedReport> {
  const tick = o.tickMs ?? Math.max(10, Math.floor(1000 / o.rate));
  const t0 = performance.now();
  let sent = 0;
  let backpressured = 0;
  for (;;) {
    const elapsed = performance.now() - t0;
    if (elapsed >= o.durationMs || o.until?.() === true || out.destroyed) break;
    const due = dueBy(elapsed, o.rate);
    if (due > sent) {
      const now = Date.now();
      let chunk = '';
      for (; sent < due; sent++) chunk += line(sent, now) + '\n';
      if (!out.write(chunk)) backpressured++;
    }
    await new Promise((r) => setTimeout(r, tick));
  }
  return { sent, wallMs: performance.now() - t0, backpressured };
}
