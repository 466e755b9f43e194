/**
 * Where the edge agent's RSS goes (issue 16): the agent from dist/ fed readings on stdin at one rate,
 * forwarding to mosquitto, with bench/lib/memory-probe.mjs preloaded; at the end /proc/PID/smaps is
 * summed by mapping (node's own text, native addons, other libraries, malloc's [heap], anonymous maps)
 * and set beside V8's own view (heap spaces, code, external and array buffers) and the modules loaded.
 *
 *   node --import tsx bench/lib/edge-memory-breakdown.ts [rate=1000] [secs=20] [node flags…] [-- agent flags…]
 *
 * rate 0 leaves the process idle for `secs` and prints the CPU it took meanwhile (idle CPU, issue 16).
 *
 * CAUSEWAY_BREAKDOWN_NAIVE=1 breaks down the baseline instead (bench/lib/naive-forwarder.ts, bundled as
 * edge-footprint bundles it); CAUSEWAY_HEAP_SNAPSHOT=1 with --heapsnapshot-signal=SIGUSR2 among the node
 * flags writes a heap snapshot into the measured process's cwd before the figures are read.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { startMosquitto } from './competitors.js';
import { startEdgeAgentProcess } from './edge-agent-process.js';
import { feedLines } from './paced-feeder.js';
import { ProcSampler } from './process-sampler.js';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const mine = dash < 0 ? argv : argv.slice(0, dash);
const agentFlags = dash < 0 ? [] : argv.slice(dash + 1);
const rate = Number(mine[0] ?? 1000);
const secs = Number(mine[1] ?? 20);
const nodeFlags = mine.slice(2);

function smaps(pid: number): Record<string, number> {
  const sums: Record<string, number> = {};
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const p = head[1] ?? '';
      name = p === '' ? 'anonymous' : p === '[heap]' ? '[heap] (malloc brk)' : p.startsWith('[') ? p : p.endsWith('.node') ? `addon ${p.split('/').pop()}` : p === process.execPath || p.endsWith('/node') ? 'node binary' : /\.so/.test(p) ? 'shared libraries' : 'other files';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) sums[name] = (sums[name] ?? 0) + Number(rss[1]);
  }
  return sums;
}

async function startNaive(url: string, flags: string[]): Promise<{ pid: number; stdin: Writable; stop(): Promise<void> }> {
  const out = join(dir, 'naive-forwarder.cjs');
  await build({ entryPoints: [join(here, 'naive-forwarder.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: out, logLevel: 'error' });
  const child = spawn(process.execPath, [...flags, out, '--url', url, '--gateway', 'gw-naive'], { stdio: ['pipe', 'pipe', 'inherit'], env: process.env });
  child.stdin.on('error', () => undefined);
  await new Promise<void>((res) => child.stdout.on('data', (b: Buffer) => String(b).includes('ready') && res()));
  return { pid: child.pid!, stdin: child.stdin, stop: async () => void child.kill('SIGKILL') };
}

const dir = mkdtempSync(join(tmpdir(), 'causeway-mem-'));
const probeOut = join(dir, 'probe.jsonl');
process.env['CAUSEWAY_MEMORY_PROBE'] = probeOut;
const broker = await startMosquitto();
try {
  const flags: Record<string, string> = {};
  for (let i = 0; i + 1 < agentFlags.length; i += 2) flags[agentFlags[i]!.replace(/^--/, '')] = agentFlags[i + 1]!;
  const probe = ['--import', resolve(here, 'memory-probe.mjs')];
  const a: { pid: number; stdin: Writable; stop(): Promise<void> } =
    process.env['CAUSEWAY_BREAKDOWN_NAIVE'] === undefined
      ? await startEdgeAgentProcess({ storePath: join(dir, 'outbox.db'), brokerUrl: broker.url, gateway: 'gw-mem', flags, nodeFlags: [...nodeFlags, ...probe] })
      : await startNaive(broker.url, [...nodeFlags, ...probe]);
  try {
    // rate 0: idle for `secs` (nothing fed), and the CPU that took
    const sampler = new ProcSampler(a.pid, 250);
    sampler.start();
    if (rate > 0) await feedLines(a.stdin, (seq, now) => JSON.stringify({ device: `dev${seq % 10}`, stream: 'temp', ts: now, value: 20 + (seq % 100) / 10, unit: 'C' }), { rate, durationMs: secs * 1000 });
    else await new Promise((r) => setTimeout(r, secs * 1000));
    const fp = sampler.stop();
    await new Promise((r) => setTimeout(r, 2500));
    if (process.env['CAUSEWAY_HEAP_SNAPSHOT'] !== undefined) {
      // --heapsnapshot-signal=SIGUSR2 among the node flags: the snapshot lands in the agent's cwd
      process.kill(a.pid, 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 8000));
    }
    const maps = smaps(a.pid);
    const status = readFileSync(`/proc/${a.pid}/status`, 'utf8');
    const vm = Object.fromEntries(status.split('\n').filter((l) => /^(VmRSS|VmHWM|RssAnon|RssFile|Threads)/.test(l)).map((l) => l.split(/:\s+/) as [string, string]));
    const last = JSON.parse(readFileSync(probeOut, 'utf8').trim().split('\n').pop()!);
    const mib = (b: number): string => (b / 1048576).toFixed(1);
    console.log(`rate ${rate}/s × ${secs} s, node flags: ${nodeFlags.join(' ') || '(none)'}, agent flags: ${agentFlags.join(' ') || '(none)'}`);
    console.log('/proc status:', JSON.stringify(vm), `CPU ${fp.cpuPercent.toFixed(2)} % of one core over ${(fp.wallMs / 1000).toFixed(1)} s (${fp.cpuSeconds.toFixed(2)} s), ${fp.writeBytes} bytes written`);
    console.log('smaps Rss by mapping (MiB):', Object.entries(maps).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${(v / 1024).toFixed(1)}`).join(' · '));
    const mu = last.mu;
    console.log(`process.memoryUsage: rss ${mib(mu.rss)} · heapTotal ${mib(mu.heapTotal)} · heapUsed ${mib(mu.heapUsed)} · external ${mib(mu.external)} · arrayBuffers ${mib(mu.arrayBuffers)}`);
    console.log(`V8: physical ${mib(last.heap.total_physical_size)} · malloced ${mib(last.heap.malloced_memory)} (peak ${mib(last.heap.peak_malloced_memory)}) · code+metadata ${mib(last.code.code_and_metadata_size + last.code.bytecode_and_metadata_size)} (bytecode ${mib(last.code.bytecode_and_metadata_size)}) · external scripts ${mib(last.code.external_script_source_size)}`);
    console.log('V8 spaces size/used (MiB):', Object.entries(last.spaces as Record<string, { size: number; used: number }>).map(([k, v]) => `${k} ${mib(v.size)}/${mib(v.used)}`).join(' · '));
    console.log(`modules loaded: ${last.modules}`, JSON.stringify(last.byPackage));
  } finally {
    await a.stop();
  }
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
