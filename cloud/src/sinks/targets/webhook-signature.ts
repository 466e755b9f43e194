import { createHmac, timingSafeEqual } from 'node:crypto';

/** The headers a webhook request is signed with (docs/api.md, "Sinks"). */
export const SIGNATURE_HEADER = 'x-causeway-signature';
export const TIMESTAMP_HEADER = 'x-causeway-timestamp';

/**
 * `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`: the timestamp (ms since the epoch, also sent in
 * X-Causeway-Timestamp) is signed with the body so a receiver can refuse old replays. Pure.
 */
export function webhookSignature(key: Buffer, timestamp: number, body: string): string {
  return 'sha256=' + createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex');
}

/** What a receiver does: constant-time comparison of the header with the expected signature. Pure. */
export function verifyWebhookSignature(key: Buffer, timestamp: number, body: string, header: string): boolean {
  const want = Buffer.from(webhookSignature(key, timestamp, body));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}
