import type { SinkRow } from '../transform.js';

/**
 * What a sink target does with one pulled batch. `write` resolves only once the rows are committed at the
 * target (then, and only then, the runner acks the queue); it throws a retryable error (target down,
 * timeout, 5xx) and the runner backs off and tries the same batch again. `dead` is a refusal that no retry
 * can cure (a webhook's 4xx other than 408/429): the runner sends the batch to the dead-letter queue with
 * the response, then acks.
 */
export type WriteOutcome = { ok: true } | { ok: false; dead: true; status: number; response: string };

export interface SinkTarget {
  /** where the rows go, safe to log and show (no secret) */
  readonly describe: string;
  write(rows: SinkRow[], batchId: string): Promise<WriteOutcome>;
  close(): Promise<void>;
}
