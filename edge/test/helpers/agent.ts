import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** The real agent as a child process (tsx, sources), fed JSON lines on stdin. */
export interface Agent {
  proc: ChildProcess;
  /** highest N such that lines 1..N are settled; with `nacked` gives the committed lines */
  acked: number;
  nacked: Set<number>;
  logs: Array<Record<string, unknown>>;
  stderr: string;
  send(obj: unknown): void;
  sendRaw(line: string): void;
  waitAck(n: number, timeoutMs: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(sig?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startAgent(args: string[], env: NodeJS.ProcessEnv = {}): Agent {
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, '--input.stdin', 'true', '--input.stdinAck', 'true', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const a: Agent = {
    proc,
    acked: 0,
    nacked: new Set(),
    logs: [],
    stderr: '',
    send: (obj) => a.sendRaw(JSON.stringify(obj)),
    sendRaw: (line) => {
      if (proc.stdin?.writable) proc.stdin.write(line + '\n');
    },
    async waitAck(n, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (a.acked < n) {
        if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`agent acked ${a.acked} of ${n} lines; stderr: ${a.stderr.slice(-500)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    exited: new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal }))),
    async kill(sig = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(sig);
      return a.exited;
    },
  };
  proc.stdin?.on('error', () => undefined); // EPIPE after a kill -9 is expected
  proc.stderr?.on('data', (d: Buffer) => (a.stderr += d.toString()));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof o.ack === 'number') a.acked = Math.max(a.acked, o.ack);
    else if (typeof o.nack === 'number') a.nacked.add(o.nack);
    else a.logs.push(o);
  });
  return a;
}
