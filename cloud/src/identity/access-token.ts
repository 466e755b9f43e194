import { createHmac, timingSafeEqual } from 'node:crypto';
import { CausewayError } from '../../../shared/src/errors/causeway-error.js';

/**
 * Signed, expiring access tokens, as hosted MQTT services issue them: an HMAC-SHA256 over the client id
 * and the expiry, so the broker checks one without a database read.
 *
 * Format: `cw1.{base64url(clientId)}.{expiry seconds}.{base64url(signature)}`; used as the MQTT password
 * with the client id as username.
 *
 * @example
 * const token = issueToken(key, 'gw1', Date.now() + 3600_000);
 * verifyToken(key, token, 'gw1'); // { clientId: 'gw1', expiresAt: … }
 */
const PREFIX = 'cw1';

function sign(key: Buffer, clientId: string, expirySeconds: number): Buffer {
  return createHmac('sha256', key).update(`${PREFIX}\n${clientId}\n${expirySeconds}`).digest();
}

export function issueToken(key: Buffer, clientId: string, expiresAtMs: number): string {
  if (key.length < 32) throw new CausewayError('TOKEN_KEY_WEAK', 'token signing key must be at least 32 bytes');
  const exp = Math.floor(expiresAtMs / 1000);
  return [PREFIX, Buffer.from(clientId, 'utf8').toString('base64url'), String(exp), sign(key, clientId, exp).toString('base64url')].join('.');
}

export type TokenCheck =
  | { ok: true; clientId: string; expiresAt: number }
  | { ok: false; reason: 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' | 'WRONG_CLIENT' };

/** Checks a token; `clientId` (if given) must be the one it was issued to. Never throws. */
export function verifyToken(key: Buffer, token: string, clientId?: string, now = Date.now()): TokenCheck {
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== PREFIX || !/^\d{1,12}$/.test(parts[2]!)) return { ok: false, reason: 'MALFORMED' };
  const id = Buffer.from(parts[1]!, 'base64url').toString('utf8');
  const exp = Number(parts[2]);
  const given = Buffer.from(parts[3]!, 'base64url');
  const expected = sign(key, id, exp);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'BAD_SIGNATURE' };
  if (clientId !== undefined && clientId !== id) return { ok: false, reason: 'WRONG_CLIENT' };
  if (exp * 1000 <= now) return { ok: false, reason: 'EXPIRED' };
  return { ok: true, clientId: id, expiresAt: exp * 1000 };
}

/** True when the string has the token shape (so the broker knows which check to run). */
export function looksLikeToken(s: string): boolean {
  return s.startsWith(`${PREFIX}.`) && s.split('.').length === 4;
}
