import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { freePort, waitForPort } from '../../../edge/test/helpers/mosquitto.js';
import { join } from 'node:path';

// One free-port and wait-for-port helper for every test that starts a real broker.
export { freePort } from '../../../edge/test/helpers/mosquitto.js';

/** A real mosquitto on a free loopback port that can be SIGKILLed and started again on the same port. */
export class MosquittoProcess {
  private proc: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'fleet-mosq-'));
  private constructor(readonly port: number) {}

  static async start(): Promise<MosquittoProcess> {
    const m = new MosquittoProcess(await freePort());
    writeFileSync(join(m.dir, 'mosquitto.conf'), [`listener ${m.port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_connections -1', ''].join('\n'));
    await m.restart();
    return m;
  }

  async restart(): Promise<void> {
    const proc = spawn('/usr/sbin/mosquitto', ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitForPort(this.port);
    } catch (err) {
      proc.kill('SIGKILL');
      throw new Error(`mosquitto did not start: ${stderr}`, { cause: err });
    }
  }

  async kill(): Promise<void> {
    const p = this.proc;
    if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A TCP relay in front of a broker that records each client's source address and connect time. */
export class RecordingRelay {
  readonly accepted: { address: string; at: number }[] = [];
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(targetPort: number): Promise<RecordingRelay> {
    const port = await freePort();
    let relay: RecordingRelay;
    const server = createServer((down) => {
      relay.accepted.push({ address: down.remoteAddress ?? '?', at: Date.now() });
      const up = connect(targetPort, '127.0.0.1');
      relay.sockets.add(down);
      relay.sockets.add(up);
      down.pipe(up);
      up.pipe(down);
      const close = (): void => {
        down.destroy();
        up.destroy();
        relay.sockets.delete(down);
        relay.sockets.delete(up);
      };
      down.on('error', close).on('close', close);
      up.on('error', close).on('close', close);
    });
    relay = new RecordingRelay(server, port);
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    return relay;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
