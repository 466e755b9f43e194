import { lookup } from 'node:dns/promises';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { CausewayError } from '@causeway/shared';
import type { BuiltinCommand } from '../commands/contract.js';
import type { EdgeConfig } from '../config/schema.js';

/**
 * The `diagnose` built-in (issue 20): structured answers to "why is this gateway in trouble" without SSH.
 * `network`: DNS, TCP and (mqtts/wss) TLS to the cloud, each with its latency; `outbox`: SQLite's
 * quick_check of the outbox; `disk`: bytes used by each component of the data directory and bytes free;
 * `serial`: each configured port, whether its device node exists, and the agent's view of it. Every
 * probe is bounded in time; the answer is a few hundred bytes.
 */
export interface DiagnosticsDeps {
  config: () => EdgeConfig;
  dataDir: string;
  /** PRAGMA quick_check of the outbox: 'ok' or the first problems */
  outboxCheck: () => string;
  ports: () => Array<{ path: string; device: string; open: boolean; opens: number; disconnects: number }>;
  diskFree: () => number;
}

const CHECKS = ['network', 'outbox', 'disk', 'serial'] as const;
type Check = (typeof CHECKS)[number];

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
}

async function timed<T>(f: () => Promise<T>): Promise<{ ok: boolean; ms: number; detail?: string; value?: T }> {
  const t0 = performance.now();
  try {
    const value = await within(5000, f());
    return { ok: true, ms: Math.round(performance.now() - t0), value };
  } catch (err) {
    return { ok: false, ms: Math.round(performance.now() - t0), detail: (err as Error).message.slice(0, 200) };
  }
}

async function network(cfg: EdgeConfig): Promise<Record<string, unknown>> {
  const url = new URL(cfg.cloud.url);
  const tls = url.protocol === 'mqtts:' || url.protocol === 'wss:';
  const port = Number(url.port || (url.protocol === 'mqtt:' ? 1883 : url.protocol === 'mqtts:' ? 8883 : url.protocol === 'ws:' ? 80 : 443));
  const host = url.hostname;
  const dns = await timed(async () => (await lookup(host)).address);
  const tcp = await timed(
    () =>
      new Promise<void>((resolve, reject) => {
        const s = netConnect({ host, port }, () => (s.destroy(), resolve()));
        s.setTimeout(5000, () => s.destroy(new Error('TCP connect timed out')));
        s.once('error', reject);
      }),
  );
  const out: Record<string, unknown> = { host, port, dns: { ok: dns.ok, ms: dns.ms, ...(dns.value === undefined ? {} : { address: dns.value }), ...(dns.detail === undefined ? {} : { error: dns.detail }) }, tcp: { ok: tcp.ok, ms: tcp.ms, ...(tcp.detail === undefined ? {} : { error: tcp.detail }) } };
  if (tls) {
    const t = await timed(
      () =>
        new Promise<string>((resolve, reject) => {
          const s = tlsConnect({ host, port, servername: host, ...(cfg.cloud.ca ? { ca: readFileSync(cfg.cloud.ca) } : {}) }, () => {
            const cert = s.getPeerCertificate();
            s.destroy();
            resolve(`${cert.subject?.CN ?? '?'} until ${cert.valid_to ?? '?'}`);
          });
          s.setTimeout(5000, () => s.destroy(new Error('TLS handshake timed out')));
          s.once('error', reject);
        }),
    );
    out.tls = { ok: t.ok, ms: t.ms, ...(t.value === undefined ? {} : { certificate: t.value }), ...(t.detail === undefined ? {} : { error: t.detail }) };
  }
  return out;
}

function sizeOf(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((a, f) => a + sizeOf(join(path, f)), 0);
}

export function diagnosticsCommand(d: DiagnosticsDeps): Record<string, BuiltinCommand> {
  return {
    diagnose: async (args) => {
      const asked = args.checks ?? CHECKS;
      if (!Array.isArray(asked) || !asked.every((c) => CHECKS.includes(c as Check))) throw new CausewayError('COMMAND_INVALID', `checks must be a list of ${CHECKS.join(', ')}`);
      const cfg = d.config();
      const out: Record<string, unknown> = {};
      if (asked.includes('network')) out.network = await network(cfg);
      if (asked.includes('outbox')) out.outbox = { quickCheck: d.outboxCheck() };
      if (asked.includes('disk')) {
        const outbox = cfg.store.path;
        out.disk = {
          freeBytes: d.diskFree(),
          usedBytes: {
            outbox: ['', '-wal', '-shm'].reduce((a, s) => a + sizeOf(outbox + s), 0),
            inbox: ['', '-wal', '-shm'].reduce((a, s) => a + sizeOf(join(d.dataDir, 'inbox.db') + s), 0),
            localMqtt: sizeOf(join(d.dataDir, 'local-mqtt')),
            logs: sizeOf(join(d.dataDir, 'logs')),
            quarantine: readdirSync(d.dataDir).filter((f) => f.includes('corrupt') || f.includes('quarantine')).reduce((a, f) => a + sizeOf(join(d.dataDir, f)), 0),
          },
        };
      }
      if (asked.includes('serial')) out.serial = d.ports().map((p) => ({ ...p, present: existsSync(p.path) }));
      return out;
    },
  };
}
