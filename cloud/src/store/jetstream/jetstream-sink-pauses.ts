import type { KV } from 'nats';
import type { SinkControlStore, SinkPause } from '../../control/control-store.js';
import { compareAndSet } from './kv-compare-and-set.js';
import { scanKv } from './kv-scan.js';
import { escapeToken } from './subject-escape.js';

interface StoredPause extends SinkPause {
  sink: string;
}

/**
 * Sink pauses in the KV bucket `<prefix>_sinks`, key `pause.<sink>` (issue 21): every node reads the same
 * state, so a pause taken on one node holds on the node that runs the sink, and after any restart. Written
 * by compare-and-set so the later change wins even when two nodes write at once.
 */
export class JetStreamSinkPauses implements SinkControlStore {
  constructor(
    private readonly kv: KV,
    private readonly timeoutMs: number,
  ) {}

  async setPaused(sink: string, paused: boolean, at: number): Promise<void> {
    await compareAndSet<StoredPause, true>(this.kv, `pause.${escapeToken(sink)}`, (cur) => (cur !== undefined && cur.at > at ? undefined : { value: { sink, paused, at }, result: true }));
  }

  async pauses(): Promise<Map<string, SinkPause>> {
    const all = (await scanKv(this.kv, 'pause.>', this.timeoutMs)).map((e) => e.json() as StoredPause);
    all.sort((a, b) => (a.sink < b.sink ? -1 : a.sink > b.sink ? 1 : 0));
    return new Map(all.map((p) => [p.sink, { paused: p.paused, at: p.at }]));
  }
}
