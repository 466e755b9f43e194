import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { backoffDelay, CausewayError, ConfigError, isValidId, writePrivateFileAtomic, type Logger } from '@causeway/shared';
import type { EdgeConfig } from '../config/schema.js';

/**
 * First-boot self-registration by claim (issue 20). A gateway imaged with `identity.claimToken` and no
 * credentials of its own presents the claim under its own id (`gateway.id`, or the first line of
 * `identity.idFrom`, e.g. a hardware serial number) to `POST /v1/register`, gets its secret, keeps it in
 * `identity.secretFile` (mode 0600, written atomically) and connects with it from then on; the claim is
 * not used again. A refusal the operator must fix (expired, used up, revoked, wrong token, id taken) stops
 * the agent with exit 78 (config), which systemd does not restart in a loop; an unreachable cloud is
 * retried with backoff.
 *
 * A claim made with approval: the gateway sends a secret of its own (kept beside the credentials file as
 * `<secretFile>.pending` before it is sent, so a restart asks again as the same gateway); the cloud answers
 * 202 until an operator decides and says when to ask again (claims.pendingRetrySeconds); approved, the
 * secret becomes the gateway's; rejected (403 CLAIM_REJECTED) or revoked, the agent stops with exit 78
 * and the reason, and asks no more.
 *
 * With identity.csr the gateway asks for a certificate instead of a secret: it makes its key
 * (`gateway-key.pem`, 0600, never sent), sends a CSR with CN = its id, stores the certificate the cloud
 * CA signs (`gateway-cert.pem`) and connects with both over mTLS; the credentials file names them.
 */
export interface StoredIdentity {
  id: string;
  secret: string;
  registeredAt: number;
}

/**
 * With identity.csr (issue 20): the gateway's credentials are a certificate the cloud CA signed and the
 * key it made itself (`gateway-cert.pem`, `gateway-key.pem` beside the credentials file, mode 0600);
 * the credentials file names them.
 */
export interface StoredCertificateIdentity {
  id: string;
  certFile: string;
  keyFile: string;
  notAfter: number;
  registeredAt: number;
}

export function keyFileOf(cfg: EdgeConfig): string {
  return join(dirname(secretFileOf(cfg)), 'gateway-key.pem');
}

export function certFileOf(cfg: EdgeConfig): string {
  return join(dirname(secretFileOf(cfg)), 'gateway-cert.pem');
}

export function secretFileOf(cfg: EdgeConfig): string {
  return cfg.identity.secretFile !== '' ? cfg.identity.secretFile : join(dirname(cfg.store.path), 'credentials.json');
}

function withIdentity(cfg: EdgeConfig, s: StoredIdentity | StoredCertificateIdentity): EdgeConfig {
  // A certificate gateway is its CN on the broker's TLS listener; it sends no password.
  if ('certFile' in s) return { ...cfg, gateway: { ...cfg.gateway, id: s.id }, cloud: { ...cfg.cloud, username: s.id, password: '', cert: s.certFile, key: s.keyFile } };
  return { ...cfg, gateway: { ...cfg.gateway, id: s.id }, cloud: { ...cfg.cloud, username: s.id, password: s.secret } };
}

/** The config with the stored credentials applied, when a claim gave some before (sync: SIGHUP reloads use it). */
export function applyStoredIdentity(cfg: EdgeConfig): EdgeConfig {
  if (cfg.identity.claimToken === '') return cfg;
  const file = secretFileOf(cfg);
  if (!existsSync(file)) return cfg;
  let s: Partial<StoredIdentity & StoredCertificateIdentity>;
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as typeof s;
  } catch (err) {
    throw new ConfigError(`identity.secretFile ${file} is not readable JSON; remove it to register again with the claim`, { key: 'identity.secretFile', cause: err });
  }
  if (isValidId(s.id) && typeof s.certFile === 'string' && typeof s.keyFile === 'string') return withIdentity(cfg, s as StoredCertificateIdentity);
  if (!isValidId(s.id) || typeof s.secret !== 'string' || s.secret === '') throw new ConfigError(`identity.secretFile ${file} has no id and secret (or certificate)`, { key: 'identity.secretFile' });
  return withIdentity(cfg, s as StoredIdentity);
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

/**
 * A renewed certificate (issue 20) ends later: the credentials file says when, as it did at registration.
 * Informational (the agent reads the end from the certificate itself); written whole like the rest.
 */
export function recordCertificateEnd(cfg: EdgeConfig, notAfter: number): void {
  const file = secretFileOf(cfg);
  const s = JSON.parse(readFileSync(file, 'utf8')) as StoredCertificateIdentity;
  store(file, { ...s, notAfter, renewedAt: Date.now() });
}

function store(file: string, s: object): void {
  storeText(file, JSON.stringify(s) + '\n');
}

/** Written whole or not at all (tmp, fsync, rename), mode 0600 from creation: a key is never readable by others. */
const storeText = writePrivateFileAtomic;

/** Refusals the operator must fix; anything else (network, 5xx, 429) is retried. */
const PERMANENT = new Set([400, 401, 403, 404, 409]);

export interface RegisterDeps {
  fetch?: typeof fetch;
  random?: () => number;
  signal?: AbortSignal;
  /** told before each wait for an operator's approval (systemd: extend the start timeout, show a status) */
  onWaiting?: (ms: number) => void;
}

/** The secret this gateway asks with: the one it sent before (a restart while pending), or a new one kept first. */
function ownSecret(file: string, id: string): string {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredIdentity>;
    if (s.id === id && typeof s.secret === 'string' && s.secret !== '') return s.secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
  }
  const secret = randomBytes(32).toString('base64url');
  store(file, { id, secret, requestedAt: Date.now() });
  return secret;
}

