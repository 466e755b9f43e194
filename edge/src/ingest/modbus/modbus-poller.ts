import { backoffDelay, type Logger } from '@causeway/shared';
import { countDrop, modbusSlaveCounters, type IngestCounters, type ModbusSlaveCounters, type SourceCounters, sourceCounters } from '../counters.js';
import type { StreamProcessor, StreamValue } from '../stream-processor.js';
import { busName, MODBUS_DEFAULTS, type ModbusBus, type ModbusSlave } from './modbus-config.js';
import { classifyModbusError, type ModbusLink } from './modbus-link.js';
import { planReads, planSlave, type PlannedRead } from './poll-plan.js';
import { decodeRegisters } from './register-decode.js';

interface SlaveState {
  slave: ModbusSlave;
  reads: PlannedRead[];
  counters: ModbusSlaveCounters;
  /** when the next poll is due, ms since the epoch */
  dueAt: number;
  /** consecutive polls without an answer; > 0 means in backoff */
  failures: number;
}

export interface ModbusPollerOptions {
  bus: ModbusBus;
  link: ModbusLink;
  processor: StreamProcessor;
  counters: IngestCounters;
  logger: Logger;
  now?: () => number;
  random?: () => number;
  /** reconnect backoff of the bus itself (port missing, TCP refused) */
  reopen: { initialMs: number; maxMs: number };
}

