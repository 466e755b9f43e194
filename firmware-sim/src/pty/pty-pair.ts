import { spawn, type ChildProcess } from 'node:child_process';
import { CausewayError, findOnPath } from '@causeway/shared';

/** exit status of setpriv (like a shell) when it could not run the command it was given */
const EXEC_FAILED = 127;

let setprivPath: string | null | undefined;

/** util-linux's setpriv on PATH (every Debian has it: util-linux is essential), or null. */
function findSetpriv(): string | null {
  setprivPath ??= findOnPath('setpriv', process.env['PATH']) ?? null;
  return setprivPath;
}

/**
 * The command line that runs socat so it ends with the process that started it: `setpriv --pdeathsig
 * TERM` asks the kernel to send socat SIGTERM when its parent dies, even by SIGKILL, and socat then
 * removes both links as on a normal close. Without setpriv a killed simulator leaves socat and its
 * links behind.
 */
export function socatCommand(args: readonly string[], setpriv: string | null = findSetpriv()): { command: string; args: string[] } {
  return setpriv === null ? { command: 'socat', args: [...args] } : { command: setpriv, args: ['--pdeathsig', 'TERM', '--', 'socat', ...args] };
}

export interface PtyPair {
  /** the path the edge opens */
  readonly link: string;
  /** the path the simulated device opens */
  readonly deviceLink: string;
  readonly pid: number;
  /** resolves when socat exits, for whatever reason (with wait-slave it exits when the edge closes the port) */
  readonly exited: Promise<void>;
  /** Kills socat; it removes both links on the way out (that is the "unplugged" port). */
  close(): Promise<void>;
}

/**
 * A real PTY pair made by `socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B`: two serial-like
 * character devices wired back to back, so the edge opens a real tty with the real serialport binding.
 * Resolves once socat says it is transferring (both links exist).
 */
export function openPtyPair(link: string, deviceLink: string, opts: { timeoutMs?: number; waitPeer?: boolean } = {}): Promise<PtyPair> {
  const timeoutMs = opts.timeoutMs ?? (opts.waitPeer ? 24 * 3600_000 : 5000);
  // wait-slave: socat does not start (and the device link does not appear) until someone opens `link`,
  // like a device that only starts talking once the host raises DTR. Polled every 50 ms. In this mode
  // socat ends when the edge closes its side; serial-device.ts then plugs in again and waits.
  const edgeSide = `pty,raw,echo=0,link=${link}` + (opts.waitPeer ? ',wait-slave,pty-interval=0.05' : '');
  return new Promise((resolve, reject) => {
    const cmd = socatCommand(['-d', '-d', edgeSide, `pty,raw,echo=0,link=${deviceLink}`]);
    const child: ChildProcess = spawn(cmd.command, cmd.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let done = false;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      child.kill('SIGKILL');
      reject(new CausewayError('IO_PTY', `socat did not create ${link} within ${timeoutMs} ms: ${err.trim()}`));
    }, timeoutMs);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      if (done) return;
      err += s;
      if (err.includes('starting data transfer loop')) {
        done = true;
        clearTimeout(timer);
        resolve({
          link,
          deviceLink,
          pid: child.pid!,
          exited,
          close: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.once('error', (e) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new CausewayError('IO_PTY', `cannot start socat: ${e.message}`, { cause: e }));
    });
    child.once('exit', (code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new CausewayError('IO_PTY', code === EXEC_FAILED ? `cannot start socat: ${err.trim()}` : `socat exited with ${code}: ${err.trim()}`));
    });
  });
}
