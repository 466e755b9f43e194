import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Device secrets are stored as scrypt hashes, never in clear: `scrypt$N$r$p$salt$hash` (base64url).
 * N=2^14 (auth.kdfLogN = 14, the default) keeps a verification near 30 ms on a small VM: slow for a
 * guesser, bearable at connect time. The cost is in each stored hash, so changing auth.kdfLogN applies
 * to secrets set from then on; existing ones keep verifying at their own cost.
 */
export const DEFAULT_KDF_LOG_N = 14;
const PARAMS = { r: 8, p: 1 } as const;
const KEYLEN = 32;

function scryptAsync(secret: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashSecret(secret: string, logN = DEFAULT_KDF_LOG_N): Promise<string> {
  const salt = randomBytes(16);
  const N = 2 ** logN;
  const key = await scryptAsync(secret, salt, KEYLEN, { N, ...PARAMS, maxmem: 256 * 1024 * 1024 });
  return ['scrypt', N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time check of a secret against a stored hash; false (never a throw) for a malformed hash. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) || N > 1 << 20) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (expected.length === 0) return false;
  const key = await scryptAsync(secret, salt, expected.length, { N, r, p, maxmem: 256 * 1024 * 1024 });
  return timingSafeEqual(key, expected);
}

/** A random secret suitable for a device credential (URL-safe, 32 bytes of entropy). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}
