/** Display helpers: pure, text only (the DOM escapes what they return). */
export const DASH = '—';

export function ago(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return DASH;
  return `${duration(Math.max(0, now - ms))} ago`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return DASH;
  const s = ms / 1000;
  if (s < 1) return `${Math.round(ms)} ms`;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** Bytes, 1024-based as the where language counts them (fleet/where.ts). */
export function bytes(n: unknown): string {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return DASH;
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A signed clock offset in ms, e.g. "+1.2 s", "−40 ms". */
export function offset(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return DASH;
  const sign = ms < 0 ? '−' : '+';
  const a = Math.abs(ms);
  return `${sign}${a < 1000 ? `${Math.round(a)} ms` : `${(a / 1000).toFixed(1)} s`}`;
}

export function time(ms: number | undefined): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return DASH;
  return new Date(ms).toLocaleString();
}

export function num(n: unknown): string {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString() : DASH;
}

/** A value of unknown shape as short text (payload fields, outputs). */
export function text(v: unknown, max = 200): string {
  if (v === undefined || v === null) return DASH;
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

export function tags(t: Record<string, string> | undefined): string {
  if (t === undefined) return DASH;
  const parts = Object.entries(t).map(([k, v]) => `${k}=${v}`);
  return parts.length === 0 ? DASH : parts.join(', ');
}
