/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`, e.g. `npm run bench -- edge-footprint --cpu-prof DIR`):
 * self time per function and per package or source file, the largest first.
 *
 *   node --import tsx bench/lib/cpu-profile-top.ts FILE.cpuprofile [N] [SKIP_MS]
 *
 * SKIP_MS leaves out the first milliseconds of the profile (start-up: module loading, opening the file),
 * which the bench's CPU figures do not count either.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package (node_modules/NAME) or the source file a frame belongs to; `(native)` for V8's own frames. */
export function frameModule(url: string): string {
  if (url === '') return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}

/** Self time in µs per function and per module, from a profile's samples. */
export function selfTimes(p: Profile, skipMs = 0): { total: number; byFunction: Map<string, number>; byModule: Map<string, number> } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  let total = 0;
  let at = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    at += dt;
    if (at < skipMs * 1000) return;
    const n = byId.get(id);
    if (n === undefined) return;
    const f = n.callFrame;
    const fn = `${f.functionName || '(anonymous)'} ${frameModule(f.url)}:${f.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
    const m = f.functionName === '(idle)' || f.functionName === '(program)' || f.functionName === '(garbage collector)' ? f.functionName : frameModule(f.url);
    byModule.set(m, (byModule.get(m) ?? 0) + dt);
    total += dt;
  });
  return { total, byFunction, byModule };
}

function main(): void {
  const [file, nArg, skipArg] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: cpu-profile-top.ts FILE.cpuprofile [N]');
  const n = Number(nArg ?? 25);
  const { total, byFunction, byModule } = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(skipArg ?? 0));
  const busy = total - (byModule.get('(idle)') ?? 0);
  const show = (title: string, m: Map<string, number>): void => {
    process.stdout.write(`\n${title} (self time, % of non-idle ${(busy / 1e6).toFixed(2)} s)\n`);
    for (const [k, v] of [...m].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, n)) process.stdout.write(`${((100 * v) / busy).toFixed(1).padStart(6)} %  ${k}\n`);
  };
  show('by module', byModule);
  show('by function', byFunction);
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main();
