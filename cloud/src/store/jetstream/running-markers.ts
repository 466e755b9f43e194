import { type KV, type KvEntry, type QueuedIterator } from 'nats';
import { CausewayError } from '@causeway/shared';
import { unescapeToken } from './subject-escape.js';

/**
 * The ids of RUNNING commands: the `r.<id>` markers of the commands bucket, kept current by one
 * long-lived KV watch (an ordered consumer that follows the bucket). Every node's command tick asks for
 * them each second; reading them with a fresh watch each time created and deleted a consumer per second
 * per node, which during a nats-server outage piled up as "Consumer assignment … not cleaned up" and made
 * every tick time out [issue 23]. Now the bucket has one consumer per node, however many ticks run.
 *
 * This node's own creates and finishes apply at once (`add`, `delete`); other nodes' arrive through the
 * watch within milliseconds. A stale id costs one record read (the caller checks the record's status).
 * If the watch ends (its connection closed, a reset that failed), the next `ids()` starts a new one.
 */
export class RunningMarkers {
  #ids = new Set<string>();
  #ready: Promise<void> | undefined;
  #watch: QueuedIterator<KvEntry> | undefined;
  #stopped = false;
  /** watches started; for tests */
  watchesStarted = 0;

  constructor(
    private readonly kv: KV,
    private readonly timeoutMs: number,
  ) {}

  /** The current markers; the first call (and the first after the watch ended) waits for the bucket's state. */
  async ids(): Promise<string[]> {
    if (this.#stopped) throw new CausewayError('CONTROL_STORE_CLOSED', 'the control store is closed');
    this.#ready ??= this.#start();
    await this.#ready;
    return [...this.#ids];
  }

  add(id: string): void {
    this.#ids.add(id);
  }

  delete(id: string): void {
    this.#ids.delete(id);
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.stop();
  }

  #start(): Promise<void> {
    this.watchesStarted++;
    this.#ids.clear();
    const ready = new Promise<void>((resolve, reject) => {
      let initialized = false;
      let timedOut = false;
      const timer = setTimeout(() => {
        if (initialized) return;
        timedOut = true;
        this.#watch?.stop();
        reject(new CausewayError('CONTROL_STORE_TIMEOUT', `reading the running commands from KV took over ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const done = (): void => {
        initialized = true;
        clearTimeout(timer);
        resolve();
      };
      // Deletes are kept (not `ignoreDeletes`): a finished command's marker is a delete, and the client
      // counts only delivered entries towards "initialized" (see scanKv in kv-scan.ts).
      this.kv
        .watch({ key: 'r.>', initializedFn: done })
        .then((it) => {
          this.#watch = it;
          if (this.#stopped || timedOut) it.stop();
          void (async () => {
            for await (const e of it) {
              const id = unescapeToken(e.key.slice(2));
              if (e.operation === 'PUT') this.#ids.add(id);
              else this.#ids.delete(id);
            }
          })()
            .catch(() => undefined)
            .finally(() => {
              // ended (stopped, or its subscription failed): the next ids() starts a fresh watch
              if (this.#watch === it) this.#ready = undefined;
            });
        }, (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        });
    });
    // A failed start is retried by the next call rather than cached.
    ready.catch(() => {
      this.#ready = undefined;
    });
    return ready;
  }
}
