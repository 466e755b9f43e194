import { CausewayError } from '@causeway/shared';

/** `--key value` / `--key=value` pairs; every key must be in `known`, else a USAGE error (exit 64). */
export function parseArgs(argv: readonly string[], known: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new CausewayError('USAGE', `unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    const key = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (!known.includes(key)) throw new CausewayError('USAGE', `unknown option --${key} (known: ${known.map((k) => '--' + k).join(' ')})`);
    const value = eq < 0 ? argv[++i] : a.slice(eq + 1);
    if (value === undefined) throw new CausewayError('USAGE', `--${key} needs a value`);
    out[key] = value;
  }
  return out;
}

export function numberArg(args: Record<string, string>, key: string, opts: { min?: number; integer?: boolean } = {}): number | undefined {
  const v = args[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    throw new CausewayError('USAGE', `--${key} must be a ${opts.integer ? 'whole ' : ''}number${opts.min === undefined ? '' : ` >= ${opts.min}`}, got "${v}"`);
  }
  return n;
}
