import type { Logger } from '../../../shared/src/log/logger.js';
import type { AccessControl, ConnectInfo } from '../broker/access.js';
import { canPublish, canSubscribe, type Identity } from './acl.js';
import type { Authenticator } from './authenticator.js';
import type { DeviceRegistry } from './registry/contract.js';

/**
 * The broker's access control from the device registry: authentication by secret, token or certificate,
 * the gateway/app ACL, and presence (online, last seen) written back to the registry.
 */
export function registryAccess(auth: Authenticator, registry: DeviceRegistry, logger: Logger): AccessControl {
  const presence = (who: Identity, online: boolean): void => {
    if (who.role === 'admin') return;
    registry.markSeen(who.id, online, Date.now()).catch((err: unknown) => logger.warn('presence not recorded', { id: who.id, err }));
  };
  return {
    authenticate: (info: ConnectInfo) =>
      auth.authenticate({
        clientId: info.clientId,
        source: info.remoteAddress,
        ...(info.username === undefined ? {} : { username: info.username }),
        ...(info.password === undefined ? {} : { password: info.password }),
        ...(info.certificateId === undefined ? {} : { certificateId: info.certificateId }),
      }),
    canPublish,
    canSubscribe,
    connected: (who) => presence(who, true),
    disconnected: (who) => presence(who, false),
  };
}
