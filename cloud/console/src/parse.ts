// Pure parsing for the console's pages: no DOM, no API, so the tests run them in Node
// (cloud/test/console/parse.test.ts).

/** A chart series: [seconds since the epoch, value] sorted by time. */
export interface Series {
  label: string;
  points: Array<[number, number]>;
}

/** A queue message as the API renders it (docs/api.md). */
export interface QueueMsg {
  offset: number;
  topic: string;
  createdAt: number;
  envelope?: any;
  payloadBase64?: string;
}

/** Pure: the args field as a JSON object, or the reason it is not one. */
export function parseArgs(src: string): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  if (src.trim() === '') return { ok: true, value: {} };
  try {
    const v: unknown = JSON.parse(src);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, message: 'args must be a JSON object, e.g. {"on": true}' };
    return { ok: true, value: v as Record<string, unknown> };
  } catch (err) {
    return { ok: false, message: `args are not valid JSON: ${(err as Error).message}` };
  }
}

/** Pure: `k=v, k2=v2` as a tags object; a part without `=` is an error naming it. */
export function parseTags(src: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of src.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`tag "${part}" must be key=value`);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/** Pure: numeric readings of recent telemetry batches, one series per device/stream. */
export function telemetrySeries(msgs: readonly QueueMsg[]): Series[] {
  const by = new Map<string, Array<[number, number]>>();
  for (const m of msgs) {
    const e = m.envelope;
    if (e === undefined) continue;
    const readings = e.type === 'batch' && Array.isArray(e.readings) ? e.readings : e.type === 'reading' ? [e] : [];
    const key = `${String(e.device)}/${String(e.stream)}`;
    for (const r of readings) {
      if (typeof r.value !== 'number' || typeof r.ts !== 'number') continue;
      const pts = by.get(key) ?? [];
      pts.push([r.ts / 1000, r.value]);
      by.set(key, pts);
    }
  }
  return [...by.entries()].map(([label, points]) => ({ label, points: points.sort((a, b) => a[0] - b[0]) }));
}

/**
 * Pure: where a sink replays from, as `POST /v1/sinks/{name}/replay` takes it: a queue offset (digits),
 * `earliest` (the oldest kept message) or a date and time (`2026-12-06T08:00`, local unless it says `Z` or an offset).
 */
export function parseReplayFrom(src: string): { offset: number } | { time: number } {
  const s = src.trim();
  if (s === '') throw new Error('replay from: give an offset, a time or "earliest"');
  if (/^\d+$/.test(s)) return { offset: Number(s) };
  if (s === 'earliest') return { time: 0 };
  const t = /^\d{4}-\d{2}-\d{2}/.test(s) ? new Date(s).getTime() : NaN;
  if (!Number.isFinite(t)) throw new Error(`replay from: "${s}" is neither an offset, a time nor "earliest"`);
  return { time: t };
}

/** Pure: a comma-separated list (groups, queues, topic filters), trimmed, empty parts left out. */
export function parseList(src: string): string[] {
  return src.split(',').map((p) => p.trim()).filter(Boolean);
}

/** Pure: a message body that is not an envelope, as text (UTF-8, invalid bytes replaced), for display. */
export function payloadText(base64: string | undefined): string {
  if (base64 === undefined) return '';
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}
