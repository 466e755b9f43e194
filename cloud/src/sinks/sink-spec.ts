import { isValidId, validateTopicFilter } from '@causeway/shared';
import { parseTransform, type TransformSpec } from './transform.js';

/**
 * One declarative sink (issue 21): a consumer group over a server-side queue whose members are this
 * cloud's sink runners. Checked by `parseSinks` (the `sinks` config key); every error names the place
 * (`[1].target.url`) and what was expected, so a bad config stops causeway-cloud with exit 78.
 */
export interface SinkSpec {
  /** lower-case name: the consumer group is `_sink-<name>`, the default table `sink_<name>` */
  name: string;
  /** server-side queue (the first topic level): telemetry, events, … */
  queue: string;
  /** optional mqttSecondTopic filter below the queue, e.g. `/gw1/+/temp` */
  filter?: string;
  transform: TransformSpec;
  target: PostgresTargetSpec | WebhookTargetSpec;
  /** most messages pulled (and written) per batch; default 500 */
  maxMessages: number;
  /** start paused (resume with `causeway sinks resume NAME`) */
  paused: boolean;
}

export interface PostgresTargetSpec {
  type: 'postgres';
  /** postgres://user@host:port/database — never with a password (it would show in logs): use passwordFile */
  url: string;
  /** file holding the password (mode 0600), or none (trust, peer or PGPASSWORD) */
  passwordFile?: string;
  /** table name, created if missing; default sink_<name> */
  table: string;
}

export interface WebhookTargetSpec {
  type: 'webhook';
  /** http(s) URL without credentials or a query string (secrets never in URLs) */
  url: string;
  /** file holding the HMAC-SHA256 key of the X-Causeway-Signature header (required: secure by default) */
  secretFile: string;
  /** ms per request before it counts as failed (and is retried); default 10000 */
  timeoutMs: number;
  /** allow http:// to a host other than loopback (batches and their signature in clear text); default false */
  allowHttp: boolean;
}

export const SINK_KEYS = ['name', 'queue', 'filter', 'transform', 'target', 'maxMessages', 'paused'];
const POSTGRES_KEYS = ['type', 'url', 'passwordFile', 'table'];
const WEBHOOK_KEYS = ['type', 'url', 'secretFile', 'timeoutMs', 'allowHttp'];
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const NAME = /^[a-z][a-z0-9-]{0,47}$/;
const TABLE = /^[a-z_][a-z0-9_]{0,62}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function onlyKeys(o: Record<string, unknown>, allowed: string[], at: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new Error(`${at}: unknown key "${k}" (allowed: ${allowed.join(', ')})`);
}

