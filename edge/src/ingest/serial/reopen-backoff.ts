export interface BackoffOptions {
  /** first delay; default 250 ms */
  initialMs?: number;
  /** ceiling; default 30 s */
  maxMs?: number;
  /** growth per attempt; default 2 */
  factor?: number;
  /** 0..1, share of the delay randomised so many gateways do not retry in step; default 0.2 */
  jitter?: number;
}

/**
 * Delay before reopen attempt `attempt` (0-based): exponential, capped, with proportional jitter
 * taken off the top (so the cap is a real ceiling). Pure given `random`.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = opts.initialMs ?? 250;
  const max = opts.maxMs ?? 30_000;
  const factor = opts.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.2));
  const base = Math.min(max, initial * factor ** Math.min(attempt, 60));
  return Math.round(base * (1 - jitter * random()));
}
