import { CausewayError, tryDecodeEnvelope, type CommandEnvelope, type CommandResultEnvelope, type CommandResultStatus, tryParseTopic, type Logger } from '@causeway/shared';
import type { CommandInbox } from './command-inbox.js';
import type { BuiltinCommand, DeviceCommandRouter, ResultSink } from './contract.js';

export interface ExecutorOptions {
  gateway: string;
  inbox: CommandInbox;
  results: ResultSink;
  router: DeviceCommandRouter;
  builtins: Record<string, BuiltinCommand>;
  logger: Logger;
  /** default per-command timeout when the command's TTL is longer */
  timeoutMs: number;
  /**
   * Gateway commands that outlive this run (`install`, issue 17): the part takes the command durably or
   * throws the refusal, and reports progress and the end itself; the inbox row ends at DOWNLOADING.
   */
  handoff?: Record<string, CommandHandoff>;
  now?: () => number;
}

export interface CommandHandoff {
  take(env: CommandEnvelope, device: string): void;
  has(commandId: string): boolean;
}

export interface ExecutorCounters {
  received: number;
  duplicates: number;
  malformed: number;
  succeeded: number;
  failed: number;
  rejected: number;
  timedOut: number;
  expired: number;
}

/**
 * Receives commands from the downlink, persists them before they are acknowledged, runs each at most
 * once, and answers through the outbox. A command that was running when the agent died is not run again:
 * it is answered FAILED ("agent restarted during execution"), because its effect is unknown.
 */
export class CommandExecutor {
  readonly #o: ExecutorOptions;
  readonly #now: () => number;
  readonly #running = new Set<Promise<void>>();
  readonly #ac = new AbortController();
  readonly counters: ExecutorCounters = { received: 0, duplicates: 0, malformed: 0, succeeded: 0, failed: 0, rejected: 0, timedOut: 0, expired: 0 };

