import type { RegistryEntry } from '../identity/registry/contract.js';
import type { GatewayStatusRecord } from './fleet-store.js';
import type { WhereSubject } from './where.js';

/** One gateway as `GET /v1/gateways` shows it: its registry entry joined with its latest status. */
export interface GatewayView {
  id: string;
  groups: string[];
  tags: Record<string, string>;
  enabled: boolean;
  online: boolean;
  lastSeenAt?: number;
  /** seconds since it went offline (0 while online; absent if never seen) */
  offlineSeconds?: number;
  status?: GatewayStatusRecord;
}

/** Pure: the view of one registered gateway at `now`, joined with its latest status when it reported one. */
export function gatewayView(e: RegistryEntry, st: GatewayStatusRecord | undefined, now: number): GatewayView {
  const v: GatewayView = { id: e.id, groups: e.groups, tags: e.tags, enabled: e.enabled, online: e.online };
  if (e.lastSeenAt !== undefined) {
    v.lastSeenAt = e.lastSeenAt;
    v.offlineSeconds = e.online ? 0 : Math.max(0, Math.round((now - e.lastSeenAt) / 1000));
  }
  if (st !== undefined) v.status = st;
  return v;
}

/** Pure: the view of each registered gateway at `now`, ordered by id. */
export function gatewayViews(entries: readonly RegistryEntry[], statuses: readonly GatewayStatusRecord[], now: number): GatewayView[] {
  const byId = new Map(statuses.map((s) => [s.gateway, s]));
  return entries
    .filter((e) => e.kind === 'gateway')
    .map((e) => gatewayView(e, byId.get(e.id), now))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Pure: what a where clause compares (where.ts) for one gateway view. */
export function whereSubject(v: GatewayView): WhereSubject {
  const h = v.status?.health;
  const values: WhereSubject['values'] = {};
  if (v.offlineSeconds !== undefined) values.offline = v.offlineSeconds;
  if (v.status?.agentVersion !== undefined && /^\d+(\.\d+)*/.test(v.status.agentVersion)) values.version = /^\d+(\.\d+)*/.exec(v.status.agentVersion)![0].split('.').map(Number);
  if (v.status?.clockOffsetMs !== undefined) values.clockSkew = Math.abs(v.status.clockOffsetMs) / 1000;
  if (h !== undefined) {
    Object.assign(values, {
      backlog: h.outbox.records,
      backlogBytes: h.outbox.bytes,
      oldest: h.outbox.oldestAgeSeconds,
      uptime: h.uptimeSeconds,
      evictions: h.evictions,
      expiries: h.expiries,
      diskFree: h.diskFreeBytes < 0 ? undefined : h.diskFreeBytes,
      memFree: h.memFreeBytes,
      configVersion: h.configVersion,
    });
    if (values.diskFree === undefined) delete values.diskFree;
  }
  return { id: v.id, groups: v.groups, online: v.online, values };
}
