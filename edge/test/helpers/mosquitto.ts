import { freePort, waitForPort as portOpens } from '@causeway/shared';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { freePort };

/** Throws unless 127.0.0.1:port accepts a connection within `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  if (!(await portOpens(port, timeoutMs))) throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
}

export interface Mosquitto {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a real mosquitto on a free loopback port with a generated config (in-memory persistence).
 * `listenerLines` go under the listener (e.g. TLS certfile/keyfile).
 */
export async function startMosquitto(opts: { listenerLines?: string[]; scheme?: string } = {}): Promise<Mosquitto> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mosq-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, ...(opts.listenerLines ?? []), 'allow_anonymous true', 'persistence false', 'max_queued_messages 100000', 'max_inflight_messages 100', ''].join('\n'));
  const proc: ChildProcess = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await waitForPort(port);
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`mosquitto did not start: ${stderr}`, { cause: err });
  }
  return {
    port,
    url: `${opts.scheme ?? 'mqtt'}://127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
