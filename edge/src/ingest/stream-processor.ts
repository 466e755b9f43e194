import { ConfigError, type ReadingValue, type Logger } from '@causeway/shared';
import { type IngestCounters, type SourceCounters, countDrop } from './counters.js';
import { DEFAULT_MAX_READING_BYTES, isOversized } from './reading-size.js';
import type { EventInput, ReadingInput, UplinkSink } from './sink.js';
import { compilePipeline, initPipeline, runPipeline, tickPipeline, type Pipeline } from './rules/pipeline.js';
import type { RuleEvent, Sample } from './rules/rule.js';

/** Rules for one stream: `device` "*" (default) matches every device; a device-specific entry wins. */
export interface StreamRulesConfig {
  device?: string;
  stream: string;
  /** overrides the unit the protocol reported (after a scale rule converted it) */
  unit?: string;
  pipeline: unknown[];
}

/** A value ready for rules: already mapped to its stream. */
export interface StreamValue {
  stream: string;
  value: ReadingValue;
  unit?: string;
}

interface CompiledEntry {
  device: string;
  stream: string;
  unit: string | undefined;
  pipeline: Pipeline;
  /** identity of the config, to keep state across a reload that did not change this stream */
  fingerprint: string;
}

interface StreamState {
  entry: CompiledEntry;
  states: unknown[];
}

export interface StreamProcessor {
  /** Runs one frame's values through their pipelines; resolves when the sink has them all. */
  process(device: string, values: StreamValue[], ts: number, source: SourceCounters): Promise<void>;
  /** Lets windows close on time; resolves when the sink has what they emitted. */
  tick(now: number): Promise<void>;
  /** Swap the rules. Throws ConfigError (naming the bad rule) and keeps the old rules if any is bad. */
  updateRules(rules: readonly StreamRulesConfig[]): void;
}

/** Validates a rules list; exported so start-up can fail fast with exit 78 before opening ports. */
export function compileRules(rules: readonly StreamRulesConfig[], key = 'ingest.rules'): Map<string, CompiledEntry> {
  if (!Array.isArray(rules)) throw new ConfigError(`${key} must be an array`, { key });
  const out = new Map<string, CompiledEntry>();
  rules.forEach((r, i) => {
    const where = `${key}[${i}]`;
    if (r === null || typeof r !== 'object') throw new ConfigError(`${where} must be an object {device?, stream, pipeline}`, { key: where });
    if (typeof r.stream !== 'string' || r.stream === '') throw new ConfigError(`${where}.stream must be a stream name`, { key: `${where}.stream` });
    const device = r.device ?? '*';
    if (typeof device !== 'string' || device === '') throw new ConfigError(`${where}.device must be a device id or "*"`, { key: `${where}.device` });
    const id = `${device}\u0000${r.stream}`;
    if (out.has(id)) throw new ConfigError(`${where}: a second rules entry for device ${device}, stream ${r.stream}`, { key: where });
    const pipeline = compilePipeline(r.pipeline, `${where}.pipeline`);
    out.set(id, { device, stream: r.stream, unit: r.unit, pipeline, fingerprint: JSON.stringify(r) });
  });
  return out;
}

export function createStreamProcessor(opts: { rules: readonly StreamRulesConfig[]; sink: UplinkSink; counters: IngestCounters; logger: Logger; maxReadingBytes?: number }): StreamProcessor {
  const { sink, counters, logger } = opts;
  const maxReadingBytes = opts.maxReadingBytes ?? DEFAULT_MAX_READING_BYTES;
  let compiled = compileRules(opts.rules);
  const streams = new Map<string, StreamState>();

  const entryFor = (device: string, stream: string): CompiledEntry | undefined => compiled.get(`${device}\u0000${stream}`) ?? compiled.get(`*\u0000${stream}`);

  const emit = (device: string, stream: string, unit: string | undefined, out: Sample[], events: RuleEvent[]): Promise<void>[] => {
    const p: Promise<void>[] = [];
    for (const s of out) {
      const r: ReadingInput = { device, stream: s.suffix === undefined ? stream : `${stream}.${s.suffix}`, ts: s.ts, value: s.value };
      if (unit !== undefined && s.suffix !== 'count') r.unit = unit;
      counters.readings++;
      p.push(sink.addReading(r));
    }
    for (const e of events) {
      const ev: EventInput = { device, event: e.event, severity: e.severity, ts: e.ts, data: { ...e.data, stream }, priority: e.severity === 'alarm' || e.severity === 'critical' ? 'alarm' : 'telemetry' };
      counters.events++;
      p.push(sink.addEvent(ev));
    }
    return p;
  };

  const settle = async (p: Promise<void>[]): Promise<void> => {
    try {
      await Promise.all(p);
    } catch (err) {
      counters.sinkErrors++;
      throw err;
    }
  };

  return {
    async process(device, values, ts, source) {
      const pending: Promise<void>[] = [];
      for (const v of values) {
        const key = `${device}\u0000${v.stream}`;
        const entry = entryFor(device, v.stream);
        // Refused here, before the sink: a value the sink refused would withhold a QoS 1 PUBACK and
        // come back for ever; an oversized one is dropped, counted, and the message acknowledged.
        if (isOversized({ device, stream: v.stream, value: v.value, unit: entry?.unit ?? v.unit }, maxReadingBytes)) {
          countDrop(source, 'oversized');
          continue;
        }
        if (entry === undefined || entry.pipeline.rules.length === 0) {
          const r: ReadingInput = { device, stream: v.stream, ts, value: v.value };
          const unit = entry?.unit ?? v.unit;
          if (unit !== undefined) r.unit = unit;
          counters.readings++;
          source.readings++;
          pending.push(sink.addReading(r));
          continue;
        }
        if (typeof v.value !== 'number') {
          countDrop(source, 'non-numeric');
          continue;
        }
        let st = streams.get(key);
        if (st === undefined || st.entry !== entry) {
          st = { entry, states: initPipeline(entry.pipeline) };
          streams.set(key, st);
        }
        const r = runPipeline(entry.pipeline, st.states, { ts, value: v.value });
        st.states = r.states;
        source.readings += r.out.length;
        pending.push(...emit(device, v.stream, entry.unit ?? v.unit, r.out, r.events));
      }
      await settle(pending);
    },

    async tick(now) {
      const pending: Promise<void>[] = [];
      for (const [key, st] of streams) {
        if (!st.entry.pipeline.rules.some((r) => r.tick)) continue;
        const r = tickPipeline(st.entry.pipeline, st.states, now);
        st.states = r.states;
        const [device, stream] = key.split('\u0000') as [string, string];
        pending.push(...emit(device, stream, st.entry.unit, r.out, r.events));
      }
      await settle(pending);
    },

    updateRules(rules) {
      const next = compileRules(rules);
      // Keep the state of streams whose rules did not change, so a reload does not reset every window
      // and deadband; a changed pipeline starts fresh (old state may not fit the new rules).
      const byFingerprint = new Map([...next.values()].map((e) => [e.fingerprint, e]));
      for (const [key, st] of streams) {
        const same = byFingerprint.get(st.entry.fingerprint);
        if (same === undefined) streams.delete(key);
        else st.entry = same;
      }
      compiled = next;
      logger.info('ingest rules reloaded', { entries: next.size });
    },
  };
}
