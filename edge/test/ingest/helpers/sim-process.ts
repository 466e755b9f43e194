import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export type SimEvent = Record<string, unknown> & { event: string };

/** `causeway-sim` as a real child process (from sources via tsx); its JSON-line events collected. */
export class SimProcess {
  readonly events: SimEvent[] = [];
  readonly child: ChildProcess;
  stderr = '';
  private exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'firmware-sim/src/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (s: string) => {
      buf += s;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.events.push(JSON.parse(line) as SimEvent);
        } catch {
          // not an event line
        }
      }
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  of(name: string): SimEvent[] {
    return this.events.filter((e) => e.event === name);
  }

  async waitFor(name: string, count = 1, timeoutMs = 15_000): Promise<SimEvent[]> {
    await waitUntil(() => this.of(name).length >= count, timeoutMs, () => `sim event ${name} ×${count}; got ${JSON.stringify(this.events.slice(-5))} stderr=${this.stderr}`);
    return this.of(name);
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** SIGTERM, then the summary the sim prints on the way out. */
  async stop(): Promise<SimEvent | undefined> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
    return this.of('summary')[0];
  }
}

/** Polls `cond` every 20 ms; bounded in time, with a message saying what was awaited. */
export async function waitUntil(cond: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
