import { CausewayError } from '@causeway/shared';

/**
 * A CSR refused by the cloud CA (csr-signer.ts), in a module of its own so that the API can tell one
 * apart without loading the X.509 library (~22 MB of RSS), which the cloud loads only when a CA is
 * configured (claims.caCert).
 */
export class CsrError extends CausewayError {
  override name = 'CsrError';
}

export type CsrRefusal = 'CSR_MALFORMED' | 'CSR_BAD_SIGNATURE' | 'CSR_SUBJECT_MISMATCH' | 'CSR_WEAK_KEY';

/** A PEM CSR is ~0.5 KiB (EC) to ~1.7 KiB (RSA 4096); anything far bigger is not one. */
export const MAX_CSR_CHARS = 16 * 1024;
