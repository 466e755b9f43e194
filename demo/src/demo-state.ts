import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CausewayError } from '@causeway/shared';

/**
 * The demo's data directory at start: with `fresh`, an earlier run's state is removed (only a directory
 * the demo made: it holds cloud/ or tty/); otherwise the returned line says that the registry, queues
 * and outboxes of an earlier run are reused, and how to start clean (issue 24). Undefined on a first run.
 */
export function prepareDemoDir(dir: string, fresh: boolean): string | undefined {
  const earlier = existsSync(join(dir, 'cloud', 'operator-token'));
  if (fresh) {
    if (!existsSync(dir)) return undefined;
    const entries = readdirSync(dir);
    const ours = entries.every((e) => e === 'cloud' || e === 'tty' || e.startsWith('gw-') || e.startsWith('.'));
    if (entries.length > 0 && !(ours && (entries.includes('cloud') || entries.includes('tty')))) {
      throw new CausewayError('USAGE', `--fresh: ${dir} does not look like a demo directory (no cloud/ or tty/, or other files); not deleting it`);
    }
    rmSync(dir, { recursive: true, force: true });
    return `demo: --fresh: removed the earlier run's state in ${dir}`;
  }
  return earlier ? `demo: reusing the state of an earlier run in ${dir} (registry, queues, outboxes, config versions); npm start -- --fresh starts clean` : undefined;
}
