import type { RegistryEntry } from '../identity/registry/contract.js';
import { generateSecret, hashSecret } from '../identity/secret-hash.js';
import { BatchError, planImport, validateDeviceRows } from '../fleet/device-rows.js';
import type { ApiDeps } from './api-deps.js';
import { bool } from './params.js';
import type { Router } from './router.js';

/** scrypt runs on libuv's thread pool (4 threads by default): more at once only queues. */
const HASH_CONCURRENCY = 4;

async function mapLimit<T, R>(items: readonly T[], limit: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]!);
      }
    }),
  );
  return out;
}

/**
 * `POST /v1/devices:batch` (issue 20): every row is checked first and every bad one reported (400
 * BATCH_INVALID, `details.rows` with line numbers); then all new entries are written at once or none.
 * Rows that already exist unchanged are left alone, so re-running an import changes nothing. The new
 * secrets are in the answer only (the CLI writes them to a 0600 file and never prints them).
 */
export function deviceBatchRoutes(router: Router, deps: ApiDeps): void {
  router.add('POST', '/v1/devices:batch', async ({ body }) => {
    const { rows, errors } = validateDeviceRows(body.devices);
    const dryRun = bool(body, 'dryRun') ?? false;
    const existing = new Map<string, RegistryEntry>();
    for (const r of rows) {
      const e = await deps.registry.get(r.id);
      if (e !== undefined) existing.set(r.id, e);
    }
    const plan = planImport(rows, existing);
    const bad = [...errors, ...plan.errors].sort((a, b) => a.line - b.line);
    if (bad.length > 0) throw new BatchError(bad);
    const unchanged = plan.unchanged.map((r) => r.id);
    if (dryRun) return { dryRun: true, create: plan.create.map((r) => r.id), unchanged };
    const now = Date.now();
    const made = await mapLimit(plan.create, HASH_CONCURRENCY, async (r) => {
      const secret = generateSecret();
      const entry: RegistryEntry = {
        id: r.id,
        kind: r.kind,
        groups: r.groups,
        tags: r.tags,
        secretHash: await hashSecret(secret, deps.kdfLogN),
        enabled: true,
        createdAt: now,
        online: false,
        ...(r.gateway === undefined ? {} : { gateway: r.gateway }),
      };
      return { entry, secret };
    });
    await deps.registry.createMany(made.map((m) => m.entry));
    deps.logger.info('principals imported', { created: made.length, unchanged: unchanged.length });
    return { created: made.map((m) => ({ id: m.entry.id, kind: m.entry.kind, secret: m.secret })), unchanged };
  });
}
