/**
 * Reconnect delay with exponential backoff and full jitter (AWS architecture blog, "Exponential Backoff
 * And Jitter"): after a broker restart thousands of gateways must not come back in the same millisecond.
 * Pure: `random` is passed in so tests are deterministic.
 *
 * delay = random() × min(maxMs, baseMs × 2^attempt), at least minMs.
 */
export function reconnectDelay(attempt: number, o: { baseMs: number; maxMs: number; minMs?: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.max(o.minMs ?? 0, Math.floor(random() * ceiling));
}
