import { readFileSync } from 'node:fs';
import { CausewayError } from '@causeway/shared';
import type { WebhookTargetSpec } from '../sink-spec.js';
import type { SinkRow } from '../transform.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './webhook-signature.js';
import type { SinkTarget, WriteOutcome } from './target.js';

/** Bytes of a refusing response kept for the dead-letter record. */
const RESPONSE_KEEP = 2048;

/**
 * How a webhook answer is taken (issue 21): 2xx delivered; 408, 429 and 5xx (and no answer: a refused
 * connection, a timeout) are the receiver's temporary trouble, retried with backoff for as long as it
 * lasts (the queue lags, nothing is lost); any other status is a refusal no retry can cure, so the batch
 * goes to the dead-letter queue with the response instead of being retried for ever. Pure.
 */
export function classifyStatus(status: number): 'ok' | 'retry' | 'dead' {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'dead';
}

/**
 * POSTs each batch as JSON `{sink, batchId, rows}`, signed with HMAC-SHA256 (X-Causeway-Signature over
 * X-Causeway-Timestamp and the body), within `timeoutMs`. Redirects are not followed (a 3xx is a refusal):
 * a signed batch goes only where the config says.
 */
export class WebhookTarget implements SinkTarget {
  readonly describe: string;
  readonly #spec: WebhookTargetSpec;
  readonly #sink: string;
  readonly #key: Buffer;

  constructor(sink: string, spec: WebhookTargetSpec) {
    this.#spec = spec;
    this.#sink = sink;
    this.#key = readFileSync(spec.secretFile);
    const u = new URL(spec.url);
    this.describe = `webhook ${u.origin}${u.pathname}`;
  }

  async write(rows: SinkRow[], batchId: string): Promise<WriteOutcome> {
    if (rows.length === 0) return { ok: true };
    const body = JSON.stringify({ sink: this.#sink, batchId, rows });
    const ts = Date.now();
    let res: Response;
    try {
      res = await fetch(this.#spec.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: webhookSignature(this.#key, ts, body), [TIMESTAMP_HEADER]: String(ts), 'x-causeway-batch': batchId },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#spec.timeoutMs),
      });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      throw new CausewayError('SINK_TARGET_FAILED', `${this.describe}: ${timedOut ? `no answer within ${this.#spec.timeoutMs} ms` : ((err as Error & { cause?: Error }).cause?.message ?? (err as Error).message)}`, { cause: err });
    }
    const text = await res.text().catch(() => '');
    const verdict = classifyStatus(res.status);
    if (verdict === 'ok') return { ok: true };
    if (verdict === 'retry') throw new CausewayError('SINK_TARGET_FAILED', `${this.describe}: HTTP ${res.status}`);
    return { ok: false, dead: true, status: res.status, response: text.slice(0, RESPONSE_KEEP) };
  }

  async close(): Promise<void> {}
}
