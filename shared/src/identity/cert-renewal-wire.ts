import { CausewayError } from '../errors/causeway-error.js';

/**
 * Certificate renewal over MQTT (issue 20): a gateway registered with a CSR asks, on `cert-req/{gateway}`
 * and over the mTLS session its current certificate opened, for a new certificate for a new key; the
 * cloud answers on `cert/{gateway}`, which only that gateway may subscribe to. The `nonce` matches the
 * answer to the request. Both are JSON, not envelopes, and not deduplicated: asking again is harmless.
 *
 * Request: `{"csr": "<PEM PKCS #10, CN = the gateway>", "nonce": "…"}`.
 * Answer: `{"nonce", "certificate": "<PEM>", "notAfter": ms}` or `{"nonce", "error": {"code", "message"}}`.
 */
export interface CertRenewalRequest {
  csr: string;
  nonce: string;
}

export interface CertRenewalAnswer {
  nonce: string;
  certificate?: string;
  notAfter?: number;
  error?: { code: string; message: string };
}

/** A CSR is a few hundred bytes; this bounds what the cloud parses. */
export const MAX_CERT_REQUEST_BYTES = 16 * 1024;

function parseJson(b: Buffer, what: string): Record<string, unknown> {
  let x: unknown;
  try {
    x = JSON.parse(b.toString('utf8'));
  } catch {
    throw new CausewayError('CERT_RENEWAL_MALFORMED', `${what} is not JSON`);
  }
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new CausewayError('CERT_RENEWAL_MALFORMED', `${what} is not a JSON object`);
  return x as Record<string, unknown>;
}

const validNonce = (n: unknown): n is string => typeof n === 'string' && n.length > 0 && n.length <= 64;

export function encodeCertRenewalRequest(r: CertRenewalRequest): Buffer {
  return Buffer.from(JSON.stringify({ csr: r.csr, nonce: r.nonce }));
}

export function decodeCertRenewalRequest(b: Buffer): CertRenewalRequest {
  if (b.length > MAX_CERT_REQUEST_BYTES) throw new CausewayError('CERT_RENEWAL_MALFORMED', `certificate request is ${b.length} bytes, the limit is ${MAX_CERT_REQUEST_BYTES}`);
  const o = parseJson(b, 'certificate request');
  if (typeof o.csr !== 'string' || !validNonce(o.nonce)) throw new CausewayError('CERT_RENEWAL_MALFORMED', 'certificate request must be {"csr": PEM, "nonce": string of 1–64}');
  return { csr: o.csr, nonce: o.nonce };
}

export function encodeCertRenewalAnswer(a: CertRenewalAnswer): Buffer {
  return Buffer.from(JSON.stringify(a));
}

export function decodeCertRenewalAnswer(b: Buffer): CertRenewalAnswer {
  const o = parseJson(b, 'certificate answer');
  if (!validNonce(o.nonce)) throw new CausewayError('CERT_RENEWAL_MALFORMED', 'certificate answer has no nonce');
  const e = o.error as Record<string, unknown> | undefined;
  if (e !== undefined) {
    if (typeof e !== 'object' || e === null || typeof e.code !== 'string' || typeof e.message !== 'string') throw new CausewayError('CERT_RENEWAL_MALFORMED', 'certificate answer error must be {"code", "message"}');
    return { nonce: o.nonce, error: { code: e.code, message: e.message } };
  }
  if (typeof o.certificate !== 'string' || typeof o.notAfter !== 'number') throw new CausewayError('CERT_RENEWAL_MALFORMED', 'certificate answer must carry "certificate" (PEM) and "notAfter" (ms)');
  return { nonce: o.nonce, certificate: o.certificate, notAfter: o.notAfter };
}