/** Pure: ms to wait before asking again while pending: the cloud's retryAfterSeconds (1 s–1 h), ±10 % so a fleet spreads out. */
export function pendingDelayMs(retryAfterSeconds: unknown, random: number): number {
  const s = typeof retryAfterSeconds === 'number' && Number.isFinite(retryAfterSeconds) ? Math.min(3600, Math.max(1, retryAfterSeconds)) : 60;
  return Math.round(s * 1000 * (0.9 + 0.2 * random));
}

/**
 * Registers by claim when configured and not done yet; returns the config to run with. Without a claim
 * token, or with credentials stored already, it is `applyStoredIdentity(cfg)`.
 */
export async function registerByClaim(cfg: EdgeConfig, log: Logger, deps: RegisterDeps = {}): Promise<EdgeConfig> {
  const stored = applyStoredIdentity(cfg);
  if (cfg.identity.claimToken === '' || stored !== cfg || cfg.cloud.password !== '' || cfg.cloud.cert !== '') return stored;
  if (cfg.identity.registerUrl === '') throw new ConfigError('identity.claimToken is set but identity.registerUrl (the cloud API) is empty', { key: 'identity.registerUrl' });
  const id = claimId(cfg);
  const url = `${cfg.identity.registerUrl.replace(/\/+$/, '')}/v1/register`;
  const doFetch = deps.fetch ?? fetch;
  const pendingFile = `${secretFileOf(cfg)}.pending`;
  // With identity.csr the request also carries a CSR for a key made here (x509 loaded only then). The
  // secret is still sent: a claim that needs approval knows the same gateway asking again by it; the
  // registry never gets it, the certificate is the credential.
  const csr = cfg.identity.csr ? await (await import('./gateway-csr.js')).gatewayCsr(keyFileOf(cfg), id, storeText) : undefined;
  const own = ownSecret(pendingFile, id);
  let waits = 0;
  for (let attempt = 0; ; attempt++) {
    let status = 0;
    let body: { id?: string; secret?: string; certificate?: string; notAfter?: number; state?: string; retryAfterSeconds?: number; error?: { code?: string; message?: string } } | undefined;
    try {
      // `secret` is used only by a claim that needs approval; otherwise the cloud makes the secret.
      const res = await doFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ claimToken: cfg.identity.claimToken, id, secret: own, ...(csr === undefined ? {} : { csr }) }), signal: AbortSignal.timeout(15_000) });
      status = res.status;
      body = (await res.json().catch(() => undefined)) as typeof body;
    } catch (err) {
      log.warn('registration: cloud unreachable; retrying', { url, attempt, err: (err as Error).message });
    }
    if (csr !== undefined && status === 201 && typeof body?.certificate === 'string' && body.id === id) {
      const certFile = certFileOf(cfg);
      storeText(certFile, body.certificate);
      const s: StoredCertificateIdentity = { id, certFile, keyFile: keyFileOf(cfg), notAfter: typeof body.notAfter === 'number' ? body.notAfter : 0, registeredAt: Date.now() };
      store(secretFileOf(cfg), s);
      rmSync(pendingFile, { force: true });
      log.info('registered by claim with a certificate', { gateway: id, certFile, notAfter: s.notAfter, ...(waits > 0 ? { approvedAfterRequests: waits + 1 } : {}) });
      return withIdentity(cfg, s);
    }
    // Approved: no secret in the answer, the gateway's own is now in the registry.
    const secret = typeof body?.secret === 'string' ? body.secret : body?.state === 'approved' ? own : undefined;
    if (status === 201 && secret !== undefined && body?.id === id) {
      store(secretFileOf(cfg), { id, secret, registeredAt: Date.now() });
      rmSync(pendingFile, { force: true });
      log.info('registered by claim', { gateway: id, secretFile: secretFileOf(cfg), ...(waits > 0 ? { approvedAfterRequests: waits + 1 } : {}) });
      return withIdentity(cfg, { id, secret, registeredAt: Date.now() });
    }
    if (status === 202 && body?.state === 'pending') {
      const ms = pendingDelayMs(body.retryAfterSeconds, (deps.random ?? Math.random)());
      // Clearly once, then quietly: a gateway may wait days for an operator.
      if (waits++ === 0) log.info('registration waiting for an operator\'s approval (causeway claims pending / approve)', { gateway: id, retryInSeconds: Math.round(ms / 1000) });
      else log.debug('registration still waiting for approval', { gateway: id, retryInSeconds: Math.round(ms / 1000) });
      deps.onWaiting?.(ms);
      attempt = -1;
      if (deps.signal?.aborted) throw new CausewayError('ABORTED', 'registration aborted');
      await new Promise((r) => setTimeout(r, ms));
      continue;
    }
    if (PERMANENT.has(status)) {
      const code = body?.error?.code ?? `HTTP_${status}`;
      if (code === 'CLAIM_REJECTED' || code === 'CLAIM_REVOKED') log.error('registration rejected; not asking again', { gateway: id, code, reason: body?.error?.message });
      throw new ConfigError(`registration of ${id} refused (${code}): ${body?.error?.message ?? 'no reason given'}`, { key: 'identity.claimToken', cause: new CausewayError(code, String(status)) });
    }
    if (status !== 0) log.warn('registration failed; retrying', { url, status, code: body?.error?.code });
    if (deps.signal?.aborted) throw new CausewayError('ABORTED', 'registration aborted');
    await new Promise((r) => setTimeout(r, backoffDelay(attempt, (deps.random ?? Math.random)(), { baseMs: 500, capMs: 30_000 })));
  }
}
