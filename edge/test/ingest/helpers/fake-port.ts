import { EventEmitter } from 'node:events';
import type { PortLike } from '../../../src/ingest/serial/serial-source.js';

/** An in-process port: the test pushes bytes in and reads what the source wrote. */
export class FakePort extends EventEmitter implements PortLike {
  isOpen = true;
  written: string[] = [];
  paused = 0;
  resumed = 0;
  write(data: string): boolean {
    this.written.push(data);
    return true;
  }
  pause(): void {
    this.paused++;
  }
  resume(): void {
    this.resumed++;
  }
  close(cb?: () => void): void {
    this.unplug();
    cb?.();
  }
  unplug(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.emit('close');
  }
}

export const until = async (cond: () => boolean, ms = 2000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

