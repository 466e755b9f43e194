/**
 * systemd notify protocol (sd_notify(3)) for Type=notify services: READY=1, WATCHDOG=1, RELOADING=1,
 * STOPPING=1, STATUS=…, sent to the AF_UNIX datagram socket named in NOTIFY_SOCKET.
 *
 * Why a child process: Node has no AF_UNIX datagram sockets (`dgram` is UDP only, `net` is stream
 * only) and we ship no native addon. Each message is sent by spawning systemd-notify(1), which is in
 * the same package as systemd itself, so it is present wherever NOTIFY_SOCKET is. It costs ~4 ms
 * per message, i.e. one spawn every WatchdogSec/2. By default systemd-notify also sends BARRIER=1
 * and waits until PID 1 has read the message, so the message is attributed to our unit even though
 * the sender exits right after; that attribution goes through the cgroup, which is why the units use
 * NotifyAccess=all (the kernel does not let the unprivileged child claim our PID, so NotifyAccess=main
 * would drop every message). Rejected: socat/python helpers (extra runtime deps), a native addon.
 *
 * With NOTIFY_SOCKET unset (run by hand, in tests, under another supervisor) every call is a no-op.
 */
import { execFile } from 'node:child_process';
import { CausewayError } from '../errors/causeway-error.js';
import { silentLogger, type Logger } from '../log/logger.js';

export interface NotifierOptions {
  /** the helper to run; default `systemd-notify` from PATH */
  command?: string;
  /** kill the helper after this long (PID 1 stuck); default 10 000 ms */
  timeoutMs?: number;
  logger?: Logger;
  /** our PID, compared with WATCHDOG_PID; default process.pid */
  pid?: number;
}

export interface NotifierStats {
  sent: number;
  failed: number;
  skipped: number;
}

export interface Notifier {
  /** false when NOTIFY_SOCKET is unset: every method resolves at once and sends nothing */
  readonly enabled: boolean;
  /** half of WATCHDOG_USEC in ms, or undefined when systemd expects no watchdog pings from us */
  readonly watchdogIntervalMs: number | undefined;
  /** READY=1 (start-up done, or a reload finished), with an optional STATUS= line */
  ready(status?: string): Promise<boolean>;
  /** RELOADING=1 on SIGHUP; call ready() when the new config is in force */
  reloading(status?: string): Promise<boolean>;
  /** STOPPING=1 at the start of a graceful shutdown */
  stopping(status?: string): Promise<boolean>;
  /** EXTEND_TIMEOUT_USEC: "still starting (or stopping), give me this much longer", for a long store recovery */
  extendTimeout(ms: number): Promise<boolean>;
  /** WATCHDOG=1: "the event loop is alive" */
  watchdog(): Promise<boolean>;
  status(text: string): Promise<boolean>;
  /** sends KEY=VALUE assignments as one datagram; resolves false (and counts) when sending fails, never rejects;
   *  throws NOTIFY_INVALID at once for malformed fields (a programming error, see notifyArgs) */
  notify(fields: Readonly<Record<string, string>>): Promise<boolean>;
  /** pings WATCHDOG=1 every watchdogIntervalMs until the returned function is called; a no-op without a watchdog */
  startWatchdog(): () => void;
  stats(): NotifierStats;
}

const KEY = /^[A-Z][A-Z0-9_]*$/;

/**
 * The watchdog ping interval for this process: half of WATCHDOG_USEC (the margin sd_watchdog_enabled(3)
 * recommends), only if WATCHDOG_PID is unset or names us, as a child must not ping for its parent. Pure.
 */
export function watchdogIntervalMs(env: Readonly<Record<string, string | undefined>>, pid: number): number | undefined {
  const usecText = env.WATCHDOG_USEC;
  if (usecText === undefined || !/^\d+$/.test(usecText)) return undefined;
  const usec = Number(usecText);
  if (usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== String(pid)) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/**
 * Turns assignments into systemd-notify arguments. Throws NOTIFY_INVALID for a key that is not an
 * upper-case variable name or a value with a newline, which would smuggle in a second assignment. Pure.
 */
export function notifyArgs(fields: Readonly<Record<string, string>>): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (!KEY.test(key)) throw new CausewayError('NOTIFY_INVALID', `sd_notify key ${JSON.stringify(key)} is not an upper-case variable name`);
    if (/[\n\0]/.test(value)) throw new CausewayError('NOTIFY_INVALID', `sd_notify value of ${key} contains a newline or NUL`);
    args.push(`${key}=${value}`);
  }
  if (args.length === 0) throw new CausewayError('NOTIFY_INVALID', 'sd_notify message has no assignments');
  return args;
}

