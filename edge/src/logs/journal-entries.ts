/**
 * Reading the agent's own entries from `journalctl -o json` (issue 20: remote logs from journald when the
 * agent runs under systemd). Pure functions, so the parsing is tested without a journal.
 *
 * `-o json` prints one JSON object per entry and line. The fields used: MESSAGE (a string; an array of
 * byte values when the message is not valid UTF-8 or holds control characters), __REALTIME_TIMESTAMP
 * (microseconds since the epoch, as a decimal string) and PRIORITY (syslog 0–7, a decimal string; the
 * agent's `<N>` line prefix sets it). See systemd.journal-fields(7) and journalctl(1) "-o json".
 *
 * An entry whose MESSAGE is one of the agent's JSON log lines is kept as it is. Any other entry (a Node
 * stack trace after a crash, systemd's "Started …", "Main process exited, status=…") is what the ring
 * buffer never sees, and is the reason to read the journal: it becomes a log line of its own,
 * `{"ts","level","msg","source":"journal"}`, with the level from PRIORITY.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** journalctl -p: the entries at this level or more severe (syslog: error 3, warning 4, info 6, debug 7). */
export const JOURNAL_PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };

/** Pure: syslog priority 0–7 → our level (0–3 error, 4 warn, 5–6 info, 7 debug); info when absent. */
export function levelOfPriority(priority: unknown): LogLevel {
  const p = typeof priority === 'string' && /^[0-7]$/.test(priority) ? Number(priority) : 6;
  return p <= 3 ? 'error' : p === 4 ? 'warn' : p <= 6 ? 'info' : 'debug';
}

function messageText(m: unknown): string | undefined {
  if (typeof m === 'string') return m;
  // [journalctl(1) -o json] non-UTF-8 or binary messages are an array of numbers (bytes)
  if (Array.isArray(m) && m.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return Buffer.from(m as number[]).toString('utf8');
  return undefined;
}

function isAgentLine(text: string): boolean {
  if (!text.startsWith('{')) return false;
  try {
    const o = JSON.parse(text) as { ts?: unknown; level?: unknown };
    return typeof o.ts === 'string' && Number.isFinite(Date.parse(o.ts)) && typeof o.level === 'string';
  } catch {
    return false;
  }
}

/** Pure: one journal entry → one log line (no newline), or undefined when it has no usable message or time. */
export function journalEntryToLine(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  const text = messageText(e.MESSAGE);
  if (text === undefined || text === '') return undefined;
  if (isAgentLine(text)) return text;
  const us = typeof e.__REALTIME_TIMESTAMP === 'string' && /^\d{1,17}$/.test(e.__REALTIME_TIMESTAMP) ? Number(e.__REALTIME_TIMESTAMP) : NaN;
  if (!Number.isFinite(us)) return undefined;
  return JSON.stringify({ ts: new Date(Math.floor(us / 1000)).toISOString(), level: levelOfPriority(e.PRIORITY), msg: text.replace(/\s+$/, ''), source: 'journal' });
}

/** Pure: the whole output of `journalctl -o json` → log lines, oldest first; unparseable lines are skipped. */
export function parseJournalJson(output: string): string[] {
  const lines: string[] = [];
  for (const raw of output.split('\n')) {
    if (raw.trim() === '') continue;
    let entry: unknown;
    try {
      entry = JSON.parse(raw);
    } catch {
      continue;
    }
    const line = journalEntryToLine(entry);
    if (line !== undefined) lines.push(line);
  }
  return lines;
}

/**
 * Pure: the systemd unit this process runs in, from /proc/self/cgroup (cgroup v2 `0::/system.slice/x.service`,
 * or a v1 `name=systemd` line), or undefined when it is not in a service.
 */
export function unitFromCgroup(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const m = /^\d+:(?:name=systemd)?:(\/.*)$/.exec(line.trim());
    if (m === null) continue;
    const unit = m[1]!.split('/').reverse().find((seg) => /^[\w@.:-]+\.service$/.test(seg));
    if (unit !== undefined) return unit;
  }
  return undefined;
}
