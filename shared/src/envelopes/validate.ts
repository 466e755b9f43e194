import { DecodeError } from '../errors/decode-error.js';
import { findUnsafeKey } from '../json/safe-json.js';
import { isValidId } from '../topics/topic-id.js';
import {
  COMMAND_RESULT_STATUSES,
  CONTRACT_VERSION,
  type Envelope,
  type Reading,
} from './types.js';

type Obj = Record<string, unknown>;

function bad(msg: string): never {
  throw new DecodeError('BAD_TYPE', msg);
}

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
function str(o: Obj, k: string, where: string): string {
  if (typeof o[k] !== 'string') bad(`${where}.${k} must be a string`);
  return o[k] as string;
}
function id(o: Obj, k: string, where: string): void {
  if (!isValidId(o[k])) bad(`${where}.${k} must be a valid id (non-empty, ≤128 bytes, no + # /, control or bidi characters, not . or .., no leading $ or edge whitespace)`);
}
function int(o: Obj, k: string, where: string, min = 0): void {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) bad(`${where}.${k} must be an integer ≥ ${min}`);
}
function optStr(o: Obj, k: string, where: string): void {
  if (o[k] !== undefined && typeof o[k] !== 'string') bad(`${where}.${k} must be a string when present`);
}
function optObj(o: Obj, k: string, where: string): void {
  if (o[k] !== undefined && !isObj(o[k])) bad(`${where}.${k} must be an object when present`);
}

function num(o: Obj, k: string, where: string): void {
  if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) bad(`${where}.${k} must be a finite number`);
}

/** status.health (issue 20): numbers where the cloud compares, bounded lists. */
function health(h: Obj): void {
  const w = 'status.health';
  for (const k of ['uptimeSeconds', 'evictions', 'expiries', 'diskFreeBytes', 'memFreeBytes', 'rssBytes', 'configVersion']) num(h, k, w);
  if (!isObj(h.outbox)) bad(`${w}.outbox must be an object`);
  for (const k of ['records', 'bytes', 'oldestAgeSeconds']) num(h.outbox, k, `${w}.outbox`);
  if (!Array.isArray(h.ports) || h.ports.length > 256) bad(`${w}.ports must be an array of at most 256 ports`);
  for (const p of h.ports as unknown[]) {
    if (!isObj(p)) bad(`${w}.ports[] must be objects`);
    str(p, 'path', `${w}.ports[]`);
    str(p, 'device', `${w}.ports[]`);
    if (typeof p.open !== 'boolean') bad(`${w}.ports[].open must be a boolean`);
  }
  if (h.lastUplinkError !== undefined) {
    if (!isObj(h.lastUplinkError)) bad(`${w}.lastUplinkError must be an object`);
    str(h.lastUplinkError, 'message', `${w}.lastUplinkError`);
    num(h.lastUplinkError, 'at', `${w}.lastUplinkError`);
  }
}

function reading(r: unknown, where: string): asserts r is Reading {
  if (!isObj(r)) bad(`${where} must be an object`);
  int(r, 'seq', where);
  int(r, 'ts', where);
  const v = r.value;
  const ok = v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
  if (!ok) bad(`${where}.value must be a finite number, string, boolean or null`);
  optStr(r, 'unit', where);
  if (r.quality !== undefined) int(r, 'quality', where);
}

/**
 * Checks that an already-decoded value is a valid envelope of the current contract version. Throws a
 * DecodeError (never anything else) naming the first field that is wrong.
 */
export function validateEnvelope(x: unknown): Envelope {
  if (!isObj(x)) bad('envelope must be an object');
  // A config envelope's document is checked by the gateway's config validation instead, so the gateway
  // can report it REJECTED naming the key rather than drop it unseen (issue 23 item 2).
  const unsafe = findUnsafeKey(x.type === 'config' && Object.hasOwn(x, 'config') ? { ...x, config: null } : x);
  if (unsafe !== undefined) throw new DecodeError('UNSAFE_KEY', `envelope has a forbidden key at ${unsafe} (__proto__, constructor and prototype are refused)`);
  if (x.v !== CONTRACT_VERSION) {
    throw new DecodeError('UNKNOWN_VERSION', `envelope version ${JSON.stringify(x.v)} is not supported (this build speaks v${CONTRACT_VERSION})`);
  }
  const t = x.type;
  const w = typeof t === 'string' ? t : 'envelope';
  switch (t) {
    case 'batch': {
      id(x, 'id', w);
      id(x, 'gateway', w);
      id(x, 'device', w);
      id(x, 'stream', w);
      if (!Array.isArray(x.readings) || x.readings.length === 0) bad('batch.readings must be a non-empty array');
      (x.readings as unknown[]).forEach((r, i) => reading(r, `batch.readings[${i}]`));
      break;
    }
    case 'reading':
      id(x, 'id', w);
      id(x, 'gateway', w);
      id(x, 'device', w);
      id(x, 'stream', w);
      reading(x, 'reading');
      break;
    case 'event':
      id(x, 'id', w);
      id(x, 'gateway', w);
      id(x, 'device', w);
      id(x, 'event', w);
      if (!['info', 'warning', 'alarm', 'critical'].includes(x.severity as string)) bad('event.severity must be info, warning, alarm or critical');
      int(x, 'ts', w);
      optObj(x, 'data', w);
      break;
    case 'command':
      id(x, 'id', w);
      id(x, 'name', w);
      if (!isObj(x.args)) bad('command.args must be an object');
      if (x.device !== undefined) id(x, 'device', w);
      int(x, 'issuedAt', w);
      if (x.expiresAt !== undefined) int(x, 'expiresAt', w);
      break;
    case 'command-result':
      id(x, 'id', w);
      id(x, 'commandId', w);
      id(x, 'gateway', w);
      id(x, 'device', w);
      if (!COMMAND_RESULT_STATUSES.includes(x.status as never)) bad(`command-result.status must be one of ${COMMAND_RESULT_STATUSES.join(', ')}`);
      int(x, 'ts', w);
      optStr(x, 'error', w);
      break;
    case 'config':
      int(x, 'version', w, 1);
      int(x, 'issuedAt', w);
      if (!isObj(x.config)) bad('config.config must be an object');
      break;
    case 'config-reported':
      id(x, 'id', w);
      id(x, 'gateway', w);
      int(x, 'version', w);
      if (!['APPLIED', 'REJECTED', 'ROLLED_BACK'].includes(x.status as string)) bad('config-reported.status must be APPLIED, REJECTED or ROLLED_BACK');
      int(x, 'ts', w);
      if (x.error !== undefined) {
        if (!isObj(x.error)) bad('config-reported.error must be an object');
        str(x.error, 'message', 'config-reported.error');
        optStr(x.error, 'key', 'config-reported.error');
      }
      break;
    case 'status':
      id(x, 'gateway', w);
      if (typeof x.online !== 'boolean') bad('status.online must be a boolean');
      int(x, 'ts', w);
      optStr(x, 'agentVersion', w);
      optObj(x, 'health', w);
      if (x.health !== undefined) health(x.health as Obj);
      break;
    default:
      bad(`unknown envelope type ${JSON.stringify(t)}`);
  }
  return x as unknown as Envelope;
}
