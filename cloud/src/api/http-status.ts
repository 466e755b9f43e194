import { CausewayError } from '@causeway/shared';

/** The one place that maps errors to HTTP statuses for the operator API. */
const BY_CODE: Record<string, number> = {
  API_UNAUTHORIZED: 401,
  API_FORBIDDEN: 403,
  API_NOT_FOUND: 404,
  API_BAD_REQUEST: 400,
  API_TOO_LARGE: 413,
  API_METHOD_NOT_ALLOWED: 405,
  API_BUSY: 503,
  REGISTRY_EXISTS: 409,
  REGISTRY_NOT_FOUND: 404,
  QUEUE_GROUP_CONFLICT: 409,
  QUEUE_BAD_FILTER: 400,
  QUEUE_BAD_OFFSET: 400,
  QUEUE_BAD_REQUEST: 400,
  QUEUE_OWNER_UNAVAILABLE: 503,
  QUEUE_MESSAGE_TOO_LARGE: 502,
  ID_INVALID: 400,
  TOPIC_INVALID: 400,
  FILTER_INVALID: 400,
  TOPIC_UNKNOWN: 400,
  CONFIG_INVALID: 400,
  CONFIG_CERTIFICATE_ONLY: 409,
  JSON_UNSAFE_KEY: 400,
  COMMAND_INVALID: 400,
  COMMAND_TOO_LARGE: 413,
  COMMAND_UNKNOWN_DEVICE: 404,
  COMMAND_NO_TARGETS: 404,
  COMMAND_NOT_FOUND: 404,
  SINK_NOT_FOUND: 404,
  WHERE_INVALID: 400,
  BATCH_INVALID: 400,
  BUNDLE_INVALID: 502,
  CLAIM_INVALID: 401,
  CLAIM_UNKNOWN: 401,
  CLAIM_REVOKED: 403,
  CLAIM_EXPIRED: 403,
  CLAIM_EXHAUSTED: 403,
  CLAIM_RATE_LIMITED: 429,
  CLAIM_REJECTED: 403,
  REGISTRATION_CONFLICT: 409,
  REGISTRATION_DECIDED: 409,
  CSR_MALFORMED: 400,
  CSR_BAD_SIGNATURE: 400,
  CSR_SUBJECT_MISMATCH: 400,
  CSR_WEAK_KEY: 400,
  ARTIFACT_INVALID: 400,
  ARTIFACT_BAD_KEY: 400,
  ARTIFACT_UNTRUSTED: 403,
  ARTIFACT_BAD_SIGNATURE: 403,
  ARTIFACT_MISMATCH: 422,
  ARTIFACT_NO_BLOB: 409,
  ARTIFACT_EXISTS: 409,
  ARTIFACT_IN_USE: 409,
  ARTIFACT_NOT_FOUND: 404,
  ARTIFACT_NOT_ROLLED_OUT: 403,
  ARTIFACT_RANGE: 416,
  // The message store failed underneath (disk full, I/O error) or is closing: the request may succeed
  // later, so a client retries instead of reporting a bug in the server.
  STORE_IO: 503,
  STORE_CLOSED: 503,
  STORE_INVALID: 400,
};

/** Seconds a client is asked to wait (Retry-After) after a 503. */
export const RETRY_AFTER_SECONDS = 5;

export function statusFor(err: unknown): number {
  if (err instanceof CausewayError) return BY_CODE[err.code] ?? (err.code.startsWith('DECODE_') ? 400 : 500);
  return 500;
}

export class ApiError extends CausewayError {
  override name = 'ApiError';
  constructor(code: 'API_UNAUTHORIZED' | 'API_FORBIDDEN' | 'API_NOT_FOUND' | 'API_BAD_REQUEST' | 'API_TOO_LARGE' | 'API_METHOD_NOT_ALLOWED' | 'API_BUSY', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
