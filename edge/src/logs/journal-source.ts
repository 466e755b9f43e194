import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CausewayError, findOnPath } from '@causeway/shared';
import { JOURNAL_PRIORITY, parseJournalJson, unitFromCgroup, type LogLevel } from './journal-entries.js';

/**
 * The agent's own journal (issue 20): `causeway logs` reads it when the agent runs as a systemd service
 * whose output goes to journald and `journalctl` is on PATH, and falls back to the log ring otherwise or
 * when reading fails (log-commands.ts). The journal holds what the ring cannot: the lines of earlier
 * runs, a crash's stack trace, systemd's own messages about the unit.
 *
 * The service user needs read access to the system journal (group systemd-journal; see
 * docs/operations.md "Remote logs"): without it journalctl finds no entries and says so on stderr,
 * which is taken as "unavailable", not as an empty log.
 */
export interface JournalQuery {
  sinceMs: number;
  level: LogLevel;
  /** the newest this many entries */
  maxLines: number;
}

export interface JournalSource {
  unit: string;
  read(q: JournalQuery): Promise<string[]>;
}

/** Runs journalctl with these arguments: stdout, or a rejection carrying stderr. */
export type JournalRunner = (args: string[]) => Promise<{ stdout: string; stderr: string }>;

/** journalctl's answer when the user may not read the system journal (it then shows only the user's own). */
const NO_ACCESS = /insufficient permissions|not seeing messages from other users/i;

/** Output cap: 5,000 entries of a few hundred bytes each as JSON, with room; more is refused, not cut. */
const MAX_OUTPUT = 16 * 1024 * 1024;

const runJournalctl: JournalRunner = (args) =>
  new Promise((resolve, reject) => {
    execFile('journalctl', args, { timeout: 15_000, maxBuffer: MAX_OUTPUT, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve({ stdout, stderr });
    });
  });

/** The journal of `unit`, read with `run` (journalctl by default). */
export function journalSource(unit: string, run: JournalRunner = runJournalctl): JournalSource {
  return {
    unit,
    async read(q) {
      // --since takes "@<unix seconds>"; -p keeps this level and the more severe; -n the newest N.
      const args = ['-u', unit, '-o', 'json', '--no-pager', '--quiet', '--since', `@${Math.floor(q.sinceMs / 1000)}`, '-p', String(JOURNAL_PRIORITY[q.level]), '-n', String(q.maxLines)];
      let out: { stdout: string; stderr: string };
      try {
        out = await run(args);
      } catch (err) {
        const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
        throw new CausewayError('JOURNAL_UNAVAILABLE', `journalctl failed: ${stderr.slice(0, 200) || (err as Error).message}`, { cause: err });
      }
      if (NO_ACCESS.test(out.stderr)) throw new CausewayError('JOURNAL_UNAVAILABLE', `journalctl may not read the system journal: ${out.stderr.trim().slice(0, 200)}`);
      return parseJournalJson(out.stdout);
    },
  };
}

/**
 * The journal to read, when there is one: log.source `auto` (the default), stdout connected
 * to journald (systemd sets JOURNAL_STREAM), a unit to ask for (from /proc/self/cgroup), and journalctl
 * on PATH. `ring` (or any of those missing) → undefined: the log ring is used.
 */
export function detectJournal(source: 'auto' | 'ring', env: NodeJS.ProcessEnv, readCgroup: () => string = () => readFileSync('/proc/self/cgroup', 'utf8')): JournalSource | undefined {
  if (source === 'ring') return undefined;
  if (env.JOURNAL_STREAM === undefined || env.JOURNAL_STREAM === '') return undefined;
  if (findOnPath('journalctl', env.PATH) === undefined) return undefined;
  let unit: string | undefined;
  try {
    unit = unitFromCgroup(readCgroup());
  } catch {
    return undefined;
  }
  return unit === undefined ? undefined : journalSource(unit);
}
