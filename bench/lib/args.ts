/**
 * Minimal flag parsing for benchmarks: `--name value`, `--name=value`, and bare `--flag` (true).
 * A value that starts with `--` is taken as the next flag, so `--quick --subs 50` works.
 */
export function parseArgs(argv: readonly string[]): { positional: string[]; flags: Record<string, string | boolean> } {
  const positional: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--') || a === '--') {
      if (a !== '--') positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 2) {
      flags[a.slice(2, eq)] = a.slice(eq + 1);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      flags[a.slice(2)] = next;
      i++;
    } else {
      flags[a.slice(2)] = true;
    }
  }
  return { positional, flags };
}

/** Reads a positive integer flag, or the default; throws naming the flag when it is not one. */
export function intFlag(flags: Readonly<Record<string, string | boolean>>, name: string, dflt: number): number {
  const v = flags[name];
  if (v === undefined) return dflt;
  const n = typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${String(v)}`);
  return n;
}

/** Reads a boolean flag (present = true). */
export function boolFlag(flags: Readonly<Record<string, string | boolean>>, name: string): boolean {
  const v = flags[name];
  return v === true || v === 'true' || v === '1';
}

/** Reads a comma-separated list flag, or the default. */
export function listFlag(flags: Readonly<Record<string, string | boolean>>, name: string, dflt: readonly string[]): string[] {
  const v = flags[name];
  if (typeof v !== 'string') return [...dflt];
  return v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
