import { stat } from 'node:fs/promises';
import { backoffDelay, type BackoffPolicy, type Logger } from '@causeway/shared';
import type { SourceCounters } from '../counters.js';
import type { Framer } from '../framing/framer.js';
import type { FrameHandler } from '../frame-handler.js';

const REOPEN_BACKOFF: BackoffPolicy = Object.freeze({ baseMs: 250, capMs: 30_000, jitter: 0.2 });

/** The part of a serial port the source uses; a real SerialPort in production, any duplex in tests. */
export interface PortLike {
  on(ev: 'data', fn: (chunk: Buffer) => void): unknown;
  on(ev: 'close', fn: (err?: Error | null) => void): unknown;
  on(ev: 'error', fn: (err: Error) => void): unknown;
  write(data: string, cb?: (err?: Error | null) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  close(cb?: (err?: Error | null) => void): unknown;
  readonly isOpen: boolean;
}

export type PortOpener = (path: string, baudRate: number) => Promise<PortLike>;

/**
 * Names the device a path leads to now (device number and inode, through symlinks), or null when
 * the path leads nowhere. A port whose path no longer leads to the device it opened has been unplugged,
 * even when the kernel never told the open file (a USB adapter re-enumerated as another ttyUSB, a
 * /dev/serial/by-id link moved, a PTY whose peer died while no read was waiting).
 */
export type PortIdentity = (path: string) => Promise<string | null>;

export const devicePathIdentity: PortIdentity = async (path) => {
  try {
    const st = await stat(path);
    return `${st.dev}:${st.ino}:${st.rdev}`;
  } catch {
    return null;
  }
};

/** Opens a real port; `serialport` and its native addon load at the first open, not when no port is configured (issue 16). */
export const openSerialPort: PortOpener = async (path, baudRate) => {
  const { SerialPort } = await import('serialport');
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    port.open((err) => (err ? reject(err) : resolve(port as unknown as PortLike)));
  });
};

export interface SerialSourceOptions {
  path: string;
  baudRate: number;
  framer: Framer;
  handle: FrameHandler;
  counters: SourceCounters;
  logger: Logger;
  /** reopen delays; default 250 ms doubling to 30 s, 20 % jitter (a few ports, not a fleet, retry together) */
  backoff?: BackoffPolicy;
  /** on stop, how long to wait for frames already read to reach the sink; default 5000 */
  drainTimeoutMs?: number;
  /** frames waiting for the sink before the port is paused (bounded memory on a slow disk); default 256 */
  maxPendingFrames?: number;
  open?: PortOpener;
  /** how often an open port's path is checked to still lead to the device opened; default 1000 ms, 0 = never */
  presenceCheckMs?: number;
  identify?: PortIdentity;
  /** called each time the port opens, before any frame: an adapter's set-up commands (SLCAN: bitrate, open) */
  onOpen?: (write: (data: string) => void) => void;
}

export interface SerialSource {
  readonly open: boolean;
  /** Writes a line (a command) to the device; false if the port is not open right now. */
  write(line: string): boolean;
  /** Writes bytes as they are (no line ending added); false if the port is not open right now. */
  writeRaw(data: string): boolean;
  stop(): Promise<void>;
}

/**
 * One serial port, kept open: a missing port or one that vanishes (USB unplugged, PTY gone) is
 * retried with backoff forever, so the agent never exits for a port. Frames of one port go to the
 * handler strictly in order, and an ACK is written only when the handler says so (after the sink).
 */
