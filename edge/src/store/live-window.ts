/** Commits remembered for live-first ordering. */
export const MAX_RECENT = 4096;

/**
 * The live window (uplink.liveWindowSeconds): the first row id of each recent commit, so batch forming
 * can send the streams with fresh telemetry before the backlog (outbox-batches.ts). Row ids follow
 * commit order (nearly: see liveFrom), so "committed within the window" is "id at or above the lowest
 * first id still in it".
 */
export class LiveWindow {
  private recent: Array<{ at: number; firstId: number }> = [];

  /** A commit at `at` whose first row is `firstId`. */
  add(at: number, firstId: number): void {
    this.recent.push({ at, firstId });
    // Offline for hours, nothing forms batches to prune this; the oldest entries only make the live
    // window shorter, so dropping them is safe.
    if (this.recent.length > MAX_RECENT) this.recent.splice(0, this.recent.length - MAX_RECENT);
  }

  /** The wall clock jumped (clock-jump.ts): the commits keep their age. */
  shift(jump: number): void {
    for (const r of this.recent) r.at += jump;
  }

  /** The first row id committed within `windowMs` of `now`, or MAX_SAFE_INTEGER when none is live. */
  liveFrom(now: number, windowMs: number): number {
    while (this.recent.length > 0 && this.recent[0]!.at < now - windowMs) this.recent.shift();
    // Ids are reserved ahead of the commit (id-reservation.ts): an own event inserted between two
    // commits of readings lands past their block, so take the lowest first id, not the first one.
    let from = Number.MAX_SAFE_INTEGER;
    for (const r of this.recent) if (r.firstId < from) from = r.firstId;
    return from;
  }
}
