/**
 * The signal side of a systemd service, for a program's main.ts: SIGHUP (ExecReload=/bin/kill -HUP
 * $MAINPID) → RELOADING=1, reload(), READY=1; SIGTERM/SIGINT → STOPPING=1, stop(). Without a SIGHUP
 * handler Node's default is to die, so `systemctl reload` would kill the service; this is why every
 * program installs one even if its reload() only re-reads the log level.
 *
 * @example
 * const notifier = createNotifier(process.env, { logger });
 * handleServiceSignals({ notifier, logger, reload: () => applyConfig(loadConfig(schema)), stop: () => agent.drain() });
 * await agent.start();
 * await notifier.ready('outbox open');
 * notifier.startWatchdog();
 */
import type { EventEmitter } from 'node:events';
import { EXIT } from '../errors/exit-codes.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { Notifier } from './sd-notify.js';

export interface ServiceSignalOptions {
  notifier: Pick<Notifier, 'reloading' | 'ready' | 'stopping'>;
  /** re-read config and apply what can change live; a throw keeps the old config running */
  reload?: () => Promise<void> | void;
  /** drain and close; the caller decides the exit code (process.exitCode) */
  stop: (signal: 'SIGTERM' | 'SIGINT') => Promise<void> | void;
  logger?: Logger;
  /** default the real process; tests pass an EventEmitter */
  target?: Pick<EventEmitter, 'on' | 'off'>;
}

/** Installs the handlers; returns a function that removes them. */
export function handleServiceSignals(opts: ServiceSignalOptions): () => void {
  const log = opts.logger ?? silentLogger;
  const target = opts.target ?? process;
  let reloading: Promise<void> | undefined;
  let stopping = false;

  let again = false;

  const reloadOnce = async (): Promise<void> => {
    await opts.notifier.reloading('reloading config');
    try {
      await opts.reload?.();
      log.info('config reloaded');
      // READY=1 ends the reload for systemd either way; without it `systemctl reload` hangs until timeout.
      await opts.notifier.ready('running');
    } catch (err) {
      log.error('config reload failed; the previous config stays in force', { err });
      await opts.notifier.ready('reload failed, previous config in force');
    }
  };

  const onHup = (): void => {
    if (stopping) return;
    if (reloading) {
      // The file may have changed again after the running reload read it: reload once more after it,
      // however many SIGHUPs arrive meanwhile.
      again = true;
      return;
    }
    reloading = (async () => {
      do {
        again = false;
        await reloadOnce();
      } while (again && !stopping);
    })().finally(() => {
      reloading = undefined;
    });
  };

  const onStop = (signal: 'SIGTERM' | 'SIGINT'): void => {
    if (stopping) {
      // systemd escalates to SIGKILL after TimeoutStopSec; a second signal must not start a second drain.
      log.warn('already stopping', { signal });
      return;
    }
    stopping = true;
    log.info('stopping', { signal });
    void (async () => {
      await opts.notifier.stopping('draining');
      await reloading;
      try {
        await opts.stop(signal);
      } catch (err) {
        log.error('stop failed', { err });
        process.exitCode = EXIT.SOFTWARE;
      }
    })();
  };
  const onTerm = (): void => onStop('SIGTERM');
  const onInt = (): void => onStop('SIGINT');

  target.on('SIGHUP', onHup);
  target.on('SIGTERM', onTerm);
  target.on('SIGINT', onInt);
  return () => {
    target.off('SIGHUP', onHup);
    target.off('SIGTERM', onTerm);
    target.off('SIGINT', onInt);
  };
}
