import { readFileSync } from 'node:fs';
import type { AccessControl, AclDecision, AclSubject, Identity } from '@causeway/broker';
import { ConfigError, type Logger } from '@causeway/shared';
import { aclFileCanPublish, aclFileCanSubscribe, type AclFileClient } from './acl-file-check.js';
import { AclFileError } from './acl-file-error.js';
import { countRules, parseAclFile, type AclRules } from './parse-acl-file.js';

/** What the acl_file did since start (the cloud's /metrics shows them). */
export interface AclFileCounters {
  /** publishes, wills and subscriptions the file refused */
  denied: number;
  /** SIGHUP reloads that took the new file */
  reloads: number;
  /** SIGHUP reloads refused (the old rules stay) */
  reloadFailures: number;
  /** rules in force */
  rules: number;
}

/** Reads and parses `path`; a bad file is a ConfigError naming auth.aclFile, the file and the line. */
export function readAclFile(path: string): AclRules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`auth.aclFile: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { key: 'auth.aclFile', cause: err });
  }
  try {
    return parseAclFile(text);
  } catch (err) {
    if (err instanceof AclFileError) throw new ConfigError(`auth.aclFile ${path} ${err.message}`, { key: 'auth.aclFile', cause: err });
    throw err;
  }
}

/** The name the file knows a client by: an app by its registry id (verified), anyone else by its CONNECT username. */
function subjectOf(who: Identity, client: AclSubject): AclFileClient {
  const username = who.role === 'app' ? who.id : client.username;
  return username === undefined ? { clientId: client.clientId } : { clientId: client.clientId, username };
}

/**
 * The operator's acl_file (`auth.aclFile`, mosquitto syntax), applied on top of the registry's access
 * control to backend apps and, in development mode, to anonymous clients (role `admin`). Gateways keep the
 * built-in isolation alone: the file neither widens nor narrows what a gateway may do. Reloaded on SIGHUP;
 * a bad file at reload keeps the rules in force.
 */
export class AclFilePolicy {
  readonly path: string;
  readonly counters: AclFileCounters = { denied: 0, reloads: 0, reloadFailures: 0, rules: 0 };
  #rules: AclRules;

  constructor(path: string, rules: AclRules) {
    this.path = path;
    this.#rules = rules;
    this.counters.rules = countRules(rules);
  }

  /** Loads `path` at start-up: throws ConfigError (exit 78) naming the line of a bad file. */
  static load(path: string): AclFilePolicy {
    return new AclFilePolicy(path, readAclFile(path));
  }

  /** Re-reads the file (SIGHUP). True if the new rules are in force; else logged and counted, old rules kept. */
  reload(logger: Logger): boolean {
    try {
      this.#rules = readAclFile(this.path);
    } catch (err) {
      this.counters.reloadFailures++;
      logger.error('acl file not reloaded: the previous rules stay in force', { path: this.path, code: (err as ConfigError).code, reason: (err as Error).message });
      return false;
    }
    this.counters.reloads++;
    this.counters.rules = countRules(this.#rules);
    logger.info('acl file reloaded', { path: this.path, rules: this.counters.rules });
    return true;
  }

  #check(d: AclDecision): AclDecision {
    if (!d.allow) this.counters.denied++;
    return d;
  }

  /** `inner` with the file's rules on top: both must allow. */
  over(inner: AccessControl): AccessControl {
    const out: AccessControl = {
      authenticate: (info) => inner.authenticate(info),
      canPublish: (who, topic, client) => {
        const d = inner.canPublish(who, topic, client);
        if (!d.allow || who.role === 'gateway') return d;
        return this.#check(aclFileCanPublish(this.#rules, subjectOf(who, client), topic));
      },
      canSubscribe: (who, filter, client) => {
        const d = inner.canSubscribe(who, filter, client);
        if (!d.allow || who.role === 'gateway') return d;
        return this.#check(aclFileCanSubscribe(this.#rules, subjectOf(who, client), filter));
      },
    };
    if (inner.connected !== undefined) out.connected = inner.connected.bind(inner);
    if (inner.disconnected !== undefined) out.disconnected = inner.disconnected.bind(inner);
    return out;
  }
}
