import { CausewayError } from '@causeway/shared';
import type { DeviceCommandRouter } from './contract.js';

/** The part of ingest the router needs: write a line to a device, and hear its `>` replies. */
export interface DeviceLines {
  /** false when no port has that device or it is unplugged now */
  sendToDevice(device: string, line: string): boolean;
}

const NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Formats a command as the line serial devices understand: the name, then the argument values in order,
 * booleans as on/off (`set-relay {"state": true}` → `set-relay on`). Pure; throws COMMAND_INVALID for
 * anything that could break the line protocol.
 */
export function commandLine(name: string, args: Record<string, unknown>): string {
  if (!NAME.test(name)) throw new CausewayError('COMMAND_INVALID', `command name "${name}" is not a device command (a-z, 0-9, -)`);
  const parts = [name];
  for (const [k, v] of Object.entries(args)) {
    const s = typeof v === 'boolean' ? (v ? 'on' : 'off') : typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'string' ? v : undefined;
    if (s === undefined) throw new CausewayError('COMMAND_INVALID', `argument ${k} must be a string, finite number or boolean`);
    if (s === '' || s.length > 64 || /[\s\u0000-\u001f\u007f]/.test(s)) throw new CausewayError('COMMAND_INVALID', `argument ${k} must be 1-64 characters without spaces or control characters`);
    parts.push(s);
  }
  return parts.join(' ');
}

/**
 * Routes device commands to serial devices and matches each device's reply line (`>ok …` / `>err …`)
 * to the command it answers. One command per device at a time, so replies cannot be confused.
 */
export class SerialCommandRouter implements DeviceCommandRouter {
  readonly #lines: DeviceLines;
  readonly #devices: () => ReadonlySet<string>;
  readonly #waiting = new Map<string, (reply: string) => void>();
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(lines: DeviceLines, devices: () => ReadonlySet<string>) {
    this.#lines = lines;
    this.#devices = devices;
  }

  has(device: string): boolean {
    return this.#devices().has(device);
  }

  /** Feed from ingest's onReply. A reply nobody waits for is ignored (late, after a timeout). */
  onReply(device: string, reply: string): void {
    const w = this.#waiting.get(device);
    if (w === undefined) return;
    this.#waiting.delete(device);
    w(reply);
  }

  execute(device: string, name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    const line = commandLine(name, args);
    const prev = this.#queues.get(device) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => this.#one(device, line, signal));
    this.#queues.set(device, run);
    void run.finally(() => {
      if (this.#queues.get(device) === run) this.#queues.delete(device);
    }).catch(() => undefined);
    return run;
  }

  #one(device: string, line: string, signal: AbortSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new CausewayError('COMMAND_ABORTED', 'aborted before it was sent'));
      const onAbort = (): void => {
        this.#waiting.delete(device);
        reject(new CausewayError('COMMAND_ABORTED', `no reply from ${device}`));
      };
      this.#waiting.set(device, (reply) => {
        signal.removeEventListener('abort', onAbort);
        const text = reply.replace(/^>/, '').trim();
        if (text.startsWith('ok')) resolve({ reply: text });
        else if (text.startsWith('err unknown-command') || text.startsWith('err refused')) reject(new CausewayError('COMMAND_REJECTED', `${device}: ${text}`));
        else reject(new CausewayError('COMMAND_FAILED', `${device}: ${text}`));
      });
      signal.addEventListener('abort', onAbort, { once: true });
      if (!this.#lines.sendToDevice(device, line)) {
        this.#waiting.delete(device);
        signal.removeEventListener('abort', onAbort);
        reject(new CausewayError('COMMAND_FAILED', `${device} is not connected (port missing or unplugged)`));
      }
    });
  }
}
