import { CausewayError, validateTopicFilter } from '@causeway/shared';
import { AclFileError } from './acl-file-error.js';

/** What a rule grants: `read` (subscribe), `write` (publish), both, or `deny` (neither, and wins over grants). */
export type AclAccess = 'read' | 'write' | 'readwrite' | 'deny';

/** One `topic` or `pattern` line. */
export interface AclRule {
  access: AclAccess;
  /** a topic filter; in a pattern it may hold `%c` (client id) and `%u` (username) as whole levels */
  filter: string;
  /** 1-based line in the file, for logs */
  line: number;
}

/**
 * An acl_file as mosquitto reads it (mosquitto.conf(5), "acl_file"): `topic` lines before the first `user`
 * line apply to anonymous clients (no username), those after `user NAME` to that user; `pattern` lines
 * apply to every client, with `%c` and `%u` substituted.
 */
export interface AclRules {
  anonymous: readonly AclRule[];
  users: ReadonlyMap<string, readonly AclRule[]>;
  patterns: readonly AclRule[];
}

const ACCESS: ReadonlySet<string> = new Set(['read', 'write', 'readwrite', 'deny']);

/** `[access] filter` after the keyword: the access word is optional (default readwrite), as in mosquitto. */
function accessAndFilter(rest: string, line: number, keyword: string): { access: AclAccess; filter: string } {
  if (rest === '') throw new AclFileError(line, `"${keyword}" needs a topic: ${keyword} [read|write|readwrite|deny] TOPIC`);
  const sp = rest.search(/\s/);
  if (sp < 0) return { access: 'readwrite', filter: rest };
  const word = rest.slice(0, sp);
  if (!ACCESS.has(word)) {
    // mosquitto reads `topic a b` the same way: the first word must be the access type
    throw new AclFileError(line, `"${word.slice(0, 40)}" is not an access type (read, write, readwrite or deny): ${keyword} [read|write|readwrite|deny] TOPIC`);
  }
  // The topic is the rest of the line: mosquitto allows spaces inside topics.
  return { access: word as AclAccess, filter: rest.slice(sp).trim() };
}

/** A filter must be valid; in a pattern `%c`/`%u` must each be a whole level (mosquitto 2 substitutes only those). */
function checkFilter(filter: string, line: number, pattern: boolean): void {
  if (pattern) {
    for (const level of filter.split('/')) {
      if ((level.includes('%c') || level.includes('%u')) && level !== '%c' && level !== '%u') {
        throw new AclFileError(line, `in pattern "${filter}", %c and %u must each be a whole topic level (got "${level}")`);
      }
    }
  }
  try {
    validateTopicFilter(pattern ? filter.replace(/%[cu]/g, 'x') : filter);
  } catch (err) {
    throw new AclFileError(line, `"${filter}" is not a valid topic filter: ${err instanceof CausewayError ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Parses mosquitto's acl_file syntax. Pure: the text in, the rules out, or an AclFileError naming the first
 * bad line. Comments (`#` first on a line) and blank lines are skipped; leading and trailing blanks ignored.
 *
 * @example
 * parseAclFile('topic read public/#\nuser ops\ntopic readwrite plant/#\npattern write devices/%c/status')
 */
export function parseAclFile(text: string): AclRules {
  const anonymous: AclRule[] = [];
  const users = new Map<string, AclRule[]>();
  const patterns: AclRule[] = [];
  let current: AclRule[] = anonymous;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.search(/\s/);
    const keyword = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? '' : line.slice(sp).trim();
    switch (keyword) {
      case 'user': {
        if (rest === '') throw new AclFileError(n, '"user" needs a username');
        // A later `user` line for the same name adds to its rules, as mosquitto does.
        const rules = users.get(rest) ?? [];
        users.set(rest, rules);
        current = rules;
        break;
      }
      case 'topic': {
        const { access, filter } = accessAndFilter(rest, n, 'topic');
        checkFilter(filter, n, false);
        current.push({ access, filter, line: n });
        break;
      }
      case 'pattern': {
        const { access, filter } = accessAndFilter(rest, n, 'pattern');
        checkFilter(filter, n, true);
        patterns.push({ access, filter, line: n });
        break;
      }
      default:
        throw new AclFileError(n, `unknown keyword "${keyword.slice(0, 40)}": expected user, topic, pattern or a # comment`);
    }
  }
  return { anonymous, users, patterns };
}

/** Rules in the file (for logs on load and reload). */
export function countRules(r: AclRules): number {
  let n = r.anonymous.length + r.patterns.length;
  for (const rules of r.users.values()) n += rules.length;
  return n;
}
