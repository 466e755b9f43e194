import { existsSync, readFileSync } from 'node:fs';
import convict from 'convict';
import { ConfigError } from '../errors/config-error.js';
import { JsonError } from '../errors/json-error.js';
import { assertSafeKeys, findUnsafeKey, parseJson } from '../json/safe-json.js';
import { typeWords } from './type-words.js';

/**
 * The one config convention of every Causeway program. Keys are dotted paths (`buffer.maxBytes`); each
 * can be set, from lowest to highest precedence, by its schema default, a JSON file given with
 * `--config FILE`, the environment variable `CAUSEWAY_BUFFER_MAX_BYTES`, and the flag
 * `--buffer.maxBytes VALUE` (or `--buffer.maxBytes=VALUE`).
 */
export type Schema = convict.Schema<any>;

export interface LoadOptions {
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

export interface SchemaEntry {
  key: string;
  env: string;
  flag: string;
  doc: string;
  format: string;
  default: unknown;
  sensitive: boolean;
}

/** `buffer.maxBytes` → `CAUSEWAY_BUFFER_MAX_BYTES`. */
export function envNameFor(key: string): string {
  return 'CAUSEWAY_' + key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/\./g, '_').toUpperCase();
}

function isLeaf(node: unknown): node is Record<string, unknown> {
  return typeof node === 'object' && node !== null && Object.hasOwn(node, 'default');
}

/** Flattens a schema into one entry per key (for --help and the generated README table). */
export function describeSchema(schema: Schema, prefix = ''): SchemaEntry[] {
  const out: SchemaEntry[] = [];
  for (const [name, node] of Object.entries(schema as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (isLeaf(node)) {
      const fmt = node.format;
      out.push({
        key,
        env: envNameFor(key),
        flag: `--${key}`,
        doc: String(node.doc ?? ''),
        format: Array.isArray(fmt) ? fmt.map(String).join('|') : typeof fmt === 'function' ? (fmt.name || 'custom') : String(fmt ?? typeof node.default),
        default: node.default,
        sensitive: node.sensitive === true,
      });
    } else if (typeof node === 'object' && node !== null) {
      out.push(...describeSchema(node as Schema, key));
    }
  }
  return out;
}

/** Adds `env` and `arg` to every leaf so convict reads them; the schema given is not changed. */
function withSources(schema: Schema, prefix = ''): Schema {
  const out: Record<string, unknown> = {};
  for (const [name, node] of Object.entries(schema as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (isLeaf(node)) out[name] = { ...node, env: envNameFor(key), arg: key };
    else if (typeof node === 'object' && node !== null) out[name] = withSources(node as Schema, key);
  }
  return out as Schema;
}

/** Pulls `--config FILE` out of argv; the rest goes to convict. */
function splitConfigFlag(argv: readonly string[]): { file: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config' || a === '-c') {
      file = argv[++i];
      if (file === undefined) throw new ConfigError('--config needs a file path', { key: 'config' });
    } else if (a.startsWith('--config=')) file = a.slice('--config='.length);
    else rest.push(a);
  }
  return { file, rest };
}

/** Rejects flags that name no key, so a typo is an error and not a silent default. */
function checkFlags(argv: readonly string[], keys: Set<string>): void {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const name = a.slice(2).split('=')[0]!;
    if (!keys.has(name)) throw new ConfigError(`unknown option --${name}; see --help for the keys`, { key: name });
    if (!a.includes('=')) i++;
  }
}

/**
 * Loads, validates and freezes the config. Throws a ConfigError whose message names the key, the value
 * and what was expected (secrets are masked).
 */
