import type { SignedManifest } from '@causeway/shared';
import type { ArtifactRow } from '../files/contract.js';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './http-status.js';
import { bool, int, queryObject, str } from './params.js';
import type { Router } from './router.js';
import type { CommandTarget } from '../control/command-service.js';

/** An artifact as the API shows it: the manifest without its chunk hashes (GET …/manifest has them). */
function view(a: ArtifactRow): Record<string, unknown> {
  return { name: a.name, version: a.version, target: a.target, kind: a.kind, sha256: a.sha256, size: a.size, path: a.signed.manifest.path, chunks: a.signed.manifest.chunks.length, keyId: a.signed.keyId, createdAt: a.createdAt };
}

function targetOf(body: Record<string, unknown>): CommandTarget {
  const device = str(body, 'gateway') ?? str(body, 'device');
  const group = str(body, 'group');
  const all = bool(body, 'all');
  const n = [device !== undefined, group !== undefined, all === true].filter(Boolean).length;
  if (n !== 1) throw new ApiError('API_BAD_REQUEST', 'give exactly one of gateway, group or all: true');
  return device !== undefined ? { device } : group !== undefined ? { group } : { all: true };
}

/** /v1/blobs (content, by sha256), /v1/artifacts (signed manifests) and /v1/rollouts (issue 17; docs/api.md). */
export function artifactRoutes(router: Router, f: NonNullable<ApiDeps['files']>): void {
  router.add('GET', '/v1/blobs/:sha', async ({ params }) => {
    const size = await f.artifacts.hasBlob(params.sha!);
    if (size === undefined) throw new ApiError('API_NOT_FOUND', `no content ${params.sha}`);
    return { sha256: params.sha, size };
  });

  router.add(
    'PUT',
    '/v1/blobs/:sha',
    async ({ params, req }) => {
      const r = await f.artifacts.putBlob(req, params.sha!, f.maxArtifactBytes);
      return { sha256: params.sha, size: r.size, stored: r.stored };
    },
    { status: 201, raw: true },
  );

  router.add(
    'POST',
    '/v1/artifacts',
    async ({ body }) => {
      const r = await f.delivery.publish(body as unknown as SignedManifest);
      return { artifact: view(r.artifact), created: r.created };
    },
    201,
  );

  router.add('GET', '/v1/artifacts', async ({ query }) => {
    const name = str(queryObject(query), 'name');
    // served: what this node sent of the content to gateways since it started (MQTT chunks and HTTP ranges)
    const withServed = (a: ArtifactRow): Record<string, unknown> => ({ ...view(a), ...(f.served === undefined ? {} : { served: f.served.of(a.sha256) }) });
    return { artifacts: (await f.delivery.list(name)).map(withServed), storedBytes: await f.artifacts.storedBytes(), ...(f.served === undefined ? {} : { served: f.served.byTransport }) };
  });

  const target = (q: URLSearchParams): string => str(queryObject(q), 'target') ?? '';
  router.add('GET', '/v1/artifacts/:name/:version', async ({ params, query }) => ({ artifact: view(await f.delivery.get(params.name!, params.version!, target(query))) }));
  router.add('GET', '/v1/artifacts/:name/:version/manifest', async ({ params, query }) => (await f.delivery.get(params.name!, params.version!, target(query))).signed);
  router.add('DELETE', '/v1/artifacts/:name/:version', async ({ params, query }) => {
    await f.delivery.delete(params.name!, params.version!, target(query));
    return { deleted: true };
  });

  router.add('POST', '/v1/artifacts/:name/prune', async ({ params, body }) => ({ deleted: await f.delivery.prune(params.name!, int(body, 'keep', 0, 1, 1_000_000)) }));

  router.add(
    'POST',
    '/v1/rollouts',
    async ({ body }) => {
      const name = str(body, 'name');
      const version = str(body, 'version');
      if (name === undefined || version === undefined) throw new ApiError('API_BAD_REQUEST', 'name and version are required');
      const rate = body.rolloutPerMinute;
      const abort = body.abortThresholdPercent;
      const cmd = await f.delivery.rollout({
        name,
        version,
        target: str(body, 'target') ?? '',
        to: targetOf(body),
        ttlSeconds: int(body, 'ttlSeconds', 3600, 1, 30 * 86400),
        ...(rate === undefined ? {} : { rolloutPerMinute: Number(rate) }),
        ...(abort === undefined ? {} : { abortThresholdPercent: Number(abort) }),
      });
      f.grants?.forget((cmd.args as { artifact: SignedManifest }).artifact.manifest.sha256);
      return { command: { ...cmd, args: { artifact: { name, version } } } };
    },
    201,
  );
}
