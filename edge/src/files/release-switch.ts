import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeSync, chmodSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CausewayError, type Logger } from '@causeway/shared';
import type { FileJobs, Job } from './file-jobs.js';
import { fsyncDir, type ReleaseInstaller } from './file-installer.js';
import { holdAt } from './test-hold.js';

/** The agent's executable inside a release directory; the launcher runs `<root>/current/causeway-edge`. */
export const RELEASE_BINARY = 'causeway-edge';

/**
 * Agent self-update (issue 17), side by side under `update.root` (R):
 *
 *   R/releases/<version>/causeway-edge   each release, never overwritten while current
 *   R/current → releases/<version>       the running one: a symlink swapped by rename (atomic)
 *   R/pending                            "<new> <previous> <commandId>": a swap not yet proven healthy
 *   R/pending-gate                       the health gate's seconds, for the launcher's watchdog
 *   R/pending-boots                      starts of the pending release, counted by the launcher
 *   R/rolled-back                        "<commandId> <new> <reason>": a swap undone, for the previous release to report
 *
 * Install: the verified file becomes releases/<v>/causeway-edge (copy, fsync, rename), `pending` is
 * written, `current` swapped, and the agent exits so systemd starts the new release (through
 * systemd/causeway-edge-launcher). Health gate: the new release must connect to the cloud within
 * update.healthGateSeconds, else it swaps `current` back and exits; one that cannot even start is put
 * back by the launcher after CAUSEWAY_UPDATE_MAX_BOOTS starts, and one that hangs before its gate decides
 * (alive, never confirming, never exiting) is killed and put back by the launcher's watchdog after
 * <gateSeconds> + CAUSEWAY_UPDATE_HANG_MARGIN_SECONDS: the gate seconds go into `pending-gate`
 * because the launcher cannot read the agent's config (a file of their own, not a field of `pending`:
 * a launcher installed before this rule, root's and never replaced by a self-update, reads three fields). Whichever release runs next reports the
 * target: SUCCEEDED from the new one, ROLLED_BACK with the reason from the previous one.
 */
export class ReleaseSwitch implements ReleaseInstaller {
  constructor(
    private readonly o: { root: string; jobs: FileJobs; healthGateMs: number; logger: Logger; restart: () => void; now?: () => number },
  ) {}

