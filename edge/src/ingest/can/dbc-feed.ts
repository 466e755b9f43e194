import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { Logger } from '@causeway/shared';
import type { Dbc } from '@causeway/shared/can/index.js';
import type { CanDbcCounters } from '../counters.js';
import { loadDbc, parseDbcText } from './can-config.js';

export interface DbcFeedOptions {
  /** the source's name, for logs */
  name: string;
  /** the DBC file the local config names (`ingest.can[i].dbc`), if any */
  path?: string;
  /** its config key, for errors */
  pathKey: string;
  /** DBC text from a remote config (`ingest.canDbc.<name>`), which takes precedence over the file */
  remote?: string;
  /** decode with this DBC from the next frame on (undefined: no DBC) */
  apply: (dbc: Dbc | undefined) => void;
  counters: CanDbcCounters;
  logger: Logger;
  /** how often the file's mtime, size and inode are looked at; default 1000 ms */
  watchIntervalMs?: number;
}

export interface DbcFeed {
  /** re-reads the file now (SIGHUP); a bad one is logged and counted, the previous DBC stays */
  reloadFile(): void;
  /** a remote config set (text) or removed (undefined) this source's DBC; the text was validated already */
  setRemote(text: string | undefined): void;
  stop(): void;
}

/**
 * Where one CAN source's DBC comes from (issue 19: "the DBC file can be delivered by remote config or by
 * file delivery"): the remote text when a remote config gives one, else the file the local config names.
 * The file is watched, so a DBC delivered to that path (causeway files, scp, a package) applies within
 * a second, with no SIGHUP. A file that no longer reads or parses (a half-written copy, a typo) is
 * counted `failed` and logged with its key and line, and the DBC in use stays; every DBC put in use is
 * counted `loaded`. The start-up load is the caller's (a bad DBC there is exit 78, not a warning).
 *
 * Polled with fs.watchFile rather than fs.watch: an installer replaces the file by rename, which an
 * inotify watch on the old inode misses; one stat a second per DBC costs nothing.
 */
export function startDbcFeed(o: DbcFeedOptions): DbcFeed {
  let remote = o.remote;
  const log = o.logger;
  const fromFile = (why: string): void => {
    if (o.path === undefined) return;
    try {
      const dbc = loadDbc(o.path, o.pathKey);
      o.apply(dbc);
      o.counters.loaded++;
      log.info('DBC file reloaded', { can: o.name, file: o.path, why, messages: dbc.messages.size });
    } catch (err) {
      o.counters.failed++;
      log.error('DBC file not reloaded; the previous one stays in use', { can: o.name, err, configKey: o.pathKey, why });
    }
  };
  const onChange = (cur: Stats, prev: Stats): void => {
    if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino) return;
    if (cur.nlink === 0 && cur.ino === 0) return; // removed: keep the DBC in use until a new file comes
    if (remote !== undefined) {
      log.info('DBC file changed; ingest.canDbc from the remote config stays in use', { can: o.name, file: o.path });
      return;
    }
    fromFile('file changed');
  };
  if (o.path !== undefined) watchFile(o.path, { interval: o.watchIntervalMs ?? 1000, persistent: false }, onChange);

  return {
    reloadFile() {
      if (remote === undefined) fromFile('reload');
    },
    setRemote(text) {
      if (text === remote) return;
      remote = text;
      if (text !== undefined) {
        const dbc = parseDbcText(text, `ingest.canDbc.${o.name}`);
        o.apply(dbc);
        o.counters.loaded++;
        log.info('DBC from the remote config in use', { can: o.name, messages: dbc.messages.size });
      } else if (o.path !== undefined) fromFile('remote DBC removed');
      else {
        o.apply(undefined);
        log.info('remote DBC removed; no DBC in use', { can: o.name });
      }
    },
    stop() {
      if (o.path !== undefined) unwatchFile(o.path, onChange);
    },
  };
}
