import { readFileSync } from 'node:fs';
import { CausewayError } from '../errors/causeway-error.js';
import { EXIT, exitCodeFor } from '../errors/exit-codes.js';
import { formatConfigHelp, type Schema } from '../config/load-config.js';

/** The version in package.json, read once. */
export function packageVersion(): string {
  for (const rel of ['../../../package.json', '../../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'causeway' && pkg.version) return pkg.version;
    } catch {
      // try the next layout (sources vs dist/)
    }
  }
  return '0.0.0-unknown';
}

export interface ProgramInfo {
  name: string;
  summary: string;
  usage?: string;
  schema?: Schema;
  /** command lines shown under Examples: in --help */
  examples?: string[];
  /** help of a sub-command (`causeway send --help`), or undefined for the program's own help */
  helpFor?: (argv: string[]) => string | undefined;
  /**
   * `--version` after the sub-command is the sub-command's flag (`causeway file publish … --version 0.3.0`,
   * issue 17): the program's version only when it comes before the first positional argument.
   */
  subcommandVersionFlag?: boolean;
}

/** Usage text shared by every binary. */
export function helpText(p: ProgramInfo): string {
  const lines = [`${p.name} ${packageVersion()} — ${p.summary}`, '', `Usage: ${p.usage ?? `${p.name} [--config FILE] [--key value …]`}`, ''];
  lines.push('Options:', '  --help        show this help', '  --version     print the version');
  if (p.schema) lines.push('  --config FILE load a JSON config file');
  if (p.examples !== undefined && p.examples.length > 0) lines.push('', 'Examples:', ...p.examples.map((e) => `  ${e}`));
  if (p.schema) lines.push('', 'Config keys (file, env var, or flag; flags win):', formatConfigHelp(p.schema));
  return lines.join('\n') + '\n';
}

/**
 * Runs a program's main with the shared conventions: `--help`, `--version`, errors printed as one line
 * on stderr and mapped to an exit code (78 for bad config, so systemd does not restart-loop).
 */
export async function runProgram(p: ProgramInfo, main: (argv: string[]) => Promise<number | void>): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(p.helpFor?.(argv) ?? helpText(p));
    return;
  }
  const firstPositional = p.subcommandVersionFlag === true ? argv.findIndex((a) => !a.startsWith('-')) : -1;
  const head = firstPositional < 0 ? argv : argv.slice(0, firstPositional);
  if (head.includes('--version') || head.includes('-V')) {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  try {
    const code = await main(argv);
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    const code = exitCodeFor(err);
    const msg = err instanceof CausewayError ? `${err.code}: ${err.message}` : (err as Error)?.stack ?? String(err);
    process.stderr.write(`${p.name}: ${msg}\n`);
    process.exitCode = code === EXIT.OK ? EXIT.SOFTWARE : code;
  }
}
