import { validateId } from '@causeway/shared';
import { issueToken } from '../identity/access-token.js';
import type { PrincipalKind, RegistryEntry } from '../identity/registry/contract.js';
import { generateSecret, hashSecret } from '../identity/secret-hash.js';
import type { ApiCounters } from './api-counters.js';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './http-status.js';
import { bool, int, queryObject, reqStr, str, strArray } from './params.js';
import { renderPrincipal } from './render.js';
import type { Router } from './router.js';

const KINDS: readonly PrincipalKind[] = ['gateway', 'device', 'app'];

/** /v1/devices and /v1/groups: the registry for operators. */
export function deviceRoutes(router: Router, deps: ApiDeps, counters: ApiCounters): void {
  const { registry } = deps;

  const mustGet = async (id: string): Promise<RegistryEntry> => {
    const e = await registry.get(id);
    if (e === undefined) throw new ApiError('API_NOT_FOUND', `no gateway, device or app with id ${id}`);
    return e;
  };

  router.add(
    'POST',
    '/v1/devices',
    async ({ body }) => {
      const id = reqStr(body, 'id');
      validateId(id, 'id');
      const kind = (str(body, 'kind') ?? 'gateway') as PrincipalKind;
      if (!KINDS.includes(kind)) throw new ApiError('API_BAD_REQUEST', `kind must be one of ${KINDS.join(', ')}`);
      const groups = strArray(body, 'groups') ?? [];
      groups.forEach((g) => validateId(g, 'group name'));
      const tags = body.tags ?? {};
      if (typeof tags !== 'object' || tags === null || Array.isArray(tags) || !Object.values(tags).every((v) => typeof v === 'string')) {
        throw new ApiError('API_BAD_REQUEST', 'tags must be an object of strings');
      }
      const gateway = str(body, 'gateway');
      if (gateway !== undefined) validateId(gateway, 'gateway id');
      const secret = generateSecret();
      const entry: RegistryEntry = {
        id,
        kind,
        groups,
        tags: tags as Record<string, string>,
        secretHash: await hashSecret(secret, deps.kdfLogN),
        enabled: true,
        createdAt: Date.now(),
        online: false,
        ...(gateway === undefined ? {} : { gateway }),
        ...(kind === 'app' ? { queues: strArray(body, 'queues') ?? [], canSend: bool(body, 'canSend') ?? false } : {}),
      };
      await registry.create(entry);
      deps.logger.info('principal created', { id, kind });
      // The secret is shown once, here; only its hash is kept.
      return { device: renderPrincipal(entry), secret };
    },
    201,
  );

  router.add('GET', '/v1/devices', async ({ query }) => {
    const q = queryObject(query);
    const kind = str(q, 'kind');
    if (kind !== undefined && !KINDS.includes(kind as PrincipalKind)) throw new ApiError('API_BAD_REQUEST', `kind must be one of ${KINDS.join(', ')}`);
    const group = str(q, 'group');
    const tag = str(q, 'tag');
    const gateway = str(q, 'gateway');
    const list = await registry.list({
      ...(kind === undefined ? {} : { kind: kind as PrincipalKind }),
      ...(group === undefined ? {} : { group }),
      ...(tag === undefined ? {} : { tag }),
      ...(gateway === undefined ? {} : { gateway }),
    });
    return { devices: list.map(renderPrincipal) };
  });

  router.add('GET', '/v1/devices/:id', async ({ params }) => renderPrincipal(await mustGet(params.id!)));

  router.add('DELETE', '/v1/devices/:id', async ({ params }) => {
    await mustGet(params.id!);
    await registry.delete(params.id!);
    deps.disconnect?.(params.id!);
    return { deleted: params.id };
  });

  for (const [action, enabled] of [['disable', false], ['enable', true]] as const) {
    router.add('POST', `/v1/devices/:id/${action}`, async ({ params }) => {
      await mustGet(params.id!);
      const e = await registry.update(params.id!, { enabled });
      // A disabled device is disconnected now, not at its next reconnect.
      if (!enabled) deps.disconnect?.(params.id!);
      deps.logger.info(`principal ${action}d`, { id: params.id });
      return renderPrincipal(e);
    });
  }

  router.add('POST', '/v1/devices/:id/rotate', async ({ params }) => {
    await mustGet(params.id!);
    const secret = generateSecret();
    const e = await registry.update(params.id!, { secretHash: await hashSecret(secret, deps.kdfLogN) });
    deps.disconnect?.(params.id!);
    deps.logger.info('credentials rotated', { id: params.id });
    return { device: renderPrincipal(e), secret };
  });

  // Issue 20: shuts a gateway's certificate out without deleting the gateway (its groups, tags, config
  // and history stay). A live session is closed now, as for rotate and disable; a CONNECT with any
  // certificate for the id is refused from then on (authenticator.ts). Idempotent: a second revoke
  // changes nothing and keeps the first time. Logged with the pinned hash (public), never a key.
  router.add('POST', '/v1/devices/:id/revoke-cert', async ({ params }) => {
    const cur = await mustGet(params.id!);
    if (cur.certRevokedAt !== undefined) return renderPrincipal(cur);
    const e = await registry.update(params.id!, { certRevokedAt: Date.now() });
    deps.disconnect?.(params.id!);
    counters.certsRevoked++;
    deps.logger.info('certificate revoked', { id: params.id, certSha256: cur.certSha256 ?? 'any (not pinned)', hasSecret: cur.secretHash !== undefined });
    return renderPrincipal(e);
  });

  router.add('POST', '/v1/devices/:id/token', async ({ params, body }) => {
    const e = await mustGet(params.id!);
    if (deps.tokenKey === undefined) throw new ApiError('API_BAD_REQUEST', 'access tokens are not enabled (auth.tokenKey is not set)');
    const ttl = int(body, 'ttlSeconds', 3600, 60, 30 * 24 * 3600);
    const expiresAt = Date.now() + ttl * 1000;
    return { clientId: e.id, token: issueToken(deps.tokenKey, e.id, expiresAt, e.tokenGeneration ?? 0), expiresAt };
  });

  router.add('GET', '/v1/groups', async () => {
    const groups = new Map<string, string[]>();
    for (const e of await registry.list()) for (const g of e.groups) groups.set(g, [...(groups.get(g) ?? []), e.id]);
    return { groups: [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, members]) => ({ name, members })) };
  });
}
