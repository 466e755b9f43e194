import { parseArgs } from 'node:util';
import { CausewayError, didYouMean } from '@causeway/shared';

export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** the value's name in help (`--group G`) */
  value?: string;
  help: string;
}

/**
 * One `causeway` command: what `causeway <name> --help` prints (a one-line summary, the usage lines, the
 * flags, two examples — issue 24) and the flags its parser accepts, from one declaration.
 */
export interface CommandSpec {
  name: string;
  summary: string;
  usage: string[];
  flags: Record<string, FlagSpec>;
  examples: [string, string];
  /** the actions (`devices list|add|…`) a mistyped one is matched against */
  actions?: string[];
}

/** `-o table|json|wide`, shared by every listing command; `--json` stays as the short form of `-o json`. */
export const OUTPUT_FLAGS: Record<string, FlagSpec> = {
  output: { type: 'string', short: 'o', value: 'table|json|wide', help: 'output format (default table; wide adds columns)' },
  json: { type: 'boolean', help: 'same as -o json' },
};

export type OutputFormat = 'table' | 'json' | 'wide';

export function outputFormat(values: { output?: string | boolean | (string | boolean)[] | undefined; json?: string | boolean | (string | boolean)[] | undefined }): OutputFormat {
  if (values.json === true) return 'json';
  const o = values.output;
  if (o === undefined) return 'table';
  if (o === 'table' || o === 'json' || o === 'wide') return o;
  throw new CausewayError('USAGE', `-o must be table, json or wide, got "${String(o)}"`);
}

function flagLabel(name: string, f: FlagSpec): string {
  const short = f.short === undefined ? '' : `-${f.short}, `;
  const value = f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : '';
  return `${short}--${name}${value}${f.multiple ? ' (repeatable)' : ''}`;
}

/** The text of `causeway <command> --help`. Pure (snapshot-tested). */
export function formatCommandHelp(spec: CommandSpec): string {
  const lines = [`causeway ${spec.name} — ${spec.summary}`, '', 'Usage:', ...spec.usage.map((u) => `  ${u}`)];
  const flags = Object.entries(spec.flags);
  if (flags.length > 0) {
    const labels = flags.map(([n, f]) => flagLabel(n, f));
    const width = Math.max(...labels.map((l) => l.length));
    lines.push('', 'Flags:', ...flags.map(([, f], i) => `  ${labels[i]!.padEnd(width)}  ${f.help}`));
  }
  lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`), '', 'Global flags: --url URL, --token T, --token-file F (see causeway --help).');
  return lines.join('\n') + '\n';
}

type ParseArgsOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/**
 * Parses a command's arguments against its spec. Every mistake is one line with the command's name, a
 * "did you mean" when a flag is close to a real one, and the USAGE code (exit 64) — never a stack trace
 * or exit 70 (issue 24).
 */
export function parseCommand(spec: CommandSpec, argv: string[]): { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] } {
  const options: ParseArgsOptions = {};
  for (const [n, f] of Object.entries(spec.flags)) options![n] = { type: f.type, ...(f.multiple ? { multiple: true } : {}), ...(f.short === undefined ? {} : { short: f.short }) };
  try {
    const r = parseArgs({ args: argv, allowPositionals: true, strict: true, options });
    return { values: r.values as Record<string, string | boolean | string[] | boolean[] | undefined>, positionals: r.positionals };
  } catch (err) {
    const code = (err as { code?: string }).code;
    const names = Object.keys(spec.flags).map((n) => `--${n}`);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec((err as Error).message)?.[1] ?? '?';
      const bare = flag.split('=')[0]!;
      throw new CausewayError('USAGE', `unknown flag ${bare} for "causeway ${spec.name}"${didYouMean(bare, names)} (see causeway ${spec.name} --help)`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const full = /--([\w-]+)/.exec((err as Error).message)?.[1] ?? '';
      const f = spec.flags[full];
      const msg = f?.type === 'string' ? `--${full} needs a value (${f.value ?? 'VALUE'})` : `--${full} takes no value`;
      throw new CausewayError('USAGE', `${msg} (see causeway ${spec.name} --help)`);
    }
    throw new CausewayError('USAGE', `${(err as Error).message} (see causeway ${spec.name} --help)`, { cause: err });
  }
}

/** An unknown action of a command (`causeway devices lst`), with the closest real one. */
export function unknownAction(spec: CommandSpec, action: string): CausewayError {
  return new CausewayError('USAGE', `unknown action "${action}" for "causeway ${spec.name}"${didYouMean(action, spec.actions ?? [])} (see causeway ${spec.name} --help)`);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function strs(v: unknown): string[] | undefined {
  return Array.isArray(v) ? (v as string[]) : undefined;
}
