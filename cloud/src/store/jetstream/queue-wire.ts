import { CausewayError, type MessageProperties } from '@causeway/shared';
import { type GroupSpec, validateGroupSpec } from '../../queues/contract.js';
import type { QueueMessage } from '../../queues/queue-message.js';

/*
 * The protocol between nodes for forwarded queue calls (ClusteredQueues, clustered-queues.ts): a call is one
 * core NATS request to `<prefix>.queues.<owner>`, JSON both ways. Routing (who owns a group, eviction,
 * probes) is ClusteredQueues'; what goes over the wire, and how it is checked, is here.
 */

/** What one node asks the node that runs a group (JSON over a core NATS request). */
export type QueueRequest =
  | { op: 'pull'; spec: GroupSpec; member: string; max: number; waitMs: number }
  | { op: 'ack'; spec: GroupSpec; member: string; offsets: number[] }
  | { op: 'seek'; spec: GroupSpec; member: string; to: { offset: number } | { time: number } }
  | { op: 'lag'; spec: GroupSpec; member: string };

/** A message on the wire between nodes: the payload as base64. */
export interface WireMessage extends Omit<QueueMessage, 'payload'> {
  payload: string;
}

export type Reply = { ok: unknown } | { error: { code: string; message: string } };

/** A liveness probe: any reply (even an error from an older node) means the owner is there. */
export const PING = JSON.stringify({ op: 'ping' });

/** Whether a request body is a liveness probe (PING) rather than a queue call. */
export function isPing(body: unknown): boolean {
  return (body as { op?: unknown } | null)?.op === 'ping';
}

/** The reply to a call that failed: its code when it has one (the caller rethrows it), else QUEUE_FAILED. */
export function errorReply(err: unknown): Reply {
  const code = err instanceof CausewayError ? err.code : 'QUEUE_FAILED';
  return { error: { code, message: err instanceof Error ? err.message : String(err) } };
}

export function toWire(m: QueueMessage): WireMessage {
  return { ...m, payload: m.payload.toString('base64') };
}

export function fromWire(m: WireMessage): QueueMessage {
  return { ...m, properties: m.properties as MessageProperties, payload: Buffer.from(m.payload, 'base64') };
}

/** Checks the shape of a forwarded request (it comes over the network). */
export function parseRequest(v: unknown): QueueRequest {
  const bad = (what: string): never => {
    throw new CausewayError('QUEUE_BAD_REQUEST', `forwarded queue request: ${what}`);
  };
  if (typeof v !== 'object' || v === null) return bad('not an object');
  const r = v as Record<string, unknown>;
  const spec = r.spec as GroupSpec | undefined;
  if (typeof spec !== 'object' || spec === null || (spec.mode !== 'clustering' && spec.mode !== 'broadcasting')) return bad('spec');
  validateGroupSpec(spec);
  if (typeof r.member !== 'string') return bad('member');
  const ints = (x: unknown): boolean => Array.isArray(x) && x.every((n) => Number.isSafeInteger(n));
  switch (r.op) {
    case 'pull':
      if (!Number.isSafeInteger(r.max) || !Number.isSafeInteger(r.waitMs)) return bad('max/waitMs');
      break;
    case 'ack':
      if (!ints(r.offsets)) return bad('offsets');
      break;
    case 'seek': {
      const to = r.to as Record<string, unknown> | undefined;
      if (typeof to !== 'object' || to === null || !(Number.isSafeInteger(to.offset) || Number.isSafeInteger(to.time))) return bad('to');
      break;
    }
    case 'lag':
      break;
    default:
      return bad(`op ${String(r.op)}`);
  }
  return r as unknown as QueueRequest;
}
