import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ConfigError } from '@causeway/shared';
// The edge hosts the project's broker for LAN sensors and answers its access question. Only the access
// module: the package index loads the whole broker (its handlers, stores, listeners, ws and mqtt-packet's
// 64K-buffer number cache), which an agent without a local listener never runs (issue 16).
import { openAccess, type AccessControl } from '@causeway/broker/access.js';

/** ingest.mqtt.listen: where the agent's own MQTT listener binds and who may use it. */
export interface ListenConfig {
  host: string;
  port: number;
  username?: string;
  password?: string;
  allowAnonymous?: boolean;
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/**
 * Issue 23 item 13: a listener reachable from the LAN must not give anonymous clients full access.
 * Beyond loopback it needs credentials (username and password) or an explicit allowAnonymous; a
 * half-set pair is refused everywhere, since it would silently leave the listener open.
 * Throws ConfigError naming the key (exit 78).
 */
export function checkListenExposure(l: ListenConfig): void {
  const user = l.username ?? '';
  const pass = l.password ?? '';
  if ((user === '') !== (pass === '')) {
    const missing = user === '' ? 'ingest.mqtt.listen.username' : 'ingest.mqtt.listen.password';
    throw new ConfigError(`${missing} must be set too: the local listener takes credentials as a pair`, { key: missing });
  }
  if (user !== '' || l.allowAnonymous === true || isLoopbackHost(l.host)) return;
  throw new ConfigError(
    `ingest.mqtt.listen.host ${JSON.stringify(l.host)} is reachable beyond this machine: set ingest.mqtt.listen.username and ingest.mqtt.listen.password, or ingest.mqtt.listen.allowAnonymous true to accept anonymous LAN clients`,
    { key: 'ingest.mqtt.listen.host' },
  );
}

const digest = (b: Buffer): Buffer => createHash('sha256').update(b).digest();

/**
 * Who may use the local listener: with credentials, only a client presenting exactly them (compared
 * in constant time over digests, so neither content nor length leaks); without, anyone (loopback or
 * the explicit opt-in, see checkListenExposure). Every accepted client may publish and subscribe
 * anywhere: the listener is the gateway's own sensor bus.
 */
export function listenerAccess(l: ListenConfig): AccessControl {
  const user = l.username ?? '';
  if (user === '') return openAccess(true);
  const want = digest(Buffer.from(l.password ?? '', 'utf8'));
  const open = openAccess(true);
  return {
    ...open,
    authenticate: async (info) => {
      const given = digest(info.password ?? Buffer.alloc(0));
      const ok = info.username === user && info.password !== undefined && timingSafeEqual(given, want);
      if (!ok) return { ok: false, code: 'BAD_CREDENTIALS', reason: `bad credentials for client ${info.clientId}` };
      return { ok: true, identity: { role: 'admin', id: info.clientId } };
    },
  };
}