function text(o: Record<string, unknown>, k: string, at: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v === '') throw new Error(`${at}.${k} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function positive(o: Record<string, unknown>, k: string, def: number, max: number, at: string): number {
  const v = o[k];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > max) throw new Error(`${at}.${k} must be a whole number from 1 to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

function parseUrl(s: string, protocols: string[], at: string): URL {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new Error(`${at}.url must be a URL (${protocols.join(' or ')}), got a string that is not one`);
  }
  if (!protocols.includes(u.protocol)) throw new Error(`${at}.url must start with ${protocols.map((p) => `${p}//`).join(' or ')}, got ${u.protocol}//`);
  // The URL is logged and shown by /v1/sinks: a secret in it would leak there.
  if (u.password !== '') throw new Error(`${at}.url must not hold a password (it would show in logs and /v1/sinks): put it in ${at}.passwordFile or secretFile`);
  return u;
}

function parseTarget(v: unknown, name: string, at: string): PostgresTargetSpec | WebhookTargetSpec {
  if (!isObject(v)) throw new Error(`${at} must be an object {type: postgres|webhook, …}`);
  if (v.type === 'postgres') {
    onlyKeys(v, POSTGRES_KEYS, at);
    parseUrl(text(v, 'url', at), ['postgres:', 'postgresql:'], at);
    const table = v.table === undefined ? `sink_${name.replace(/-/g, '_')}` : text(v, 'table', at);
    if (!TABLE.test(table)) throw new Error(`${at}.table must be a lower-case SQL name (a-z, 0-9, _; at most 63), got ${JSON.stringify(table)}`);
    return { type: 'postgres', url: v.url as string, table, ...(v.passwordFile === undefined ? {} : { passwordFile: text(v, 'passwordFile', at) }) };
  }
  if (v.type === 'webhook') {
    onlyKeys(v, WEBHOOK_KEYS, at);
    const u = parseUrl(text(v, 'url', at), ['http:', 'https:'], at);
    if (u.username !== '' || u.search !== '') throw new Error(`${at}.url must have no user and no query string (secrets never in URLs); the request is signed with ${at}.secretFile`);
    if (v.allowHttp !== undefined && typeof v.allowHttp !== 'boolean') throw new Error(`${at}.allowHttp must be true or false`);
    const allowHttp = v.allowHttp === true;
    // Secure by default: readings in clear text only to this host, or when the operator says so.
    if (u.protocol === 'http:' && !LOOPBACK.has(u.hostname) && !allowHttp) throw new Error(`${at}.url: http:// to ${u.hostname} sends the batches in clear text; use https://, or set ${at}.allowHttp to true`);
    return { type: 'webhook', url: v.url as string, secretFile: text(v, 'secretFile', at), timeoutMs: positive(v, 'timeoutMs', 10_000, 300_000, at), allowHttp };
  }
  throw new Error(`${at}.type must be postgres or webhook, got ${JSON.stringify(v.type)}`);
}

/** One sink entry; `at` names it in errors (`[0]`). Pure. */
export function parseSink(v: unknown, at: string): SinkSpec {
  if (!isObject(v)) throw new Error(`${at} must be an object {name, queue, filter?, transform, target}`);
  onlyKeys(v, SINK_KEYS, at);
  const name = text(v, 'name', at);
  if (!NAME.test(name)) throw new Error(`${at}.name must be lower-case letters, digits and "-" (at most 48, starting with a letter), got ${JSON.stringify(name)}`);
  const queue = text(v, 'queue', at);
  if (!isValidId(queue)) throw new Error(`${at}.queue must be a queue name (a first topic level such as telemetry), got ${JSON.stringify(queue)}`);
  let filter: string | undefined;
  if (v.filter !== undefined) {
    filter = text(v, 'filter', at);
    if (!filter.startsWith('/')) throw new Error(`${at}.filter must start with "/" (it matches mqttSecondTopic, e.g. /gw1/+/temp), got ${JSON.stringify(filter)}`);
    try {
      validateTopicFilter(queue + filter);
    } catch (err) {
      throw new Error(`${at}.filter ${JSON.stringify(filter)} is not a topic filter: ${(err as Error).message}`);
    }
  }
  const transform = parseTransform(v.transform, `${at}.transform`);
  const target = parseTarget(v.target, name, `${at}.target`);
  if (v.paused !== undefined && typeof v.paused !== 'boolean') throw new Error(`${at}.paused must be true or false`);
  return { name, queue, ...(filter === undefined ? {} : { filter }), transform, target, maxMessages: positive(v, 'maxMessages', 500, 10_000, at), paused: v.paused === true };
}

/** The `sinks` config value: a list of sinks with distinct names and tables. Throws an Error naming the entry. Pure. */
export function parseSinks(v: unknown): SinkSpec[] {
  if (!Array.isArray(v)) throw new Error('must be a list of sinks [{name, queue, filter?, transform, target}]');
  const out = v.map((s, i) => parseSink(s, `[${i}]`));
  const names = new Set<string>();
  const tables = new Set<string>();
  out.forEach((s, i) => {
    if (names.has(s.name)) throw new Error(`[${i}].name "${s.name}" is used by two sinks`);
    names.add(s.name);
    if (s.target.type === 'postgres') {
      const key = `${s.target.url} ${s.target.table}`;
      if (tables.has(key)) throw new Error(`[${i}].target.table "${s.target.table}" is written by two sinks on the same database`);
      tables.add(key);
    }
  });
  return out;
}

/** The consumer group a sink reads as (reserved: `_` names cannot be used by apps). */
export function sinkGroup(name: string): string {
  return `_sink-${name}`;
}