export function startSerialSource(o: SerialSourceOptions): SerialSource {
  const open = o.open ?? openSerialPort;
  const identify = o.identify ?? devicePathIdentity;
  const presenceCheckMs = o.presenceCheckMs ?? 1000;
  const maxPending = o.maxPendingFrames ?? 256;
  const log = o.logger.child({ port: o.path });
  let stopped = false;
  let port: PortLike | null = null;
  let wake: (() => void) | null = null;
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  let paused = false;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(t);
        wake = null;
        resolve();
      };
    });

  const onFrame = (p: PortLike, frame: Buffer): void => {
    pending++;
    if (pending >= maxPending && !paused) {
      paused = true;
      p.pause();
    }
    // Parsing, rules and the durable add start now, in frame order (the processor steps its rules
    // synchronously); only the ACKs wait in line. Awaiting each commit before reading the next frame
    // would cap a port at one frame per group commit (20 frames/s at the default 50 ms).
    const handled = o.handle(frame);
    handled.catch(() => undefined); // awaited below; this only keeps Node from calling it unhandled meanwhile
    chain = chain.then(async () => {
      try {
        const ack = await handled;
        if (ack !== null && p.isOpen) p.write(ack);
      } catch (err) {
        log.error('frame handler failed', { err });
      } finally {
        pending--;
        if (paused && pending <= maxPending / 2) {
          paused = false;
          p.resume();
        }
      }
    });
  };

  // The kernel's hang-up is the usual way a vanished port is noticed; this check is the backstop that
  // bounds the time to notice (issue: a port unplugged while the agent waited on nothing stayed "open").
  const watchPresence = (p: PortLike): { stop(): void } => {
    let ended = false;
    let t: NodeJS.Timeout | undefined;
    void identify(o.path).then((opened) => {
      if (ended || opened === null) return; // not a path on this machine (an injected opener): nothing to compare
      let checking = false;
      t = setInterval(() => {
        if (checking || !p.isOpen) return;
        checking = true;
        void identify(o.path)
          .then((now) => {
            if (now === opened || ended || !p.isOpen) return;
            log.warn('serial port path leads elsewhere or nowhere now; closing it', { now: now === null ? 'gone' : 'another device' });
            p.close();
          })
          .finally(() => (checking = false));
      }, presenceCheckMs);
      t.unref();
    });
    return {
      stop() {
        ended = true;
        clearInterval(t);
      },
    };
  };

  const runOnce = async (): Promise<boolean> => {
    let p: PortLike;
    try {
      p = await open(o.path, o.baudRate);
    } catch (err) {
      o.counters.openFailures++;
      log.debug('serial port not available', { err });
      return false;
    }
    if (stopped) {
      p.close();
      return true;
    }
    port = p;
    o.counters.opens++;
    log.info('serial port open', { baudRate: o.baudRate, opens: o.counters.opens });
    o.framer.reset();
    o.onOpen?.((data) => p.write(data));
    const watch = presenceCheckMs > 0 ? watchPresence(p) : null;
    await new Promise<void>((resolve) => {
      p.on('data', (chunk: Buffer) => {
        o.counters.bytes += chunk.length;
        const out = o.framer.push(chunk);
        for (const d of out.drops) o.counters.drops[d.reason] = (o.counters.drops[d.reason] ?? 0) + 1;
        for (const f of out.frames) onFrame(p, f);
      });
      p.on('error', (err: Error) => log.warn('serial port error', { err }));
      p.on('close', () => resolve());
    });
    watch?.stop();
    port = null;
    if (paused) paused = false;
    if (!stopped) {
      o.counters.disconnects++;
      log.warn('serial port vanished; will reopen', { disconnects: o.counters.disconnects });
    }
    return true;
  };

  const loop = (async () => {
    let attempt = 0;
    while (!stopped) {
      const wasOpen = await runOnce();
      if (stopped) break;
      attempt = wasOpen ? 0 : attempt + 1;
      await sleep(backoffDelay(attempt, Math.random(), o.backoff ?? REOPEN_BACKOFF));
    }
  })();

  return {
    get open() {
      return port !== null;
    },
    write(line) {
      const p = port;
      if (p === null || !p.isOpen) return false;
      p.write(line.endsWith('\n') ? line : line + '\n');
      return true;
    },
    writeRaw(data) {
      const p = port;
      if (p === null || !p.isOpen) return false;
      p.write(data);
      return true;
    },
    async stop() {
      stopped = true;
      wake?.();
      const p = port;
      if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
      await loop;
      let t: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => (t = setTimeout(r, o.drainTimeoutMs ?? 5000)));
      await Promise.race([chain, timeout]);
      clearTimeout(t);
    },
  };
}
