import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { backoffDelay, type Logger } from '@causeway/shared';
import { parseCandumpLine, type CanFrame } from '@causeway/shared/can/index.js';
import { countDrop, type SourceCounters } from '../counters.js';

export interface SocketCanOptions {
  iface: string;
  counters: SourceCounters;
  logger: Logger;
  reopen: { initialMs: number; maxMs: number };
  onFrame: (f: CanFrame) => Promise<void>;
  /** can-utils programs; tests may point elsewhere */
  candump?: string;
  cansend?: string;
  /** where network interfaces are listed (default /sys/class/net) */
  sysNet?: string;
}

export interface SocketCanReader {
  readonly open: boolean;
  /** transmits one frame with `cansend` (`7DF#02010C…`); false when the interface is not up */
  send(frame: string): boolean;
  stop(): Promise<void>;
}

/**
 * SocketCAN through can-utils: Node cannot open AF_CAN sockets without a native addon (which we do not
 * ship), so the agent runs `candump -L <iface>` and reads its log lines (the same parser as a replay), and
 * transmits with `cansend`. Without the interface or without can-utils the source is reported
 * unsupported (a warning, `openFailures`, a drop `unsupported`) and retried with `ingest.reopen`'s
 * backoff: an interface brought up later (`ip link set can0 up`) is picked up.
 */
export function startSocketCan(o: SocketCanOptions): SocketCanReader {
  const log = o.logger.child({ socketcan: o.iface });
  const candump = o.candump ?? 'candump';
  let child: ChildProcess | null = null;
  let stopped = false;
  let wake: (() => void) | undefined;
  let reported = false;
  const unsupported = (why: string): void => {
    o.counters.openFailures++;
    if (!reported) {
      countDrop(o.counters, 'unsupported');
      log.warn(`SocketCAN is not supported here (${why}); use an SLCAN adapter (slcan) or a candump replay`, { interface: o.iface });
      reported = true;
    }
  };
  const runOnce = (): Promise<boolean> =>
    new Promise((resolve) => {
      if (!existsSync(`${o.sysNet ?? '/sys/class/net'}/${o.iface}`)) {
        unsupported(`no network interface ${o.iface}`);
        return resolve(false);
      }
      const p = spawn(candump, ['-L', o.iface], { stdio: ['ignore', 'pipe', 'pipe'] });
      let partial = '';
      let opened = false;
      let chain: Promise<void> = Promise.resolve();
      p.once('spawn', () => {
        child = p;
        opened = true;
        o.counters.opens++;
        log.info('SocketCAN interface open (candump)', { opens: o.counters.opens });
      });
      p.stdout!.setEncoding('utf8');
      p.stdout!.on('data', (s: string) => {
        const lines = (partial + s).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          const r = parseCandumpLine(line);
          if ('error' in r) {
            o.counters.frames++;
            countDrop(o.counters, 'malformed');
            continue;
          }
          chain = chain.then(() => o.onFrame(r.frame));
        }
      });
      p.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') unsupported(`${candump} (can-utils) is not installed`);
        else log.warn('candump failed', { err });
      });
      p.once('close', () => {
        child = null;
        if (opened && !stopped) {
          o.counters.disconnects++;
          log.warn('SocketCAN reader ended; will reopen', { disconnects: o.counters.disconnects });
        }
        void chain.then(() => resolve(opened));
      });
    });
  const loop = (async () => {
    let attempt = 0;
    while (!stopped) {
      const wasOpen = await runOnce();
      if (stopped) break;
      attempt = wasOpen ? 0 : attempt + 1;
      await new Promise<void>((r) => {
        const t = setTimeout(r, backoffDelay(attempt, Math.random(), { baseMs: o.reopen.initialMs, capMs: o.reopen.maxMs, jitter: 0.2 }));
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  })();
  return {
    get open() {
      return child !== null;
    },
    send(frame) {
      if (child === null) return false;
      const s = spawn(o.cansend ?? 'cansend', [o.iface, frame], { stdio: 'ignore' });
      s.once('error', (err) => log.warn('cansend failed', { err }));
      return true;
    },
    async stop() {
      stopped = true;
      child?.kill('SIGTERM');
      wake?.();
      await loop;
    },
  };
}
