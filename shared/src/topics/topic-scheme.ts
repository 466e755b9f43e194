import { TopicError } from '../errors/topic-error.js';
import { validateId } from './topic-id.js';

/**
 * Every topic Causeway speaks, as a value. The first level is the server-side queue (see
 * docs/wire-contract.md); the remaining levels name the source or the target.
 */
export type CausewayTopic =
  // uplink: gateway → cloud
  | { kind: 'telemetry'; gateway: string; device: string; stream: string }
  | { kind: 'events'; gateway: string; device: string; type: string }
  | { kind: 'cmd-result'; gateway: string; device: string; commandId: string }
  | { kind: 'config-reported'; gateway: string }
  | { kind: 'status'; gateway: string }
  | { kind: 'file-req'; gateway: string; reqId: string }
  | { kind: 'cert-req'; gateway: string }
  // downlink: cloud → gateway
  | { kind: 'cmd'; gateway: string; device: string; commandId: string }
  | { kind: 'cmd-group'; group: string; commandId: string }
  | { kind: 'cmd-all'; commandId: string }
  | { kind: 'config'; gateway: string }
  | { kind: 'file-chunk'; gateway: string; reqId: string }
  | { kind: 'cert'; gateway: string };

export type TopicKind = CausewayTopic['kind'];

/** The id fields of each kind, in topic order after the first level. */
const LAYOUT: { readonly [K in TopicKind]: readonly string[] } = {
  telemetry: ['gateway', 'device', 'stream'],
  events: ['gateway', 'device', 'type'],
  'cmd-result': ['gateway', 'device', 'commandId'],
  'config-reported': ['gateway'],
  status: ['gateway'],
  cmd: ['gateway', 'device', 'commandId'],
  'cmd-group': ['group', 'commandId'],
  'cmd-all': ['commandId'],
  config: ['gateway'],
  'file-req': ['gateway', 'reqId'],
  'file-chunk': ['gateway', 'reqId'],
  'cert-req': ['gateway'],
  cert: ['gateway'],
};

const LABEL: Record<string, string> = {
  gateway: 'gateway id',
  device: 'device id',
  stream: 'stream name',
  type: 'event type',
  commandId: 'command id',
  group: 'group name',
  reqId: 'request id',
};

/** Uplink kinds (what a gateway publishes) and downlink kinds (what it subscribes to). */
export const UPLINK_KINDS: readonly TopicKind[] = ['telemetry', 'events', 'cmd-result', 'config-reported', 'status', 'file-req', 'cert-req'];
export const DOWNLINK_KINDS: readonly TopicKind[] = ['cmd', 'cmd-group', 'cmd-all', 'config', 'file-chunk', 'cert'];

export function isTopicKind(s: string): s is TopicKind {
  return Object.hasOwn(LAYOUT, s);
}

/** Builds the topic string, validating every id segment. */
export function formatTopic(t: CausewayTopic): string {
  const fields = LAYOUT[t.kind];
  const parts: string[] = [t.kind];
  for (const f of fields) {
    const v = (t as unknown as Record<string, unknown>)[f];
    validateId(v, LABEL[f] ?? f);
    parts.push(v);
  }
  return parts.join('/');
}

/** Parses a topic string into a CausewayTopic; throws a TopicError naming what is wrong. */
export function parseTopic(topic: string): CausewayTopic {
  const parts = topic.split('/');
  const kind = parts[0]!;
  if (!isTopicKind(kind)) throw new TopicError('TOPIC_UNKNOWN', `"${kind}" is not a Causeway queue (topic "${topic}")`);
  const fields = LAYOUT[kind];
  if (parts.length !== fields.length + 1) {
    throw new TopicError('TOPIC_INVALID', `${kind} topics have ${fields.length + 1} levels (${[kind, ...fields.map((f) => `{${f}}`)].join('/')}), got "${topic}"`);
  }
  const out: Record<string, string> = { kind };
  fields.forEach((f, i) => {
    const v = parts[i + 1]!;
    validateId(v, LABEL[f] ?? f);
    out[f] = v;
  });
  return out as unknown as CausewayTopic;
}

/** Non-throwing parse. */
export function tryParseTopic(topic: string): CausewayTopic | undefined {
  try {
    return parseTopic(topic);
  } catch {
    return undefined;
  }
}

/**
 * The filters a gateway subscribes to for its downlink: its own commands, its groups' commands, the
 * broadcast, its desired config, the answers to its chunk requests (issue 17) and to its certificate
 * renewals (issue 20).
 */
export function downlinkFilters(gateway: string, groups: readonly string[] = []): string[] {
  validateId(gateway, 'gateway id');
  return [
    `cmd/${gateway}/+/+`,
    ...groups.map((g) => {
      validateId(g, 'group name');
      return `cmd-group/${g}/+`;
    }),
    'cmd-all/+',
    `config/${gateway}`,
    `file-chunk/${gateway}/+`,
    `cert/${gateway}`,
  ];
}

/** Is this one of the command filters of `downlinkFilters` (its own, a group's, the broadcast)? */
export function isCommandFilter(filter: string): boolean {
  return filter.startsWith('cmd/') || filter.startsWith('cmd-group/') || filter.startsWith('cmd-all/');
}
