/**
 * Base of every error Causeway raises on purpose. `code` is stable and machine-readable (used for
 * counters, exit codes and MQTT reason codes); `message` carries the context a human needs; `cause`
 * keeps the underlying error.
 *
 * @example
 * throw new CausewayError('STORE_FULL', 'outbox is full (64 MiB)', { cause: err });
 */
export class CausewayError extends Error {
  override name = 'CausewayError';
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}
