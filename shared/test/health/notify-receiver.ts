import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

// A real AF_UNIX datagram socket standing in for PID 1's notify socket: python3 binds it, asks for
// SCM_CREDENTIALS like systemd does, closes the BARRIER=1 fd (which is what releases systemd-notify's
// wait) and prints one JSON line per datagram.
const RECEIVER = `
import socket, sys, os, json, array, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print(json.dumps({"ready": True}), flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(64 * 4) + socket.CMSG_SPACE(12))
    pid = None
    for lvl, typ, d in anc:
        if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
            pid = int.from_bytes(d[0:4], "little")
        if lvl == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds = array.array("i"); fds.frombytes(d[:len(d) - len(d) % 4])
            for fd in fds: os.close(fd)
    print(json.dumps({"pid": pid, "msg": data.decode(), "t": time.monotonic()}), flush=True)
`;

export interface Datagram {
  pid: number | null;
  msg: string;
  /** receive time, seconds on the receiver's monotonic clock (not ours: our loop may be blocked) */
  t: number;
}

/** A fake PID 1 notify socket for tests. */
export class Receiver {
  readonly messages: Datagram[] = [];
  private constructor(private readonly child: ChildProcess) {}

  static async start(path: string): Promise<Receiver> {
    const child = spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const r = new Receiver(child);
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('receiver did not start in 5 s')), 5000);
      child.once('exit', (code) => reject(new Error(`receiver exited ${code}`)));
      lines.on('line', (line) => {
        const obj = JSON.parse(line) as Datagram & { ready?: boolean };
        if (obj.ready) {
          clearTimeout(t);
          resolve();
        } else r.messages.push(obj);
      });
    });
    return r;
  }

  /** the payloads without systemd-notify's BARRIER=1 follow-ups */
  payloads(): string[] {
    return this.messages.map((m) => m.msg).filter((m) => m !== 'BARRIER=1');
  }

  async waitFor(pred: (payloads: string[]) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.payloads())) {
      if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(this.payloads())}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

