import { fstatSync } from 'node:fs';
import { clip, LOG_FIELD_CHARS } from './clip.js';
/**
 * Structured logging: one JSON object per line on stdout (journald keeps it, `jq` reads it). Fields
 * whose names look secret are replaced before they are written, wherever they are nested, so a
 * password passed by mistake never reaches the log.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SECRET_KEY = /pass(word)?|secret|token|authorization|credential|private.?key|^key$|apikey|signature/i;
export const REDACTED = '[redacted]';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  readonly level: LogLevel;
}

/**
 * True when our stdout is the journal stream systemd connected (JOURNAL_STREAM names its device:inode).
 * A child process inherits the variable with a different stdout (a pipe), so the variable alone is not enough.
 */
function stdoutIsJournal(): boolean {
  const js = process.env.JOURNAL_STREAM;
  if (js === undefined) return false;
  try {
    const st = fstatSync(1);
    return js === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

/** syslog priorities journald reads from a `<N>` line prefix (SyslogLevelPrefix=yes, its default). */
const SYSLOG: Record<Exclude<LogLevel, 'silent'>, number> = { debug: 7, info: 6, warn: 4, error: 3 };

export interface LoggerOptions {
  /** prefix each line with `<N>` so journald records the level; default: when stdout is the journal stream (JOURNAL_STREAM) */
  journald?: boolean;
  level?: LogLevel;
  name?: string;
  /** where lines go; default process.stdout */
  write?: (line: string) => void;
  /** fixed fields on every line */
  fields?: Record<string, unknown>;
}

/** Replaces secret-looking fields, turns Errors into plain objects and clips long strings. Pure; exported for tests. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[depth]';
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: clip(value.message, LOG_FIELD_CHARS) };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (value.cause !== undefined) out.cause = redact(value.cause, depth + 1);
    return out;
  }
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1);
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  // No field may make a line huge, whoever forgot to clip it (issue 23 item 7).
  if (typeof value === 'string') return clip(value, LOG_FIELD_CHARS);
  return value;
}

/** Creates a JSON-lines logger. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const write = opts.write ?? ((line: string) => process.stdout.write(line));
  const base: Record<string, unknown> = { ...(opts.name === undefined ? {} : { name: opts.name }), ...opts.fields };
  const min = RANK[level];
  const journald = opts.journald ?? stdoutIsJournal();
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[lvl] < min) return;
    const rec = redact({ ...base, ...fields }) as Record<string, unknown>;
    const line = JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg, ...rec }) + '\n';
    write(journald ? `<${SYSLOG[lvl]}>${line}` : line);
  };
  return {
    level,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...opts, level, write, journald, fields: { ...opts.fields, ...fields } }),
  };
}

/** A logger that writes nothing (tests, benchmarks). */
export const silentLogger: Logger = createLogger({ level: 'silent' });
