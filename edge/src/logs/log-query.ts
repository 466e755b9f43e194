import { deflateRawSync } from 'node:zlib';

/**
 * What `causeway logs GW --since 1h --level warn` gets back (issue 20): the newest matching lines of the
 * agent's log ring that fit in `maxBytes` once deflated and base64-encoded, oldest first. Pure.
 */
export interface LogQuery {
  /** lines at or after this time (ms since the epoch) */
  sinceMs: number;
  level: 'debug' | 'info' | 'warn' | 'error';
  maxLines: number;
  /** of the base64 of the deflated text */
  maxBytes: number;
}

export interface LogSlice {
  /** deflate-raw of the lines joined with \n, base64 */
  deflatedBase64: string;
  lines: number;
  /** lines that matched; more than `lines` when the limit cut the oldest off */
  matched: number;
  truncated: boolean;
  firstTs?: string;
  lastTs?: string;
}

const RANK = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/** The bounds a `logs` command may ask for; larger ones are refused with the limit. */
export const LOG_LIMITS = { maxLines: 5000, maxBytes: 48 * 1024 } as const;

function parse(line: string): { ts: number; level: number } | undefined {
  try {
    const o = JSON.parse(line) as { ts?: unknown; level?: unknown };
    const ts = typeof o.ts === 'string' ? Date.parse(o.ts) : NaN;
    const level = RANK[o.level as keyof typeof RANK];
    return Number.isFinite(ts) && level !== undefined ? { ts, level } : undefined;
  } catch {
    return undefined;
  }
}

export function selectLogs(all: readonly string[], q: LogQuery): LogSlice {
  const matched = all.filter((l) => {
    const p = parse(l);
    return p !== undefined && p.ts >= q.sinceMs && p.level >= RANK[q.level];
  });
  let take = Math.min(matched.length, q.maxLines);
  const encode = (n: number): string => deflateRawSync(Buffer.from(matched.slice(matched.length - n).join('\n'))).toString('base64');
  let b64 = encode(take);
  // Halve until it fits, then creep back up: a few deflate passes, not one per line.
  let lo = 0;
  while (b64.length > q.maxBytes && take > 0) {
    lo = Math.floor(take / 2);
    const hi = take;
    take = lo;
    b64 = encode(take);
    if (b64.length <= q.maxBytes) {
      for (let step = Math.max(1, Math.floor((hi - lo) / 8)); take + step <= hi; ) {
        const next = encode(take + step);
        if (next.length > q.maxBytes) break;
        take += step;
        b64 = next;
      }
    }
  }
  const kept = matched.slice(matched.length - take);
  const first = kept[0] === undefined ? undefined : (JSON.parse(kept[0]) as { ts: string }).ts;
  const last = kept.at(-1) === undefined ? undefined : (JSON.parse(kept.at(-1)!) as { ts: string }).ts;
  return { deflatedBase64: b64, lines: take, matched: matched.length, truncated: take < matched.length, ...(first === undefined ? {} : { firstTs: first }), ...(last === undefined ? {} : { lastTs: last }) };
}