  get #R(): string {
    return this.o.root;
  }

  /** The version `current` points at, or undefined when the agent does not run from this layout. */
  currentVersion(): string | undefined {
    try {
      return basename(readlinkSync(join(this.#R, 'current')));
    } catch {
      return undefined;
    }
  }

  pendingCommand(): string | undefined {
    return readIfExists(join(this.#R, 'pending'))?.trim().split(' ')[2];
  }

  installedCopy(version: string): string {
    return join(this.#R, 'releases', version, RELEASE_BINARY);
  }

  /** Before a byte is fetched: can this agent switch to `version` at all? */
  precheck(version: string): void {
    const current = this.currentVersion();
    if (current === undefined) throw new CausewayError('ARTIFACT_UNSUPPORTED', `this agent does not run from ${join(this.#R, 'current')} (systemd/causeway-edge-launcher); it cannot update itself`);
    if (current === version) throw new CausewayError('RELEASE_CURRENT', `release ${version} is already the current one`);
    if (existsSync(join(this.#R, 'pending'))) throw new CausewayError('RELEASE_PENDING', 'another release is waiting for its health gate');
  }

  async install(job: Job, file: string): Promise<void> {
    const m = job.signed.manifest;
    this.precheck(m.version);
    const previous = this.currentVersion()!;
    const releases = join(this.#R, 'releases');
    mkdirSync(releases, { recursive: true, mode: 0o755 });
    const staging = join(releases, `.${m.version}.staging`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { mode: 0o755 });
    const bin = join(staging, RELEASE_BINARY);
    copyFileSync(file, bin); // `file` may be the copy in releases/<v>/ itself (an install resumed after a kill -9)
    chmodSync(bin, 0o755);
    fsyncFile(bin);
    const dest = join(releases, m.version);
    rmSync(dest, { recursive: true, force: true });
    renameSync(staging, dest);
    fsyncDir(releases);
    // Resumed after a kill -9, `file` is releases/<v>/causeway-edge itself: now the new copy, keep it.
    if (file !== this.installedCopy(m.version)) rmSync(file, { force: true });
    await holdAt('release-copied');
    writeAtomic(join(this.#R, 'pending-gate'), `${Math.ceil(this.o.healthGateMs / 1000)}\n`);
    writeAtomic(join(this.#R, 'pending'), `${m.version} ${previous} ${job.commandId}\n`);
    rmSync(join(this.#R, 'pending-boots'), { force: true });
    await holdAt('release-pending');
    this.#point(m.version);
    await holdAt('release-swapped');
    this.o.jobs.setState(job.commandId, 'AWAITING_HEALTH');
    this.o.logger.info('release installed; restarting into it', { commandId: job.commandId, version: m.version, previous });
    this.o.restart();
  }

  #point(version: string): void {
    const tmp = join(this.#R, 'current.tmp');
    rmSync(tmp, { force: true });
    symlinkSync(join('releases', version), tmp);
    renameSync(tmp, join(this.#R, 'current'));
    fsyncDir(this.#R);
  }

  /**
   * At start: finish what a swap left. Returns the report to make (and the job it is for), and for a
   * pending release the gate to run once the uplink is up.
   */
  atStart(): { job: Job; status: 'ROLLED_BACK'; reason: string } | { job: Job; gate: true; version: string; previous: string } | undefined {
    const back = readIfExists(join(this.#R, 'rolled-back'));
    if (back !== undefined) {
      const [commandId = '', version = '', ...reason] = back.trim().split(' ');
      rmSync(join(this.#R, 'rolled-back'), { force: true });
      const job = this.o.jobs.get(commandId);
      if (job !== undefined) return { job, status: 'ROLLED_BACK', reason: `release ${version} rolled back to ${this.currentVersion() ?? '?'}: ${reason.join(' ')}` };
    }
    const pending = readIfExists(join(this.#R, 'pending'));
    if (pending === undefined) return undefined;
    const [version = '', previous = '', commandId = ''] = pending.trim().split(' ');
    const job = this.o.jobs.get(commandId);
    if (job === undefined || this.currentVersion() !== version) {
      this.o.logger.warn('stale pending release marker removed', { version, current: this.currentVersion() });
      rmSync(join(this.#R, 'pending'), { force: true });
      rmSync(join(this.#R, 'pending-gate'), { force: true });
      return undefined;
    }
    return { job, gate: true, version, previous };
  }

  /** The new release is healthy: it stays current. */
  confirm(): void {
    rmSync(join(this.#R, 'pending'), { force: true });
    rmSync(join(this.#R, 'pending-boots'), { force: true });
    rmSync(join(this.#R, 'pending-gate'), { force: true });
    fsyncDir(this.#R);
  }

  /** The new release failed its gate: put the previous one back and leave a note for it; the caller exits. */
  rollBack(g: { job: Job; version: string; previous: string }, reason: string): void {
    writeAtomic(join(this.#R, 'rolled-back'), `${g.job.commandId} ${g.version} ${reason}\n`);
    this.#point(g.previous);
    rmSync(join(this.#R, 'pending'), { force: true });
    rmSync(join(this.#R, 'pending-boots'), { force: true });
    rmSync(join(this.#R, 'pending-gate'), { force: true });
    fsyncDir(this.#R);
    this.o.logger.error('release failed its health gate; previous release put back', { version: g.version, previous: g.previous, reason });
  }
}

function readIfExists(f: string): string | undefined {
  return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
}

function fsyncFile(f: string): void {
  const fd = openSync(f, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** write, fsync, rename, fsync the directory */
function writeAtomic(f: string, text: string): void {
  const tmp = `${f}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, f);
}
