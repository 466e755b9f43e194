import { existsSync, fsyncSync, closeSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { backoffDelay, CausewayError, ConfigError, ensurePrivateDir, isValidId, PRIVATE_FILE_MODE, type Logger } from '@causeway/shared';
import type { EdgeConfig } from '../config/schema.js';

/**
 * First-boot self-registration by claim (issue 20). A gateway imaged with `identity.claimToken` and no
 * credentials of its own presents the claim under its own id (`gateway.id`, or the first line of
 * `identity.idFrom`, e.g. a hardware serial number) to `POST /v1/register`, gets its secret, keeps it in
 * `identity.secretFile` (mode 0600, written atomically) and connects with it from then on; the claim is
 * not used again. A refusal the operator must fix (expired, used up, revoked, wrong token, id taken) stops
 * the agent with exit 78 (config), which systemd does not restart in a loop; an unreachable cloud is
 * retried with backoff.
 */
export interface StoredIdentity {
  id: string;
  secret: string;
  registeredAt: number;
}

export function secretFileOf(cfg: EdgeConfig): string {
  return cfg.identity.secretFile !== '' ? cfg.identity.secretFile : join(dirname(cfg.store.path), 'credentials.json');
}

function withIdentity(cfg: EdgeConfig, s: StoredIdentity): EdgeConfig {
  return { ...cfg, gateway: { ...cfg.gateway, id: s.id }, cloud: { ...cfg.cloud, username: s.id, password: s.secret } };
}

/** The config with the stored credentials applied, when a claim gave some before (sync: SIGHUP reloads use it). */
export function applyStoredIdentity(cfg: EdgeConfig): EdgeConfig {
  if (cfg.identity.claimToken === '') return cfg;
  const file = secretFileOf(cfg);
  if (!existsSync(file)) return cfg;
  let s: StoredIdentity;
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as StoredIdentity;
  } catch (err) {
    throw new ConfigError(`identity.secretFile ${file} is not readable JSON; remove it to register again with the claim`, { key: 'identity.secretFile', cause: err });
  }
  if (!isValidId(s.id) || typeof s.secret !== 'string' || s.secret === '') throw new ConfigError(`identity.secretFile ${file} has no id and secret`, { key: 'identity.secretFile' });
  return withIdentity(cfg, s);
}

/** The id this gateway registers under: gateway.id when set, else the first line of identity.idFrom. */
export function claimId(cfg: EdgeConfig): string {
  if (cfg.gateway.id !== 'gw-unset') return cfg.gateway.id;
  if (cfg.identity.idFrom === '') throw new ConfigError('identity.claimToken is set but neither gateway.id nor identity.idFrom names this gateway', { key: 'identity.idFrom' });
  let text: string;
  try {
    text = readFileSync(cfg.identity.idFrom, 'utf8');
  } catch (err) {
    throw new ConfigError(`identity.idFrom ${cfg.identity.idFrom} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { key: 'identity.idFrom', cause: err });
  }
  // Device-tree serial numbers end in NUL; the first line, trimmed of NULs and spaces.
  const id = (text.split('\n')[0] ?? '').replace(/\0/g, '').trim();
  if (!isValidId(id)) throw new ConfigError(`identity.idFrom ${cfg.identity.idFrom} does not hold a valid id (got ${JSON.stringify((id as string).slice(0, 40))})`, { key: 'identity.idFrom' });
  return id;
}

function store(file: string, s: StoredIdentity): void {
  ensurePrivateDir(dirname(file));
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    writeSync(fd, JSON.stringify(s) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Refusals the operator must fix; anything else (network, 5xx, 429) is retried. */
const PERMANENT = new Set([400, 401, 403, 404, 409]);

export interface RegisterDeps {
  fetch?: typeof fetch;
  random?: () => number;
  signal?: AbortSignal;
}

/**
 * Registers by claim when configured and not done yet; returns the config to run with. Without a claim
 * token, or with credentials stored already, it is `applyStoredIdentity(cfg)`.
 */
export async function registerByClaim(cfg: EdgeConfig, log: Logger, deps: RegisterDeps = {}): Promise<EdgeConfig> {
  const stored = applyStoredIdentity(cfg);
  if (cfg.identity.claimToken === '' || stored !== cfg || cfg.cloud.password !== '') return stored;
  if (cfg.identity.registerUrl === '') throw new ConfigError('identity.claimToken is set but identity.registerUrl (the cloud API) is empty', { key: 'identity.registerUrl' });
  const id = claimId(cfg);
  const url = `${cfg.identity.registerUrl.replace(/\/+$/, '')}/v1/register`;
  const doFetch = deps.fetch ?? fetch;
  for (let attempt = 0; ; attempt++) {
    let status = 0;
    let body: { id?: string; secret?: string; error?: { code?: string; message?: string } } | undefined;
    try {
      const res = await doFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ claimToken: cfg.identity.claimToken, id }), signal: AbortSignal.timeout(15_000) });
      status = res.status;
      body = (await res.json().catch(() => undefined)) as typeof body;
    } catch (err) {
      log.warn('registration: cloud unreachable; retrying', { url, attempt, err: (err as Error).message });
    }
    if (status === 201 && typeof body?.secret === 'string' && body.id === id) {
      store(secretFileOf(cfg), { id, secret: body.secret, registeredAt: Date.now() });
      log.info('registered by claim', { gateway: id, secretFile: secretFileOf(cfg) });
      return withIdentity(cfg, { id, secret: body.secret, registeredAt: Date.now() });
    }
    if (PERMANENT.has(status)) {
      const code = body?.error?.code ?? `HTTP_${status}`;
      throw new ConfigError(`registration of ${id} refused (${code}): ${body?.error?.message ?? 'no reason given'}`, { key: 'identity.claimToken', cause: new CausewayError(code, String(status)) });
    }
    if (status !== 0) log.warn('registration failed; retrying', { url, status, code: body?.error?.code });
    if (deps.signal?.aborted) throw new CausewayError('ABORTED', 'registration aborted');
    await new Promise((r) => setTimeout(r, backoffDelay(attempt, (deps.random ?? Math.random)(), { baseMs: 500, capMs: 30_000 })));
  }
}
