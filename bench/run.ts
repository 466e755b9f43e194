/**
 * Benchmark runner: `npm run bench -- NAME [--flags]` runs bench/NAME.ts, prints a table with each
 * contender's figure and Causeway's ratio to it, then a markdown block to paste into docs/benchmarks.md.
 * `npm run bench -- --list` lists the benchmarks. Nothing is written to disk, except with `--plot`:
 * an SVG bar chart of the result in docs/plots/NAME.svg.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from './lib/args.js';
import { stopAllCompetitors } from './lib/competitors.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { markdownBlock, textTable } from './lib/report.js';
import type { BenchModule } from './lib/result.js';
import { barChartSvg } from './lib/plot.js';

const here = dirname(fileURLToPath(import.meta.url));
const NAME = /^[a-z0-9][a-z0-9-]*$/;

function benchmarkNames(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'run.ts')
    .map((f) => f.slice(0, -3))
    .sort();
}

async function load(name: string): Promise<BenchModule> {
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as Partial<BenchModule>;
  if (typeof mod.run !== 'function') throw new Error(`bench/${name}.ts does not export run(args)`);
  return { description: mod.description ?? '', run: mod.run };
}

/** "commit 1a2b3c4" plus a warning when the tree has uncommitted changes; undefined outside git. */
function codeVersion(): string | undefined {
  try {
    const git = (args: string[]): string => execFileSync('git', args, { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    const dirty = git(['status', '--porcelain', '--untracked-files=no']).length > 0;
    const cloudMain = process.env['CAUSEWAY_BENCH_CLOUD_MAIN'];
    return `commit ${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ' with uncommitted changes in the tree' : ''}${cloudMain === undefined ? '' : `; causeway-cloud from ${cloudMain}`}`;
  } catch {
    return undefined;
  }
}

async function main(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv);
  const names = benchmarkNames();
  if (flags['list'] === true || flags['help'] === true || positional.length === 0) {
    process.stdout.write('usage: npm run bench -- NAME [--quick] [--flags]\n\nbenchmarks:\n');
    for (const n of names) process.stdout.write(`  ${n.padEnd(14)} ${(await load(n)).description}\n`);
    return positional.length === 0 && flags['list'] !== true && flags['help'] !== true ? 64 : 0;
  }
  const name = positional[0]!;
  if (!NAME.test(name) || !names.includes(name)) {
    process.stderr.write(`bench: no benchmark "${name}" (have: ${names.join(', ')})\n`);
    return 64;
  }
  const bench = await load(name);
  const machine = describeMachine();
  const when = new Date();
  process.stderr.write(`bench ${name} on ${machineLine(machine)}\n`);
  const result = await bench.run(flags);
  const command = ['npm run bench --', ...argv].join(' ');
  process.stdout.write(`\n${textTable(result)}\n\n`);
  for (const n of result.notes) process.stdout.write(`note: ${n}\n`);
  process.stdout.write(`\n--- markdown for docs/benchmarks.md ---\n${markdownBlock(result, machine, command, when, codeVersion())}\n---\n`);
  if (flags['plot'] === true) {
    const dir = new URL('../docs/plots/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    const file = new URL(`${result.name}.svg`, dir);
    writeFileSync(file, barChartSvg(result));
    process.stdout.write(`plot written to docs/plots/${result.name}.svg\n`);
  }
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await stopAllCompetitors();
}
