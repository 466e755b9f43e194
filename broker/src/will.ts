import type { QoS } from '@causeway/shared';
import type { PublishMeta } from './store/contract.js';

/** The Will Message of a connection, as CONNECT carried it. */
export interface Will {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** seconds (v5 Will Delay Interval) */
  delay: number;
  /** seconds (v5 Message Expiry Interval of the will) */
  expiry?: number;
  meta?: PublishMeta;
}

/**
 * Pending wills by client id. A will waits min(will delay, session expiry) [MQTT-3.1.3-9]; a new
 * connection for the same session before then cancels it.
 */
export class WillScheduler {
  readonly #timers = new Map<string, NodeJS.Timeout>();

  schedule(clientId: string, delayMs: number, fire: () => void): void {
    this.cancel(clientId);
    if (delayMs <= 0) {
      fire();
      return;
    }
    const t = setTimeout(() => {
      this.#timers.delete(clientId);
      fire();
    }, delayMs);
    t.unref();
    this.#timers.set(clientId, t);
  }

  cancel(clientId: string): boolean {
    const t = this.#timers.get(clientId);
    if (t === undefined) return false;
    clearTimeout(t);
    this.#timers.delete(clientId);
    return true;
  }

  clear(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
}