export interface ModbusPoller {
  readonly name: string;
  /** the link, for writes between polls (they queue behind the current request: see run()) */
  exclusive<T>(fn: (link: ModbusLink) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Polls every slave of one bus, one request at a time, each slave on its own period. A slave that does
 * not answer within its timeoutMs is skipped for a backoff (doubling up to backoff.maxMs) while the others
 * keep their periods, so one dead slave costs the bus one timeout per backoff, not one per period
 * (issue 19). Exception responses mean the slave is alive: counted per code, no backoff. Values go through
 * the stream processor like a line-protocol frame's, so the rules and the outbox see no difference.
 */
export function startModbusPoller(o: ModbusPollerOptions): ModbusPoller {
  const name = busName(o.bus);
  const now = o.now ?? Date.now;
  const random = o.random ?? Math.random;
  const log = o.logger.child({ modbus: name });
  const source: SourceCounters = sourceCounters(o.counters, `modbus:${name}`);
  const start = now();
  const slaves: SlaveState[] = o.bus.slaves.map((s) => ({ slave: s, reads: planSlave(s), counters: modbusSlaveCounters(o.counters, name, s.unit), dueAt: start, failures: 0 }));
  let stopped = false;
  let wake: (() => void) | undefined;
  let linkFailures = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const pending = new Set<Promise<void>>();

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(t);
        wake = undefined;
        resolve();
      };
    });

  /** Runs fn when no other request is on the wire. */
  const exclusive = <T>(fn: (link: ModbusLink) => Promise<T>): Promise<T> => {
    const p = queue.then(() => fn(o.link));
    queue = p.catch(() => undefined);
    return p;
  };

  const ensureOpen = async (): Promise<boolean> => {
    if (o.link.isOpen) return true;
    try {
      await o.link.open();
      source.opens++;
      if (linkFailures > 0) log.info('modbus bus open again', { after: linkFailures });
      linkFailures = 0;
      return true;
    } catch (err) {
      source.openFailures++;
      if (linkFailures === 0) log.warn('modbus bus cannot be opened; retrying with backoff', { err: (err as Error).message });
      const delay = backoffDelay(linkFailures++, random(), { baseMs: o.reopen.initialMs, capMs: o.reopen.maxMs, jitter: 0.2 });
      await sleep(delay);
      return false;
    }
  };

  const pollSlave = async (st: SlaveState): Promise<void> => {
    const s = st.slave;
    const timeoutMs = s.timeoutMs ?? MODBUS_DEFAULTS.timeoutMs;
    st.counters.polls++;
    const ts = now();
    const values: StreamValue[] = [];
    let silent = false;
    for (const r of [...st.reads]) {
      let data: number[] | boolean[];
      try {
        data = await exclusive((link) => link.read(s.unit, r.fc, r.address, r.count, timeoutMs));
      } catch (err) {
        const f = classifyModbusError(err);
        if (f.kind === 'exception') {
          st.counters.exceptions[f.code] = (st.counters.exceptions[f.code] ?? 0) + 1;
          log.debug('modbus exception', { unit: s.unit, fc: r.fc, address: r.address, code: f.code });
          if (f.code === 2 && r.points.length > 1) {
            // Illegal data address for a coalesced block: one register in it does not exist on this
            // slave. Read its points one by one from now on, so the others still deliver.
            st.reads.splice(st.reads.indexOf(r), 1, ...r.points.map(({ point }) => planReads([point])[0]!));
            log.warn('modbus slave refused a coalesced read (illegal data address); reading its points one by one', { unit: s.unit, fc: r.fc, address: r.address, count: r.count });
          }
          continue; // the other reads of this slave may still work
        }
        if (f.kind === 'crc') {
          st.counters.crcErrors++;
          countDrop(source, 'bad-checksum');
          continue;
        }
        if (f.kind === 'timeout') st.counters.timeouts++;
        else {
          st.counters.linkErrors++;
          if (!o.link.isOpen) source.disconnects++;
        }
        silent = true;
        break;
      }
      st.counters.reads++;
      for (const { point, index } of r.points) {
        if (r.fc === 1 || r.fc === 2) {
          values.push({ stream: point.stream, value: Boolean(data[index]), ...(point.unit === undefined ? {} : { unit: point.unit }) });
          continue;
        }
        let value: number;
        try {
          value = decodeRegisters((data as number[]).slice(index), point);
        } catch {
          countDrop(source, 'malformed'); // an answer shorter than asked for: never let it stop the bus
          continue;
        }
        if (!Number.isFinite(value)) {
          countDrop(source, 'non-numeric'); // a float32 NaN or infinity: the JSON and CBOR of a reading cannot carry it
          continue;
        }
        values.push({ stream: point.stream, value, ...(point.unit === undefined ? {} : { unit: point.unit }) });
      }
    }
    const period = s.periodMs ?? MODBUS_DEFAULTS.periodMs;
    if (silent) {
      if (st.failures === 0) log.warn('modbus slave not answering; backing off', { unit: s.unit, device: s.device });
      const delay = backoffDelay(st.failures++, random(), { baseMs: s.backoff?.initialMs ?? MODBUS_DEFAULTS.backoffInitialMs, capMs: s.backoff?.maxMs ?? MODBUS_DEFAULTS.backoffMaxMs, jitter: 0.2 });
      st.dueAt = now() + delay;
      st.counters.skipped += Math.floor(delay / period);
    } else {
      if (st.failures > 0) log.info('modbus slave answering again', { unit: s.unit, device: s.device, after: st.failures });
      st.failures = 0;
      st.dueAt += period;
      const t = now();
      if (st.dueAt <= t) {
        // late (a slow bus, or too short a period): skip the missed periods instead of bursting
        const missed = Math.floor((t - st.dueAt) / period) + 1;
        st.counters.skipped += missed;
        st.dueAt += missed * period;
      }
    }
    if (values.length === 0) return;
    source.frames++;
    st.counters.readings += values.length;
    source.readings += values.length;
    // Not awaited: the bus goes on polling while the outbox commits; stop() waits for these.
    const p = o.processor.process(s.device, values, ts, source).catch((err: unknown) => {
      countDrop(source, 'sink-failed');
      log.warn('modbus readings could not reach the outbox', { device: s.device, err });
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const run = async (): Promise<void> => {
    while (!stopped) {
      if (!(await ensureOpen())) continue;
      const next = slaves.reduce((a, b) => (b.dueAt < a.dueAt ? b : a));
      const wait = next.dueAt - now();
      if (wait > 0) {
        await sleep(wait);
        continue; // a write or stop may have come in between
      }
      await pollSlave(next);
    }
  };

  log.info('modbus bus polling', { slaves: slaves.length, reads: slaves.reduce((n, s) => n + s.reads.length, 0) });
  const running = run().catch((err: unknown) => log.error('modbus poller stopped on an unexpected error', { err }));

  return {
    name,
    exclusive,
    async stop() {
      stopped = true;
      wake?.();
      await running;
      await Promise.all(pending);
      await o.link.close();
    },
  };
}
