import type { EventInput, ReadingInput, UplinkSink } from '../../../src/ingest/sink.js';

/**
 * An in-memory UplinkSink that records what it was given, in call order. `gate` holds every promise
 * until opened (to show nothing is acknowledged before the sink resolves); `failNext` rejects calls.
 */
export class RecordingSink implements UplinkSink {
  readonly readings: ReadingInput[] = [];
  readonly events: EventInput[] = [];
  /** how many promises have resolved (the "durable" point) */
  committed = 0;
  private closed = false;
  private waiting: (() => void)[] = [];
  failNext = 0;

  closeGate(): void {
    this.closed = true;
  }

  openGate(): void {
    this.closed = false;
    for (const w of this.waiting.splice(0)) w();
  }

  private settle(): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error('sink failed (test)'));
    }
    const done = (): void => {
      this.committed++;
    };
    if (!this.closed) {
      done();
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => (done(), resolve())));
  }

  addReading(r: ReadingInput): Promise<void> {
    this.readings.push(r);
    return this.settle();
  }

  addEvent(e: EventInput): Promise<void> {
    this.events.push(e);
    return this.settle();
  }

  values(stream: string, device?: string): unknown[] {
    return this.readings.filter((r) => r.stream === stream && (device === undefined || r.device === device)).map((r) => r.value);
  }
}
