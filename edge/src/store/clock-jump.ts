/** A wall-clock step larger than this (beyond elapsed monotonic time) is a clock jump, not drift. */
export const CLOCK_JUMP_MS = 60_000;

/**
 * Tells a wall-clock jump from elapsed time. A Raspberry Pi has no RTC: it boots in 1970 and NTP later
 * moves it decades forward, which would expire every buffered row at once. The outbox shifts
 * `created`/`expires` by the jump, so the TTL stays a duration. (A jump while the agent is not running
 * cannot be seen this way.)
 */
export class ClockJump {
  private lastWall: number | undefined;
  private lastMono = 0;

  /** @param mono a monotonic clock in ms (performance.now) */
  constructor(private readonly mono: () => number) {}

  /** How far the wall clock moved since the last call beyond the time that really passed; 0 under CLOCK_JUMP_MS. */
  observe(now: number): number {
    const mono = this.mono();
    const prev = this.lastWall;
    const jump = prev === undefined ? 0 : now - prev - (mono - this.lastMono);
    this.lastWall = now;
    this.lastMono = mono;
    return Math.abs(jump) < CLOCK_JUMP_MS ? 0 : jump;
  }
}

/**
 * Whether an add queued before the commit that saw `jump` carries the old clock (and so is shifted
 * with the stored rows): adds queued before the jump are about a jump away from `now`, those queued
 * after it are close to `now`.
 */
export function carriesOldClock(created: number, now: number, jump: number): boolean {
  return Math.abs(now - created) > Math.abs(jump) / 2;
}
