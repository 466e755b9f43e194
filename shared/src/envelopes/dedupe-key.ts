import { tryDecodeEnvelope } from '../codec/envelope-codec.js';
import { UPLINK_KINDS } from '../topics/topic-scheme.js';

/** What the broker learns of an uplink payload before it stores it. */
export interface DedupeDecision {
  /** `{client}:{envelope id}`: a re-sent batch, event or result with this key is stored once */
  key?: string;
  /** the payload is on an uplink topic but is no envelope (stored as is, counted) */
  undecodable?: string;
}

/**
 * First levels whose envelopes carry a per-gateway id (a status is retained, not deduplicated; a chunk
 * request is no envelope and asking twice is harmless, issue 17; nor is a certificate renewal, issue 20).
 */
const DEDUPED: ReadonlySet<string> = new Set(UPLINK_KINDS.filter((k) => k !== 'status' && k !== 'file-req' && k !== 'cert-req'));

/**
 * Causeway's dedupe rule, given to the broker as a hook (`BrokerOptions.dedupeKey`) so the broker core
 * knows nothing of envelopes (issue 14): an uplink envelope is identified by its gateway's client id and
 * its own id, which a gateway keeps when it re-sends after a crash (docs/wire-contract.md).
 */
export function envelopeDedupeKey(clientId: string, topic: string, payload: Buffer): DedupeDecision {
  if (!DEDUPED.has(topic.split('/', 1)[0]!)) return {};
  const decoded = tryDecodeEnvelope(payload);
  if (!decoded.ok) return { undecodable: decoded.error.code };
  const id = 'id' in decoded.envelope ? decoded.envelope.id : undefined;
  return typeof id === 'string' ? { key: `${clientId}:${id}` } : {};
}
