/**
 * The arm64 side of edge-footprint (issue 16: "the same benchmark under qemu-aarch64 with the arm64 SEA
 * build, as a ratio to the baseline under the same emulation"): where the cross-built single executable,
 * the arm64 `node` of the cross-build cache and the qemu-user runner are, or why the arm64 contenders
 * cannot run; and the ratio verdict between a contender and its baseline under the same emulation.
 *
 * qemu-user translates one guest process inside one host process: the pid spawned is `qemu-aarch64`
 * itself, not a wrapper, and /proc/PID of it counts the guest's work plus the translator's (its code
 * cache in RSS, translation in CPU). So absolute figures are the emulator's; the ratio of two programs
 * under the same emulation is what says something about a Raspberry Pi.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cachedCross, runnerFor } from '../../edge/package/cross-prereqs.js';
import { TARGETS } from '../../edge/package/targets.js';

export interface Arm64Runtime {
  /** e.g. ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'] */
  runner: string[];
  /** Node's official linux-arm64 binary (cross-build cache), for the forwarder */
  node: string;
  /** dist/package/linux-arm64/causeway-edge */
  sea: string;
}

export interface Arm64Found {
  runner: string[] | undefined;
  node: string | undefined;
  sea: string | undefined;
}

/** Why the arm64 contenders cannot run, naming the command that fixes it; undefined when all is there. */
export function arm64MissingReason(found: Arm64Found): string | undefined {
  const missing: string[] = [];
  if (found.runner === undefined) missing.push('qemu-aarch64 not installed (apt-get install qemu-user)');
  if (found.node === undefined) missing.push('no arm64 node in dist/package/.cache/linux-arm64');
  if (found.sea === undefined) missing.push('no dist/package/linux-arm64/causeway-edge');
  if (missing.length === 0) return undefined;
  const build = found.node === undefined || found.sea === undefined ? ' (run: npm run package -- --target linux-arm64)' : '';
  return `${missing.join('; ')}${build}`;
}

/** The arm64 runtime under `repoRoot`, or the reason it is not there. */
export function findArm64Runtime(repoRoot: string): Arm64Runtime | { missing: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { missing: `the arm64 contenders run under qemu-user on linux-x64 (this is ${process.platform}-${process.arch})` };
  const arm64 = TARGETS['linux-arm64'];
  let node: string | undefined;
  try {
    node = cachedCross(arm64, repoRoot, join(repoRoot, 'dist', 'package', '.cache'))?.nodeBinary;
  } catch {
    node = undefined;
  }
  const sea = join(repoRoot, 'dist', 'package', arm64.name, 'causeway-edge');
  const found: Arm64Found = { runner: runnerFor(arm64), node, sea: existsSync(sea) ? sea : undefined };
  const missing = arm64MissingReason(found);
  return missing === undefined ? { runner: found.runner!, node: found.node!, sea: found.sea! } : { missing };
}

export interface FootprintFigures {
  rssMiB: number;
  /** CPU µs per reading fed */
  cpuMicrosPerReading: number;
}

/**
 * One line comparing a contender with its baseline in the same run and under the same emulation:
 * RSS ratio and difference (issue 16: at most the baseline's + 10 MiB) and CPU per reading ratio
 * (at most 1.5×).
 */
export function ratioVerdict(label: string, ours: FootprintFigures, base: FootprintFigures, limits = { cpuRatio: 1.5, rssExtraMiB: 10 }): string {
  const cpu = ours.cpuMicrosPerReading / base.cpuMicrosPerReading;
  const rss = ours.rssMiB / base.rssMiB;
  const extra = ours.rssMiB - base.rssMiB;
  const fmt = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '—');
  const meets = (ok: boolean, n: number): string => (!Number.isFinite(n) ? 'not measured' : ok ? 'meets' : 'MISSES');
  return (
    `${label}: CPU per reading ${ours.cpuMicrosPerReading.toFixed(0)} ÷ ${base.cpuMicrosPerReading.toFixed(0)} µs = ${fmt(cpu)} — ${meets(cpu <= limits.cpuRatio, cpu)} the ≤ ${limits.cpuRatio}× target; ` +
    `RSS max ${ours.rssMiB.toFixed(1)} ÷ ${base.rssMiB.toFixed(1)} MiB = ${fmt(rss)} (${extra >= 0 ? '+' : ''}${extra.toFixed(1)} MiB — ${meets(extra <= limits.rssExtraMiB, extra)} the ≤ +${limits.rssExtraMiB} MiB target)`
  );
}
