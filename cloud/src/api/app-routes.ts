import { validateId } from '@causeway/shared';
import type { RegistryEntry } from '../identity/registry/contract.js';
import { generateSecret, hashSecret } from '../identity/secret-hash.js';
import type { ApiDeps } from './api-deps.js';
import { checkGrants, formatAppToken } from './app-access.js';
import { ApiError } from './http-status.js';
import { reqStr, strArray } from './params.js';
import { KNOWN_QUEUES } from './queue-routes.js';
import type { Router } from './router.js';

function renderApp(e: RegistryEntry): Record<string, unknown> {
  return { name: e.id, read: e.queues ?? [], publish: e.publish ?? [], enabled: e.enabled, createdAt: e.createdAt };
}

/**
 * /v1/apps: scoped credentials for backend applications (issue 23 item 10). An app is a registry entry
 * of kind `app`, so its secret is stored as an scrypt hash like a device's and it may also connect over
 * MQTT with it; over HTTP it presents `cwa_{name}.{secret}` and reaches only the queues in `read` and the
 * topics in `publish`.
 */
export function appRoutes(router: Router, deps: ApiDeps): void {
  const { registry } = deps;
  const mustGet = async (name: string): Promise<RegistryEntry> => {
    const e = await registry.get(name);
    if (e === undefined || e.kind !== 'app') throw new ApiError('API_NOT_FOUND', `no app ${name}`);
    return e;
  };

  router.add(
    'POST',
    '/v1/apps',
    async ({ body }) => {
      const name = reqStr(body, 'name');
      validateId(name, 'app name');
      const read = strArray(body, 'read') ?? [];
      const publish = strArray(body, 'publish') ?? [];
      checkGrants(read, publish, KNOWN_QUEUES);
      const secret = generateSecret();
      const entry: RegistryEntry = {
        id: name,
        kind: 'app',
        groups: [],
        tags: {},
        secretHash: await hashSecret(secret, deps.kdfLogN),
        enabled: true,
        createdAt: Date.now(),
        online: false,
        queues: read,
        // MQTT downlink stays with the command service; the HTTP grants are `publish`.
        canSend: false,
        publish,
      };
      await registry.create(entry);
      deps.logger.info('app created', { app: name, read, publish });
      // The token is shown once, here; only the secret's hash is kept.
      return { app: renderApp(entry), token: formatAppToken(name, secret) };
    },
    201,
  );

  router.add('GET', '/v1/apps', async () => ({ apps: (await registry.list({ kind: 'app' })).map(renderApp) }));

  router.add('GET', '/v1/apps/:name', async ({ params }) => renderApp(await mustGet(params.name!)));

  router.add('DELETE', '/v1/apps/:name', async ({ params }) => {
    await mustGet(params.name!);
    await registry.delete(params.name!);
    deps.disconnect?.(params.name!);
    deps.logger.info('app revoked', { app: params.name });
    return { deleted: params.name };
  });
}
