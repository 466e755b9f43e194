import { closeSync, existsSync, fstatSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '@causeway/shared';

/** Pure: `line` with every literal secret (4 characters or more) replaced by [redacted]. */
export function maskLiterals(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const s of secrets) if (s.length >= 4 && out.includes(s)) out = out.split(s).join('[redacted]');
  return out;
}

/**
 * The agent's recent log on disk (issue 20: `causeway logs`, the support bundle), bounded: two segments
 * of `maxBytes / 2`, `current.log` and `previous.log` in `dir` (mode 0600). When the current one is full
 * it becomes the previous one (the older is dropped), so the ring never holds more than `maxBytes` and a
 * restart keeps what was there. Lines are written as the logger emits them (already redacted by field
 * name); `secrets` are literal values (the MQTT password, the claim token) masked in every line as well.
 * Writes are plain appends without fsync: a log line is worth less than an SD card's wear.
 */
export class LogRing {
  readonly #dir: string;
  readonly #segmentBytes: number;
  #secrets: string[];
  #fd: number;
  #size: number;
  #failed = false;

  constructor(dir: string, maxBytes: number, secrets: readonly string[] = []) {
    ensurePrivateDir(dir);
    this.#dir = dir;
    this.#segmentBytes = Math.max(4096, Math.floor(maxBytes / 2));
    this.#secrets = secrets.filter((s) => s.length >= 4);
    this.#fd = openSync(this.#path('current'), 'a', PRIVATE_FILE_MODE);
    this.#size = fstatSync(this.#fd).size;
  }

  #path(which: 'current' | 'previous'): string {
    return join(this.#dir, `${which}.log`);
  }

  /** More literal values to mask from now on (credentials obtained after start). */
  addSecrets(values: readonly string[]): void {
    this.#secrets = [...this.#secrets, ...values.filter((s) => s.length >= 4)];
  }

  mask(line: string): string {
    return maskLiterals(line, this.#secrets);
  }

  append(line: string): void {
    if (this.#failed) return;
    try {
      // journald's `<N>` prefix is for the journal, not for us
      const text = this.mask(line.replace(/^<\d>/, ''));
      const bytes = Buffer.byteLength(text);
      if (this.#size + bytes > this.#segmentBytes && this.#size > 0) this.#rotate();
      writeSync(this.#fd, text);
      this.#size += bytes;
    } catch {
      // A full or read-only disk must not take logging (or the agent) down; stdout still has every line.
      this.#failed = true;
    }
  }

  #rotate(): void {
    closeSync(this.#fd);
    renameSync(this.#path('current'), this.#path('previous'));
    this.#fd = openSync(this.#path('current'), 'a', PRIVATE_FILE_MODE);
    this.#size = 0;
  }

  /** Every line kept, oldest first. */
  lines(): string[] {
    const read = (p: string): string[] => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter((l) => l !== '') : []);
    return [...read(this.#path('previous')), ...read(this.#path('current'))];
  }

  close(): void {
    try {
      closeSync(this.#fd);
    } catch {
      // already closed
    }
  }
}
