/** What a broker costs at rest: its resident memory (/proc) and the bytes its data dir holds (Linux). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** Resident set size of `pid` in bytes (VmRSS in /proc/PID/status); NaN when unavailable. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? NaN : Number(m[1]) * 1024;
  } catch {
    return NaN;
  }
}

export interface DiskUsage {
  /** bytes allocated on disk (st_blocks × 512, what `du` counts) */
  allocated: number;
  /** apparent bytes (st_size, what `du --apparent-size -b` counts) */
  apparent: number;
  /** path relative to the root → apparent size, for the detail column */
  files: Record<string, number>;
}

/** `du` of a directory tree (regular files only; a missing dir counts as empty). */
export function diskUsage(root: string): DiskUsage {
  const out: DiskUsage = { allocated: 0, apparent: 0, files: {} };
  const walk = (dir: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(dir, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      let st;
      try {
        st = statSync(p);
      } catch {
        continue; // removed while we walked (a WAL checkpoint, a temp file)
      }
      if (st.isDirectory()) walk(p, r);
      else if (st.isFile()) {
        out.allocated += st.blocks * 512;
        out.apparent += st.size;
        out.files[r] = st.size;
      }
    }
  };
  walk(root, '');
  return out;
}

/** "12.3 MB" style, base 10. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/**
 * Bytes SQLite actually uses in every `*.db` under `root` (sum of pgsize − unused over dbstat, WAL
 * included, as a reader sees the last commit). File sizes cannot show one new message: a WAL is reused
 * from its start after each checkpoint and the main file grows in whole pages only at checkpoints.
 */
export function sqliteUsedBytes(root: string): { total: number; byFile: Record<string, number>; byTable: Record<string, number> } {
  const byFile: Record<string, number> = {};
  const byTable: Record<string, number> = {};
  let total = 0;
  for (const f of Object.keys(diskUsage(root).files).filter((x) => x.endsWith('.db'))) {
    const db = new Database(join(root, f), { readonly: true, fileMustExist: true });
    try {
      const r = db.prepare('SELECT SUM(pgsize - unused) AS used FROM dbstat').get() as { used: number | null };
      byFile[f] = r.used ?? 0;
      total += r.used ?? 0;
      // per table and index ("file:name"), to say where growth went
      for (const t of db.prepare('SELECT name, SUM(pgsize - unused) AS used FROM dbstat GROUP BY name').all() as Array<{ name: string; used: number }>) {
        byTable[`${f.replace(/^.*\//, '').replace(/\.db$/, '')}:${t.name}`] = t.used;
      }
    } finally {
      db.close();
    }
  }
  return { total, byFile, byTable };
}
