import { freemem } from 'node:os';
import { statfsSync } from 'node:fs';
import type { GatewayHealth, PortHealth } from '@causeway/shared';

/** What the health is read from: the agent's parts, as plain functions (tests pass numbers). */
export interface HealthSources {
  startedAt: number;
  outbox: () => { records: number; bytes: number; oldestCreated?: number | undefined; evicted: number; expired: number };
  ports: () => PortHealth[];
  lastUplinkError: () => { message: string; at: number } | undefined;
  configVersion: () => number;
  /** the directory whose filesystem holds the outbox */
  dataDir: string;
  now?: () => number;
}

/** Free bytes on the filesystem of `dir`, -1 when it cannot be read. */
export function diskFree(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return -1;
  }
}

/**
 * The health a gateway reports in its status (issue 20). Evictions and expiries count from this
 * start (the outbox's own counters persist across restarts; the baseline is taken when this is built).
 */
export function healthCollector(src: HealthSources): () => GatewayHealth {
  const now = src.now ?? Date.now;
  const base = src.outbox();
  return () => {
    const o = src.outbox();
    const t = now();
    const err = src.lastUplinkError();
    return {
      uptimeSeconds: Math.max(0, Math.round((t - src.startedAt) / 1000)),
      outbox: { records: o.records, bytes: o.bytes, oldestAgeSeconds: o.oldestCreated === undefined ? 0 : Math.max(0, Math.round((t - o.oldestCreated) / 1000)) },
      evictions: Math.max(0, o.evicted - base.evicted),
      expiries: Math.max(0, o.expired - base.expired),
      diskFreeBytes: diskFree(src.dataDir),
      memFreeBytes: freemem(),
      rssBytes: process.memoryUsage.rss(),
      ports: src.ports(),
      ...(err === undefined ? {} : { lastUplinkError: err }),
      configVersion: src.configVersion(),
    };
  };
}