/** One STATUS= line: newlines folded, length capped, so operator text cannot break the message. */
function statusLine(text: string): string {
  return text.replace(/[\r\n\0]+/g, ' ').slice(0, 200);
}

/** Creates the notifier from the environment systemd gave us (normally process.env). */
export function createNotifier(env: Readonly<Record<string, string | undefined>> = process.env, opts: NotifierOptions = {}): Notifier {
  const socket = env.NOTIFY_SOCKET;
  const enabled = socket !== undefined && socket !== '';
  const interval = enabled ? watchdogIntervalMs(env, opts.pid ?? process.pid) : undefined;
  const command = opts.command ?? 'systemd-notify';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const log = opts.logger ?? silentLogger;
  const counts: NotifierStats = { sent: 0, failed: 0, skipped: 0 };
  const childEnv: Record<string, string> = { NOTIFY_SOCKET: socket ?? '', PATH: env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
  // One helper at a time so READY=1 cannot overtake the RELOADING=1 before it.
  let chain: Promise<unknown> = Promise.resolve();

  const send = (args: string[]): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      execFile(command, args, { env: childEnv, timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, _stdout, stderr) => {
        if (err === null) {
          counts.sent += 1;
          resolve(true);
          return;
        }
        counts.failed += 1;
        const code = (err as NodeJS.ErrnoException).code;
        const hint = code === 'ENOENT' ? `${command} not found: install systemd or run without Type=notify` : String(stderr).trim();
        log.warn('sd_notify failed', { err: new CausewayError('NOTIFY_FAILED', hint || err.message, { cause: err }), message: args[0] });
        resolve(false);
      });
    });

  const notify = (fields: Readonly<Record<string, string>>): Promise<boolean> => {
    const args = notifyArgs(fields);
    if (!enabled) return Promise.resolve(false);
    const next = chain.then(() => send(args));
    chain = next;
    return next;
  };
  const withStatus = (fields: Record<string, string>, status: string | undefined): Record<string, string> =>
    status === undefined ? fields : { ...fields, STATUS: statusLine(status) };

  let pinging = false;
  const watchdog = (): Promise<boolean> => notify({ WATCHDOG: '1' });

  return {
    enabled,
    watchdogIntervalMs: interval,
    ready: (status) => notify(withStatus({ READY: '1' }, status)),
    // MONOTONIC_USEC lets systemd ≥ 253 tell this reload from an older one; older versions ignore it.
    reloading: (status) => notify(withStatus({ RELOADING: '1', MONOTONIC_USEC: String(process.hrtime.bigint() / 1000n) }, status)),
    stopping: (status) => notify(withStatus({ STOPPING: '1' }, status)),
    extendTimeout: (ms) => {
      if (!Number.isFinite(ms) || ms <= 0) throw new CausewayError('NOTIFY_INVALID', `extendTimeout needs a positive number of ms, not ${ms}`);
      return notify({ EXTEND_TIMEOUT_USEC: String(Math.ceil(ms * 1000)) });
    },
    watchdog,
    status: (text) => notify({ STATUS: statusLine(text) }),
    notify,
    startWatchdog: () => {
      if (interval === undefined) return () => {};
      const timer = setInterval(() => {
        // A ping still in flight means PID 1 is slow, not that we are; do not pile up helpers.
        if (pinging) {
          counts.skipped += 1;
          return;
        }
        pinging = true;
        void watchdog().finally(() => {
          pinging = false;
        });
      }, interval);
      // The watchdog must never be what keeps the process alive.
      timer.unref();
      return () => clearInterval(timer);
    },
    stats: () => ({ ...counts }),
  };
}
