import { createHmac, timingSafeEqual } from 'node:crypto';
import { CausewayError } from '@causeway/shared';

/**
 * Signed, expiring access tokens, as hosted MQTT services issue them: an HMAC-SHA256 over the client id,
 * the principal's token generation and the expiry, so the broker checks one with the registry read it
 * does anyway on CONNECT.
 *
 * Format: `cw2.{base64url(clientId)}.{generation}.{expiry seconds}.{base64url(signature)}`; used as the
 * MQTT password with the client id as username. The generation is the registry entry's
 * `tokenGeneration`, which rotating the secret or disabling the principal increments: every token issued
 * before is then refused although its signature and expiry are fine (issue 23 item 6 — a leaked token
 * must not outlive the rotation by up to 30 days). Tokens of the older `cw1.{id}.{expiry}.{sig}` form
 * carry no generation and count as generation 0, so they stop working at the first rotation.
 *
 * @example
 * const token = issueToken(key, 'gw1', Date.now() + 3600_000, entry.tokenGeneration ?? 0);
 * verifyToken(key, token, 'gw1'); // { ok: true, clientId: 'gw1', generation: 0, expiresAt: … }
 */
const PREFIX = 'cw2';
const LEGACY_PREFIX = 'cw1';

function sign(key: Buffer, clientId: string, generation: number | undefined, expirySeconds: number): Buffer {
  const text = generation === undefined ? `${LEGACY_PREFIX}\n${clientId}\n${expirySeconds}` : `${PREFIX}\n${clientId}\n${generation}\n${expirySeconds}`;
  return createHmac('sha256', key).update(text).digest();
}

export function issueToken(key: Buffer, clientId: string, expiresAtMs: number, generation: number): string {
  if (key.length < 32) throw new CausewayError('TOKEN_KEY_WEAK', 'token signing key must be at least 32 bytes');
  if (!Number.isSafeInteger(generation) || generation < 0) throw new CausewayError('TOKEN_INVALID', `token generation must be a non-negative integer, got ${generation}`);
  const exp = Math.floor(expiresAtMs / 1000);
  return [PREFIX, Buffer.from(clientId, 'utf8').toString('base64url'), String(generation), String(exp), sign(key, clientId, generation, exp).toString('base64url')].join('.');
}

export type TokenCheck =
  | { ok: true; clientId: string; generation: number; expiresAt: number }
  | { ok: false; reason: 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' | 'WRONG_CLIENT' };

const NUMBER = /^\d{1,12}$/;

/**
 * Checks a token's signature, client and expiry; `clientId` (if given) must be the one it was issued
 * to. Whether its generation is still current is the caller's check (it needs the registry). Never throws.
 */
export function verifyToken(key: Buffer, token: string, clientId?: string, now = Date.now()): TokenCheck {
  const parts = token.split('.');
  let id: string, generation: number | undefined, exp: number, sig: string;
  if (parts.length === 5 && parts[0] === PREFIX && NUMBER.test(parts[2]!) && NUMBER.test(parts[3]!)) {
    [id, generation, exp, sig] = [Buffer.from(parts[1]!, 'base64url').toString('utf8'), Number(parts[2]), Number(parts[3]), parts[4]!];
  } else if (parts.length === 4 && parts[0] === LEGACY_PREFIX && NUMBER.test(parts[2]!)) {
    [id, generation, exp, sig] = [Buffer.from(parts[1]!, 'base64url').toString('utf8'), undefined, Number(parts[2]), parts[3]!];
  } else {
    return { ok: false, reason: 'MALFORMED' };
  }
  const given = Buffer.from(sig, 'base64url');
  const expected = sign(key, id, generation, exp);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'BAD_SIGNATURE' };
  if (clientId !== undefined && clientId !== id) return { ok: false, reason: 'WRONG_CLIENT' };
  if (exp * 1000 <= now) return { ok: false, reason: 'EXPIRED' };
  return { ok: true, clientId: id, generation: generation ?? 0, expiresAt: exp * 1000 };
}

/** True when the string has a token shape (so the broker knows which check to run). */
export function looksLikeToken(s: string): boolean {
  const n = s.split('.').length;
  return (s.startsWith(`${PREFIX}.`) && n === 5) || (s.startsWith(`${LEGACY_PREFIX}.`) && n === 4);
}
