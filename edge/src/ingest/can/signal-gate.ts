import type { ReadingValue } from '@causeway/shared';
import type { SignalPacing } from './can-config.js';

/**
 * Per-signal pacing before the stream rules: a value passes if `minIntervalMs` has gone by since the
 * last one passed and (with `onChange`) it differs from it. A bus repeating a signal at 1 kHz then costs
 * the outbox one reading per interval, not a thousand. Pure but for its memory of the last pass.
 */
export class SignalGate {
  private readonly last = new Map<string, { ts: number; value: ReadingValue }>();
  constructor(
    private readonly base: SignalPacing,
    private readonly perSignal: Readonly<Record<string, SignalPacing>> = {},
  ) {}

  pass(stream: string, value: ReadingValue, ts: number): boolean {
    const p = this.perSignal[stream];
    const minInterval = p?.minIntervalMs ?? this.base.minIntervalMs ?? 0;
    const onChange = p?.onChange ?? this.base.onChange ?? false;
    const prev = this.last.get(stream);
    if (prev !== undefined) {
      if (ts - prev.ts < minInterval) return false;
      if (onChange && prev.value === value) return false;
    }
    this.last.set(stream, { ts, value });
    return true;
  }
}
