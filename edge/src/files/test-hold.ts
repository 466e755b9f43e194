import { readFileSync, rmSync } from 'node:fs';

/**
 * A hook for the crash tests of issue 17 (edge e2e 34, 35), off unless CAUSEWAY_TEST_HOLD_FILE is set:
 * when the install reaches `point` and that file names it, the file is removed and the install waits
 * for ever — so a test that sees the file go can kill -9 the agent inside a window that lasts
 * microseconds otherwise (between VERIFYING and the hash, the rename and its record, the swap and the
 * restart). Once per file: the restarted agent goes on. Never set it in production.
 */
export type HoldPoint = 'verifying' | 'installing' | 'renamed' | 'release-copied' | 'release-pending' | 'release-swapped';

export function holdAt(point: HoldPoint, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const f = env.CAUSEWAY_TEST_HOLD_FILE;
  if (f === undefined || f === '') return Promise.resolve();
  let want: string;
  try {
    want = readFileSync(f, 'utf8').trim();
  } catch {
    return Promise.resolve();
  }
  if (want !== point) return Promise.resolve();
  rmSync(f, { force: true });
  return new Promise<void>(() => undefined);
}
