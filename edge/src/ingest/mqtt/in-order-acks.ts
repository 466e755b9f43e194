/**
 * PUBACKs released in the order their PUBLISHes arrived [MQTT-4.6.0-2], each only once its message is
 * durable (issue 16: pipelined QoS 1 acks). Messages are handled concurrently, so a local sensor is no
 * longer held to one message per commit; a message settled early waits for those before it. A failure
 * withholds its PUBACK and every later one: the owner drops the connection and the broker redelivers
 * the unacknowledged messages of the persistent session [MQTT-4.4.0-1]. Pure: no I/O, no MQTT.
 */
export class InOrderAcks {
  private readonly queue: Array<{ state: 'waiting' | 'ok' | 'failed'; release: () => void }> = [];
  private broken = false;

  /** @param onFail called once, at the first failure that reaches the head of the queue */
  constructor(private readonly onFail: (err: unknown) => void) {}

  /** Messages received and not yet released (acknowledged or given up). */
  get waiting(): number {
    return this.queue.length;
  }

  /** A message arrived; `release` sends its PUBACK. Returns how to settle it: ok, or the error. */
  add(release: () => void): (err?: unknown) => void {
    const entry: { state: 'waiting' | 'ok' | 'failed'; release: () => void; err?: unknown } = { state: 'waiting', release };
    this.queue.push(entry);
    return (err?: unknown) => {
      if (entry.state !== 'waiting') return;
      entry.state = err === undefined ? 'ok' : 'failed';
      entry.err = err;
      this.drain();
    };
  }

  private drain(): void {
    while (!this.broken && this.queue.length > 0 && this.queue[0]!.state !== 'waiting') {
      const head = this.queue.shift()! as { state: string; release: () => void; err?: unknown };
      if (head.state === 'ok') {
        head.release();
        continue;
      }
      this.broken = true;
      this.queue.length = 0;
      this.onFail(head.err);
    }
  }
}