export function loadConfig<T>(schema: Schema, opts: LoadOptions = {}): Readonly<T> {
  const argv = opts.argv ?? process.argv.slice(2);
  const env = opts.env ?? process.env;
  const { file, rest } = splitConfigFlag(argv);
  const entries = describeSchema(schema);
  checkFlags(rest, new Set(entries.map((e) => e.key)));
  let cfg: convict.Config<any>;
  try {
    cfg = convict(withSources(schema), { args: rest as string[], env: env as Record<string, string> });
  } catch (err) {
    throw new ConfigError(`configuration is invalid: ${(err as Error).message}`, { cause: err });
  }
  if (file !== undefined) {
    if (!existsSync(file)) throw new ConfigError(`config file ${file} does not exist`, { key: 'config' });
    let doc: unknown;
    try {
      // Parsed here, not by convict's loadFile, so a `__proto__` key is refused before convict merges it.
      doc = parseJson(readFileSync(file, 'utf8'), `config file ${file}`);
      cfg.load(doc);
    } catch (err) {
      if (err instanceof JsonError) throw new ConfigError(err.message, { key: err.path ?? 'config', cause: err });
      throw new ConfigError(`config file ${file} could not be read: ${(err as Error).message}`, { key: 'config', cause: err });
    }
  }
  try {
    // Object-valued keys given as JSON in the environment or on the command line are external JSON too.
    assertSafeKeys(cfg.getProperties(), 'configuration');
    cfg.validate({ allowed: 'strict' });
  } catch (err) {
    if (err instanceof JsonError && err.path !== undefined) throw new ConfigError(err.message, { key: err.path, cause: err });
    const sensitive = new Set(entries.filter((e) => e.sensitive).map((e) => e.key));
    const msg = withRawValues((err as Error).message, rest, env, sensitive);
    const key = /^([\w.]+):/.exec(msg)?.[1];
    throw new ConfigError(`invalid configuration: ${msg}`, key === undefined ? { cause: err } : { key, cause: err });
  }
  return deepFreeze(cfg.getProperties()) as Readonly<T>;
}

/** The value as the user wrote it on the command line or in the environment, if they did. */
function rawValueOf(key: string, argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (let i = argv.length - 1; i >= 0; i--) {
    const a = argv[i]!;
    if (a === `--${key}`) return argv[i + 1];
    if (a.startsWith(`--${key}=`)) return a.slice(key.length + 3);
  }
  return env[envNameFor(key)];
}

/**
 * convict omits the value when coercion turned it into something falsy (NaN for "lots"); put back what
 * the user wrote so the message names key, value and expectation. Sensitive keys stay masked.
 */
function withRawValues(message: string, argv: readonly string[], env: NodeJS.ProcessEnv, sensitive: Set<string>): string {
  return message
    .split('\n')
    .map((line) => {
      const key = /^([\w.]+):/.exec(line)?.[1];
      if (key === undefined || line.includes('value was') || sensitive.has(key)) return line;
      const raw = rawValueOf(key, argv, env);
      return raw === undefined ? line : `${line}: value was ${JSON.stringify(raw)}`;
    })
    .join('\n');
}

/**
 * Validates a whole config object (a remote desired config merged over the local one) against the
 * schema, strictly; returns it frozen. Throws a ConfigError naming the first failing key.
 */
export function validateConfigObject<T>(schema: Schema, value: Record<string, unknown>): Readonly<T> {
  const unsafe = findUnsafeKey(value);
  if (unsafe !== undefined) throw new ConfigError(`${unsafe} is a forbidden key (__proto__, constructor and prototype are refused)`, { key: unsafe });
  let cfg: convict.Config<any>;
  try {
    cfg = convict(schema, { args: [], env: {} });
    cfg.load(value);
    cfg.validate({ allowed: 'strict' });
  } catch (err) {
    // convict echoes the whole value; a DBC text (ingest.canDbc) can be half a megabyte: keep the head
    const msg = (err as Error).message.replace(/(: value was )(.*)$/gm, (all, head: string, v: string) => (v.length > 200 ? `${head}${v.slice(0, 200)}… (${v.length} characters)` : all));
    const key = /^([\w.]+):/.exec(msg)?.[1] ?? /'([\w.]+)' not declared/.exec(msg)?.[1];
    throw new ConfigError(`invalid configuration: ${msg}`, key === undefined ? { cause: err } : { key, cause: err });
  }
  return deepFreeze(cfg.getProperties()) as Readonly<T>;
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Text for --help: one block per key with its flag, env var, default and doc. */
export function formatConfigHelp(schema: Schema): string {
  return describeSchema(schema)
    .map((e) => {
      const def = e.sensitive ? '(secret)' : JSON.stringify(e.default);
      return `  ${e.flag} <${typeWords(e.format)}>\n      ${e.doc}\n      env ${e.env}, default ${def}`;
    })
    .join('\n');
}
