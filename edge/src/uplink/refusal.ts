/**
 * Issue 23 item 5: telling a batch the broker refuses from a link that merely dropped. On MQTT 3.1.1
 * a broker answers a packet larger than its maximum (or one it will not take) by closing the
 * connection (causeway-cloud's limits.maxPacketSize, mosquitto's max_packet_size); the batch then comes again on the next connection and is refused again,
 * for ever, with every reading behind it waiting. A batch is *refused* when a connection closes within
 * `windowMs` of its PUBLISH, without a PUBACK, `strikes` times in a row. After the first such close the
 * uplink sends one batch at a time until the suspects are through (`window`), so a later close names
 * one batch, not the whole in-flight window. Pure: the uplink keeps the state and acts.
 */
export interface RefusalPolicy {
  /** closes in a row right after the same batch that make it refused */
  strikes: number;
  /** a close this soon after the batch's PUBLISH counts against it, ms */
  windowMs: number;
}

export const DEFAULT_REFUSAL: Readonly<RefusalPolicy> = Object.freeze({ strikes: 3, windowMs: 5000 });

export interface InFlight {
  id: string;
  publishedAt: number;
}

/**
 * A connection closed with these batches unacknowledged. Returns the new strike counts (a batch
 * published longer than `windowMs` before the close is left as it was: a dead link noticed by the
 * keepalive is no refusal) and the batches that are now refused (their strikes removed).
 */
export function strikeOnClose(strikes: ReadonlyMap<string, number>, inflight: readonly InFlight[], closedAt: number, p: RefusalPolicy): { strikes: Map<string, number>; refused: string[] } {
  const next = new Map(strikes);
  const refused: string[] = [];
  for (const b of inflight) {
    if (closedAt - b.publishedAt > p.windowMs) continue;
    const n = (next.get(b.id) ?? 0) + 1;
    if (n >= p.strikes) {
      next.delete(b.id);
      refused.push(b.id);
    } else next.set(b.id, n);
  }
  return { strikes: next, refused };
}

/**
 * What to do with a refused batch: split one of several rows in two (the halves start one strike short
 * of refused, since their parent was refused already: the half that holds the cause is split again
 * after its next refusal, the other goes through), quarantine a single row.
 */
export function refusalAction(rows: number, p: RefusalPolicy): { action: 'split'; halfStrikes: number } | { action: 'quarantine' } {
  return rows > 1 ? { action: 'split', halfStrikes: Math.max(0, p.strikes - 1) } : { action: 'quarantine' };
}

/** Batches in flight at most: one while any batch is a suspect, else the configured window. */
export function inflightWindow(strikes: ReadonlyMap<string, number>, configured: number): number {
  return strikes.size > 0 ? 1 : configured;
}
