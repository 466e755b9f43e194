import { CausewayError } from '@causeway/shared';

export type StartPosition = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'time'; time: number };

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `consume --from`: `earliest`, `latest`, a duration back from now (`10m`, `2h`, `1d`, `30s`), epoch
 * milliseconds, or an ISO 8601 time. Pure (now is given).
 */
export function parseFrom(s: string, now = Date.now()): StartPosition {
  if (s === 'earliest' || s === 'latest') return { kind: s };
  const rel = /^(\d+)([smhd])(?: ago)?$/.exec(s);
  if (rel) return { kind: 'time', time: now - Number(rel[1]) * UNIT_MS[rel[2]!]! };
  if (/^\d{10,}$/.test(s)) return { kind: 'time', time: Number(s) };
  const t = /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : NaN;
  if (Number.isNaN(t)) throw new CausewayError('USAGE', `--from must be latest, earliest, a time like 2026-12-04T10:00:00Z, or a duration like 10m, got "${s}"`);
  return { kind: 'time', time: t };
}
