import type { Logger } from '@causeway/shared';
import type { AccessControl, ConnectInfo } from '@causeway/broker';
import { canPublish, canSubscribe, type Identity } from './acl.js';
import type { Authenticator } from './authenticator.js';
import type { DeviceRegistry } from './registry/contract.js';

/** How often a client's last-seen time is written while it publishes. */
export const SEEN_EVERY_MS = 60_000;

/**
 * The broker's access control from the device registry: authentication by secret, token or certificate,
 * the gateway/app ACL, and presence (online, last seen) written back to the registry.
 */
export function registryAccess(auth: Authenticator, registry: DeviceRegistry, logger: Logger, opts: { seenEveryMs?: number; now?: () => number } = {}): AccessControl {
  const now = opts.now ?? Date.now;
  const seenEveryMs = opts.seenEveryMs ?? SEEN_EVERY_MS;
  const seenAt = new Map<string, number>();
  const presence = (who: Identity, online: boolean): void => {
    if (who.role === 'admin') return;
    const at = now();
    seenAt.set(who.id, at);
    registry.markSeen(who.id, online, at).catch((err: unknown) => logger.warn('presence not recorded', { id: who.id, err }));
  };
  // Last seen is the last message, not the connect (issue 24), written at most every seenEveryMs per
  // client so a busy gateway costs the registry one write a minute, not one per PUBLISH.
  const touch = (who: Identity): void => {
    if (who.role === 'admin') return;
    const last = seenAt.get(who.id);
    if (last !== undefined && now() - last < seenEveryMs) return;
    if (seenAt.size > 200_000) seenAt.clear(); // bounded; a cleared entry only means one early write
    presence(who, true);
  };
  return {
    authenticate: (info: ConnectInfo) =>
      auth.authenticate({
        clientId: info.clientId,
        source: info.remoteAddress,
        ...(info.username === undefined ? {} : { username: info.username }),
        ...(info.password === undefined ? {} : { password: info.password }),
        ...(info.certificateId === undefined ? {} : { certificateId: info.certificateId }),
        ...(info.certificateSha256 === undefined ? {} : { certificateSha256: info.certificateSha256 }),
      }),
    canPublish: (who, topic) => {
      const d = canPublish(who, topic);
      if (d.allow) touch(who);
      return d;
    },
    canSubscribe,
    connected: (who) => presence(who, true),
    disconnected: (who) => presence(who, false),
  };
}
