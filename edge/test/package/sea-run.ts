import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BuildResult } from '../../package/build-sea.js';
import type { Collector } from '../helpers/collector.js';

/**
 * A clean environment for the packaged binary: no NODE_OPTIONS (mocha's `--import tsx` would be
 * honoured by the SEA and fail in an empty folder), no NODE_PATH, nothing that leads back to the repo.
 */
export const CLEAN_ENV = { PATH: '/usr/bin:/bin', HOME: tmpdir() };

export const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** Copies only what a release ships (binary, native/, package.json) into a new empty folder. */
export function installInEmptyFolder(built: BuildResult, parent: string, name: string): string {
  const app = join(parent, name);
  mkdirSync(app);
  assert.deepEqual(readdirSync(app), [], 'the target folder starts empty');
  const from = join(built.binary, '..');
  for (const f of readdirSync(from)) cpSync(join(from, f), join(app, f), { recursive: true });
  return app;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface BrokerRun {
  /** ms from spawn to the agent's online status arriving at the subscriber */
  onlineMs: number;
  stderr: string;
}

/**
 * Runs the installed binary (through `runner`, e.g. qemu, when foreign) against a real broker: it must
 * open its SQLite outbox (so better-sqlite3's shipped addon loaded), publish its online status, take
 * a reading on stdin, acknowledge it after the durable commit, deliver it, and exit 0 on SIGTERM with
 * its offline status. Returns the measured start-up time to online.
 */
export async function runAgainstBroker(o: { app: string; runner?: string[]; brokerUrl: string; sub: Collector; gw: string; store: string; timeoutMs: number; procs: ChildProcess[] }): Promise<BrokerRun> {
  const argv = ['--gateway.id', o.gw, '--cloud.url', o.brokerUrl, '--store.path', o.store, '--input.stdin', 'true', '--input.stdinAck', 'true'];
  const [cmd, ...pre] = [...(o.runner ?? []), './causeway-edge'];
  const t0 = performance.now();
  const proc = spawn(cmd!, [...pre, ...argv], { cwd: o.app, env: CLEAN_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  o.procs.push(proc);
  let stderr = '';
  let acked = 0;
  const logs: Array<Record<string, unknown>> = [];
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      const j = JSON.parse(line) as Record<string, unknown>;
      if (typeof j.ack === 'number') acked = Math.max(acked, j.ack);
      else logs.push(j);
    } catch {
      // not JSON: ignore
    }
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const status = (online: boolean) => () => o.sub.all.some((m) => m.topic === `status/${o.gw}` && m.env.type === 'status' && m.env.online === online);

  await waitUntil(() => status(true)() || proc.exitCode !== null, o.timeoutMs, 'the online status').catch((err) => {
    throw new Error(`${(err as Error).message}; stderr: ${stderr.slice(-800)}; logs: ${JSON.stringify(logs.slice(-5))}`);
  });
  assert.equal(proc.exitCode, null, `the agent died: ${stderr}`);
  const onlineMs = performance.now() - t0;

  assert.ok(existsSync(o.store), 'outbox file created');
  const head = Buffer.alloc(16);
  const fd = openSync(o.store, 'r');
  readSync(fd, head, 0, 16, 0);
  closeSync(fd);
  assert.equal(head.toString('latin1'), 'SQLite format 3\0', 'the outbox is a real SQLite file');
  assert.ok(existsSync(`${o.store}-wal`), 'in WAL mode');
  assert.ok(logs.some((l) => l.msg === 'outbox open'), 'logged the outbox open');

  const ts = 1_700_000_000_000;
  proc.stdin!.write(`${JSON.stringify({ device: 'dev-sea', stream: 'temp', ts, value: 21.5, unit: 'C' })}\n`);
  await waitUntil(() => acked >= 1, o.timeoutMs, 'the stdin ack (durable commit)');
  await waitUntil(() => o.sub.readings.has(`dev-sea/temp/${ts}`), o.timeoutMs, 'the reading at the broker');

  proc.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  await waitUntil(status(false), o.timeoutMs, 'the offline status');
  assert.ok(!/Warning|only supports loading built-in modules/.test(stderr), `stderr is clean: ${stderr}`);
  return { onlineMs, stderr };
}
