import { CausewayError } from './causeway-error.js';

/** Process exit codes, from sysexits.h, so systemd can tell a bad config (no restart) from a crash. */
export const EXIT = Object.freeze({
  OK: 0,
  SOFTWARE: 70,
  USAGE: 64,
  DATAERR: 65,
  TEMPFAIL: 75,
  NOPERM: 77,
  UNAVAILABLE: 69,
  IOERR: 74,
  CONFIG: 78,
});

/** The one place that maps an error to an exit code. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CausewayError) {
    // An error that knows its exit code (the CLI's refused API requests) keeps it.
    const own = (err as { exitCode?: unknown }).exitCode;
    if (typeof own === 'number') return own;
    if (err.code === 'CONFIG_INVALID') return EXIT.CONFIG;
    if (err.code === 'USAGE') return EXIT.USAGE;
    // A data file written by a newer build that this one cannot read (issue 17): data, not I/O.
    if (err.code.endsWith('SCHEMA_TOO_NEW')) return EXIT.DATAERR;
    if (err.code.startsWith('IO_')) return EXIT.IOERR;
  }
  return EXIT.SOFTWARE;
}