  constructor(opts: ExecutorOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Handles one downlink command message. Resolves once it is durably in the inbox (or known to be a
   * duplicate, or malformed and answered): the caller acknowledges the MQTT message after that.
   */
  async receive(topic: string, payload: Buffer): Promise<void> {
    const t = tryParseTopic(topic);
    if (t === undefined || (t.kind !== 'cmd' && t.kind !== 'cmd-group' && t.kind !== 'cmd-all')) {
      this.counters.malformed++;
      this.#o.logger.warn('command on an unexpected topic dropped', { topic });
      return;
    }
    const decoded = tryDecodeEnvelope(payload);
    const device = t.kind === 'cmd' ? t.device : this.#o.gateway;
    if (!decoded.ok || decoded.envelope.type !== 'command' || decoded.envelope.id !== t.commandId) {
      this.counters.malformed++;
      const reason = decoded.ok ? 'payload is not a command for this topic' : `undecodable command: ${decoded.error.message}`;
      // Answer so the operator sees a terminal state instead of a command that hangs.
      await this.#answer(t.commandId, device, 'REJECTED', undefined, reason);
      return;
    }
    await this.accept(topic, decoded.envelope);
  }

  /**
   * Takes a decoded command (the uplink decodes downlink payloads once). Resolves once it is durably in
   * the inbox; execution continues in the background.
   */
  async accept(topic: string, env: CommandEnvelope): Promise<void> {
    const t = tryParseTopic(topic);
    if (t === undefined || (t.kind !== 'cmd' && t.kind !== 'cmd-group' && t.kind !== 'cmd-all')) {
      this.counters.malformed++;
      this.#o.logger.warn('command on an unexpected topic dropped', { topic });
      return;
    }
    const device = t.kind === 'cmd' ? t.device : this.#o.gateway;
    if (env.id !== t.commandId) {
      this.counters.malformed++;
      await this.#answer(t.commandId, device, 'REJECTED', undefined, `payload is command ${env.id}, topic names ${t.commandId}`);
      return;
    }
    const admitted = this.#o.inbox.admit(env, device, this.#now());
    if (!admitted.fresh) {
      this.counters.duplicates++;
      const row = admitted.row;
      if (row.state === 'DONE' && row.result !== undefined) await this.#o.results.sendResult(row.result); // answered from the stored result
      return;
    }
    this.counters.received++;
    this.#spawn(env, device, true);
  }

  /**
   * Resumes after a restart: answers what was interrupted, runs what was received but not started.
   *
   * Everything to resume is read in one synchronous step when this is called, and each interrupted row is
   * settled (DONE) before the first await. Call it before the uplink starts, so that no command admitted
   * after the restart can be mistaken for one the restart interrupted. A redelivered copy of a waiting
   * command is a duplicate to accept(), and a run claims its row before touching the device, so however
   * recovery and redelivery interleave a command starts at most once (issue 22).
   */
  async recover(): Promise<void> {
    const { inbox } = this.#o;
    const unqueued = inbox.unqueuedResults();
    const interrupted = inbox.byState('RUNNING');
    const waiting = inbox.byState('RECEIVED');
    const pending: Promise<void>[] = unqueued.map(async (row) => {
      await this.#o.results.sendResult(row.result!);
      inbox.markResultQueued(row.commandId, row.device);
    });
    for (const row of interrupted) {
      // A handed-off command whose part has it resumes there (a download goes on from its last chunk).
      if (this.#o.handoff?.[row.envelope.name]?.has(row.commandId) === true) pending.push(this.#handedOff(row.envelope, row.device));
      else pending.push(this.#finish(row.envelope, row.device, 'FAILED', undefined, 'agent restarted during execution; not run again (at most once)'));
    }
    for (const row of waiting) this.#spawn(row.envelope, row.device, true);
    await Promise.all(pending);
  }

  #spawn(env: CommandEnvelope, device: string, announce: boolean): void {
    const p = this.#run(env, device, announce).catch((err) => this.#o.logger.error('command execution crashed', { commandId: env.id, err }));
    this.#running.add(p);
    void p.finally(() => this.#running.delete(p));
  }

  async #run(env: CommandEnvelope, device: string, announce: boolean): Promise<void> {
    if (announce) await this.#answer(env.id, device, 'DELIVERED', undefined, undefined, false);
    // Of two starts of the same command (recovery and a redelivery, however they interleave) exactly one
    // wins this claim: it is one synchronous, committed statement with nothing awaited between it and the
    // decision. It commits before the device sees anything, so a power cut after it means FAILED, never a
    // second run; a crash before it (e.g. while DELIVERED commits) leaves RECEIVED, run after restart.
    if (!this.#o.inbox.claim(env.id, device)) {
      this.counters.duplicates++;
      this.#o.logger.warn('command already started; not run again', { commandId: env.id, device });
      return;
    }
    const now = this.#now();
    if (env.expiresAt !== undefined && env.expiresAt <= now) {
      await this.#finish(env, device, 'EXPIRED', undefined, 'expired before it could run');
      return;
    }
    const isGateway = device === this.#o.gateway;
    const handoff = isGateway ? this.#o.handoff?.[env.name] : undefined;
    if (handoff !== undefined) {
      try {
        handoff.take(env, device);
      } catch (err) {
        const e = err as CausewayError;
        await this.#finish(env, device, 'FAILED', undefined, `${e.code ?? 'ERROR'}: ${e.message}`);
        return;
      }
      await this.#handedOff(env, device);
      return;
    }
    const builtin = isGateway ? this.#o.builtins[env.name] : undefined;
    if (isGateway && builtin === undefined) {
      await this.#finish(env, device, 'REJECTED', undefined, `unknown gateway command "${env.name}" (known: ${Object.keys(this.#o.builtins).join(', ')})`);
      return;
    }
    if (!isGateway && !this.#o.router.has(device)) {
      await this.#finish(env, device, 'REJECTED', undefined, `device ${device} is not attached to gateway ${this.#o.gateway}`);
      return;
    }
    const budget = Math.min(this.#o.timeoutMs, env.expiresAt === undefined ? Infinity : env.expiresAt - now);
    const ac = new AbortController();
    const onStop = (): void => ac.abort();
    this.#ac.signal.addEventListener('abort', onStop, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        ac.abort();
        resolve('timeout');
      }, budget);
    });
    try {
      const work = builtin !== undefined ? builtin(env.args, ac.signal) : this.#o.router.execute(device, env.name, env.args, ac.signal);
      const out = await Promise.race([work, timeout]);
      if (out === 'timeout') await this.#finish(env, device, 'TIMED_OUT', undefined, `no answer within ${budget} ms`);
      else await this.#finish(env, device, 'SUCCEEDED', out);
    } catch (err) {
      const rejected = err instanceof CausewayError && (err.code === 'COMMAND_REJECTED' || err.code === 'COMMAND_INVALID');
      await this.#finish(env, device, rejected ? 'REJECTED' : 'FAILED', undefined, (err as Error).message);
    } finally {
      clearTimeout(timer);
      this.#ac.signal.removeEventListener('abort', onStop);
    }
  }

  async #finish(env: CommandEnvelope, device: string, status: CommandResultStatus, output: unknown, error?: string): Promise<void> {
    const result = this.#result(env.id, device, status, output, error);
    this.#o.inbox.complete(env.id, device, result);
    const key = ({ SUCCEEDED: 'succeeded', FAILED: 'failed', REJECTED: 'rejected', TIMED_OUT: 'timedOut', EXPIRED: 'expired' } as const)[status as 'SUCCEEDED'];
    if (key !== undefined) this.counters[key]++;
    await this.#o.results.sendResult(result);
    this.#o.inbox.markResultQueued(env.id, device);
    this.#o.logger.info('command finished', { commandId: env.id, device, name: env.name, status, ...(error === undefined ? {} : { reason: error }) });
  }

  /** The part took the command: the inbox row is done here (a redelivery is answered from it), the part reports on. */
  async #handedOff(env: CommandEnvelope, device: string): Promise<void> {
    const result = this.#result(env.id, device, 'DOWNLOADING', { accepted: true });
    this.#o.inbox.complete(env.id, device, result);
    await this.#o.results.sendResult(result);
    this.#o.inbox.markResultQueued(env.id, device);
    this.#o.logger.info('command handed off', { commandId: env.id, device, name: env.name });
  }

  #result(commandId: string, device: string, status: CommandResultStatus, output: unknown, error?: string): CommandResultEnvelope {
    // The id is stable per (command, device, status): a result re-sent after a crash is dropped as a duplicate in the cloud.
    return {
      v: 1,
      type: 'command-result',
      id: `${commandId}.${device}.${status}`.slice(0, 128),
      commandId,
      gateway: this.#o.gateway,
      device,
      status,
      ts: this.#now(),
      ...(output === undefined ? {} : { output }),
      ...(error === undefined ? {} : { error }),
    };
  }

  async #answer(commandId: string, device: string, status: CommandResultStatus, output: unknown, error?: string, count = true): Promise<void> {
    if (count && status === 'REJECTED') this.counters.rejected++;
    await this.#o.results.sendResult(this.#result(commandId, device, status, output, error));
  }

  /** Stops accepting work and waits for running commands (they are aborted). */
  async stop(): Promise<void> {
    this.#ac.abort();
    await Promise.allSettled([...this.#running]);
  }

  /** Waits until nothing is running (tests). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}
