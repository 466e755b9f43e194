/**
 * Resident memory, CPU time and disk writes of a process, read from /proc the way `top` and `iotop` do:
 * VmRSS from /proc/PID/status, utime+stime (fields 14 and 15) from /proc/PID/stat, write_bytes from
 * /proc/PID/io (bytes the process caused to be sent to the block layer: WAL frames, checkpoints, logs
 * to files; not what goes to a pipe or a socket). Linux only; the one copy of /proc parsing (issue 16).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** VmRSS in KiB from the text of /proc/PID/status; NaN when the line is missing (a zombie has none). */
export function parseVmRssKiB(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) : Number.NaN;
}

/**
 * utime+stime in clock ticks from the text of /proc/PID/stat. The command name (field 2) is in
 * parentheses and may itself hold spaces or parentheses, so fields are counted from the LAST ')'.
 */
export function parseCpuTicks(stat: string): number {
  const close = stat.lastIndexOf(')');
  if (close < 0) return Number.NaN;
  // rest[0] is field 3 (state), so field k is rest[k - 3]
  const rest = stat.slice(close + 2).trim().split(/\s+/);
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : Number.NaN;
}

/** write_bytes from the text of /proc/PID/io; NaN when the line is missing. */
export function parseWriteBytes(io: string): number {
  const m = /^write_bytes:\s*(\d+)$/m.exec(io);
  return m ? Number(m[1]) : Number.NaN;
}

/** Bytes `pid` (default: this process) has sent to the block layer so far; NaN without /proc/PID/io. */
export function readWriteBytes(pid: number | 'self' = 'self'): number {
  try {
    return parseWriteBytes(readFileSync(`/proc/${pid}/io`, 'utf8'));
  } catch {
    return Number.NaN;
  }
}

let ticks: number | undefined;
/** Clock ticks per second (`getconf CLK_TCK`, 100 on every common Linux build). */
export function clockTicks(): number {
  if (ticks !== undefined) return ticks;
  try {
    ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim()) || 100;
  } catch {
    ticks = 100;
  }
  return ticks;
}

export interface ProcSample {
  rssKiB: number;
  cpuSeconds: number;
  /** write_bytes of /proc/PID/io; NaN where it cannot be read */
  writeBytes: number;
}

/** One reading of the process's RSS and CPU time; undefined once the process is gone. */
export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const rssKiB = parseVmRssKiB(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const cpuSeconds = parseCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / clockTicks();
    return { rssKiB, cpuSeconds, writeBytes: readWriteBytes(pid) };
  } catch {
    return undefined;
  }
}

export interface FootprintReport {
  samples: number;
  rssMaxKiB: number;
  rssLastKiB: number;
  /** CPU seconds (user + system) between start() and stop() */
  cpuSeconds: number;
  /** bytes written to the block layer between start() and stop() (/proc/PID/io write_bytes) */
  writeBytes: number;
  wallMs: number;
  /** cpuSeconds / wall seconds × 100: one fully busy core is 100 % */
  cpuPercent: number;
}

/** Samples a process every `intervalMs` between start() and stop(). */
export class ProcSampler {
  #timer: NodeJS.Timeout | undefined;
  #first: ProcSample | undefined;
  #last: ProcSample | undefined;
  #t0 = 0;
  #samples = 0;
  #rssMax = 0;

  constructor(readonly pid: number, readonly intervalMs = 250) {}

  start(): void {
    this.#t0 = performance.now();
    this.#first = this.#take();
    this.#timer = setInterval(() => this.#take(), this.intervalMs);
  }

  #take(): ProcSample | undefined {
    const s = sampleProcess(this.pid);
    if (s === undefined) return undefined;
    this.#samples++;
    this.#last = s;
    if (s.rssKiB > this.#rssMax) this.#rssMax = s.rssKiB;
    return s;
  }

  stop(): FootprintReport {
    clearInterval(this.#timer);
    this.#take();
    const wallMs = performance.now() - this.#t0;
    const cpuSeconds = this.#first !== undefined && this.#last !== undefined ? this.#last.cpuSeconds - this.#first.cpuSeconds : Number.NaN;
    return {
      samples: this.#samples,
      rssMaxKiB: this.#rssMax,
      rssLastKiB: this.#last?.rssKiB ?? Number.NaN,
      cpuSeconds,
      writeBytes: this.#first !== undefined && this.#last !== undefined ? this.#last.writeBytes - this.#first.writeBytes : Number.NaN,
      wallMs,
      cpuPercent: (cpuSeconds / (wallMs / 1000)) * 100,
    };
  }
}
