import type { FrameDrop } from '../drop-reason.js';

/** What one chunk of bytes yielded: whole frames, and frames that had to be thrown away. */
export interface FramerOutput {
  frames: Buffer[];
  drops: FrameDrop[];
}

/**
 * Cuts a byte stream into frames. Stateful only in the bytes it holds between chunks (bounded by the
 * framer's maximum), so the same chunk sequence always gives the same frames, wherever it was split.
 */
export interface Framer {
  push(chunk: Buffer): FramerOutput;
  /** Forget held bytes (the port closed: a half frame from before must not prefix the next one). */
  reset(): void;
  /** Bytes held waiting for the rest of a frame. */
  readonly pending: number;
}
