/**
 * The fleet page pushed to open consoles (`GET /v1/fleet/stream`, issue 18: "live updates coalesced"):
 * one computation per interval per distinct query, shared by every stream showing that page — ten
 * operators watching the first page of a 10,000-gateway fleet cost one page computation every interval,
 * not ten, and heartbeats arriving in between are folded into it. Each subscriber receives every value
 * and decides whether it changed for it (so a stream that just opened is not sent its first page twice).
 */
export interface FeedSubscriber {
  /** the page as JSON text, once per interval */
  value(json: string): void;
  /** the computation failed this interval (the next one tries again) */
  error(err: unknown): void;
}

interface Key {
  query: URLSearchParams;
  subs: Set<FeedSubscriber>;
}

/** Pure: one key per page, whatever the order of the query's parameters. */
export function feedKey(query: URLSearchParams): string {
  return new URLSearchParams([...query].sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1))).toString();
}

export class FleetFeed {
  readonly #keys = new Map<string, Key>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly compute: (query: URLSearchParams) => Promise<unknown>,
    private readonly everyMs: number,
  ) {}

  /** Adds a subscriber to the page of `query`; returns the function that removes it. */
  subscribe(query: URLSearchParams, sub: FeedSubscriber): () => void {
    const k = feedKey(query);
    let entry = this.#keys.get(k);
    if (entry === undefined) {
      entry = { query: new URLSearchParams(k), subs: new Set() };
      this.#keys.set(k, entry);
    }
    entry.subs.add(sub);
    this.#schedule();
    return () => {
      const e = this.#keys.get(k);
      if (e === undefined) return;
      e.subs.delete(sub);
      if (e.subs.size === 0) this.#keys.delete(k);
      if (this.#keys.size === 0) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  /** Distinct pages being pushed now. */
  get pages(): number {
    return this.#keys.size;
  }

  /** Computes each subscribed page once and hands it to its subscribers (the timer calls it; tests too). */
  async tick(): Promise<void> {
    for (const e of [...this.#keys.values()]) {
      let json: string;
      try {
        json = JSON.stringify(await this.compute(e.query));
      } catch (err) {
        for (const s of e.subs) s.error(err);
        continue;
      }
      for (const s of e.subs) s.value(json);
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#keys.size === 0) return;
    // A chain of timeouts, not an interval: a slow computation is never overlapped by the next one.
    this.#timer = setTimeout(() => {
      void this.tick().finally(() => {
        this.#timer = undefined;
        this.#schedule();
      });
    }, this.everyMs);
    this.#timer.unref();
  }
}
