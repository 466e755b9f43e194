import { readFile } from 'node:fs/promises';
import type { Logger } from '@causeway/shared';
import { encodeSlcanFrame, OBD2_REQUEST_ID, obd2Request, parseCandumpLine, parseSlcanLine, slcanOpenSequence, type CanFrame, type Dbc } from '@causeway/shared/can/index.js';
import { countDrop, type SourceCounters } from '../counters.js';
import { startSerialSource, type PortOpener, type SerialSource } from '../serial/serial-source.js';
import type { StreamProcessor, StreamValue } from '../stream-processor.js';
import { CAN_DEFAULTS, canSourceName, type CanSource } from './can-config.js';
import { createCanDecoder } from './can-decoder.js';
import { SignalGate } from './signal-gate.js';
import { startSocketCan } from './socketcan-source.js';
import { createSlcanFramer } from './slcan-framer.js';

export interface CanBus {
  readonly name: string;
  readonly open: boolean;
  /** the DBC decoding now */
  readonly dbc: Dbc | undefined;
  /** decode with this DBC from the next frame on (undefined: none); see dbc-feed.ts for where it comes from */
  setDbc(dbc: Dbc | undefined): void;
  stop(): Promise<void>;
}

export interface CanBusOptions {
  source: CanSource;
  /** the source's DBC, already parsed (start-up read it and failed with exit 78 if it was bad) */
  dbc?: Dbc;
  processor: StreamProcessor;
  counters: SourceCounters;
  logger: Logger;
  now: () => number;
  reopen: { initialMs: number; maxMs: number };
  openPort?: PortOpener;
}

/**
 * One CAN source into the stream processor: an SLCAN adapter (kept open like any serial port, set up
 * with C/Sn/Zn/O at each open, OBD-II requests sent on the schedule), a candump log replayed once, or a
 * SocketCAN interface read through can-utils (socketcan-source.ts; unsupported where that is missing).
 * A frame that cannot be read or decoded is counted `malformed`; one no decoder knows, `unmapped`.
 */
export function startCanBus(o: CanBusOptions): CanBus {
  const s = o.source;
  const name = canSourceName(s);
  const log = o.logger.child({ can: name });
  const decoders: Parameters<typeof createCanDecoder>[0] = { ...(o.dbc === undefined ? {} : { dbc: o.dbc }), j1939: s.j1939 === true, obd2: s.obd2 !== undefined };
  const decode = createCanDecoder(decoders);
  const setDbc = (dbc: Dbc | undefined): void => {
    if (dbc === undefined) delete decoders.dbc;
    else decoders.dbc = dbc;
  };
  const gate = new SignalGate(s, s.signals);
  const c = o.counters;

  const onFrame = (f: CanFrame): Promise<void> => {
    c.frames++;
    const ts = o.now();
    const d = decode(f, ts);
    if (d.error !== undefined) {
      countDrop(c, 'malformed');
      log.debug('CAN frame not decoded', { id: f.id, detail: d.error });
    } else if (d.unknown) countDrop(c, 'unmapped');
    const values: StreamValue[] = d.values.filter((v) => gate.pass(v.stream, v.value, ts));
    if (values.length === 0) return Promise.resolve();
    return o.processor.process(s.device, values, ts, c).catch(() => countDrop(c, 'sink-failed'));
  };

  if (s.slcan !== undefined) {
    const cfg = s.slcan;
    const setup = slcanOpenSequence(cfg.bitrate ?? CAN_DEFAULTS.bitrate, cfg.timestamps ?? false);
    const serial: SerialSource = startSerialSource({
      path: cfg.path,
      baudRate: cfg.baudRate ?? CAN_DEFAULTS.baudRate,
      framer: createSlcanFramer(),
      counters: c,
      logger: log,
      backoff: { baseMs: o.reopen.initialMs, capMs: o.reopen.maxMs, jitter: 0.2 },
      onOpen: (write) => write(setup.join('')),
      ...(o.openPort === undefined ? {} : { open: o.openPort }),
      handle: async (line) => {
        const m = parseSlcanLine(line.toString('latin1'));
        if ('error' in m) {
          c.frames++;
          countDrop(c, 'malformed');
          log.debug('bad SLCAN line', { detail: m.error });
        } else if (m.kind === 'frame') await onFrame(m.frame);
        else if (m.kind === 'error') log.debug('SLCAN adapter answered BEL (command refused)');
        return null;
      },
    });
    let poll: NodeJS.Timeout | undefined;
    if (s.obd2 !== undefined) {
      const requests = s.obd2.pids.map((pid) => encodeSlcanFrame({ id: OBD2_REQUEST_ID, extended: false, remote: false, dlc: 8, data: obd2Request(pid) })).join('');
      poll = setInterval(() => serial.writeRaw(requests), s.obd2.periodMs ?? CAN_DEFAULTS.obd2PeriodMs);
      poll.unref();
    }
    return {
      name,
      setDbc,
      get dbc() {
        return decoders.dbc;
      },
      get open() {
        return serial.open;
      },
      async stop() {
        clearInterval(poll);
        serial.writeRaw('C\r');
        await serial.stop();
      },
    };
  }

  if (s.candump !== undefined) {
    const cfg = s.candump;
    let stopped = false;
    let wake: (() => void) | undefined;
    const sleep = (ms: number): Promise<void> =>
      new Promise((r) => {
        const t = setTimeout(r, ms);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    let chain: Promise<void> = Promise.resolve();
    const replay = (async () => {
      let text: string;
      try {
        text = await readFile(cfg.path, 'utf8');
      } catch (err) {
        c.openFailures++;
        log.warn('candump log cannot be read', { err });
        return;
      }
      c.opens++;
      const speed = cfg.speed ?? CAN_DEFAULTS.speed;
      let first: number | undefined;
      const start = Date.now();
      for (const line of text.split('\n')) {
        if (stopped) break;
        if (line.trim() === '') continue;
        const r = parseCandumpLine(line);
        if ('error' in r) {
          c.frames++;
          countDrop(c, 'malformed');
          log.debug('bad candump line', { detail: r.error });
          continue;
        }
        const at = r.frame.ts ?? 0;
        first ??= at;
        if (speed > 0) {
          const due = start + (at - first) / speed - Date.now();
          if (due > 0) await sleep(due);
        }
        chain = chain.then(() => onFrame(r.frame));
      }
      await chain;
      log.info('candump replay finished', { frames: c.frames });
    })();
    return {
      name,
      setDbc,
      get dbc() {
        return decoders.dbc;
      },
      open: true,
      async stop() {
        stopped = true;
        wake?.();
        await replay;
      },
    };
  }

  const reader = startSocketCan({ iface: s.socketcan!.interface, counters: c, logger: log, reopen: o.reopen, onFrame });
  let poll: NodeJS.Timeout | undefined;
  if (s.obd2 !== undefined) {
    const requests = s.obd2.pids.map((pid) => `${OBD2_REQUEST_ID.toString(16).toUpperCase()}#${Buffer.from(obd2Request(pid)).toString('hex').toUpperCase()}`);
    poll = setInterval(() => requests.forEach((r) => reader.send(r)), s.obd2.periodMs ?? CAN_DEFAULTS.obd2PeriodMs);
    poll.unref();
  }
  return {
    name,
    setDbc,
    get dbc() {
      return decoders.dbc;
    },
    get open() {
      return reader.open;
    },
    async stop() {
      clearInterval(poll);
      await reader.stop();
    },
  };
}
