/**
 * What a nats-server holds, from its HTTP monitoring endpoints (/varz, /jsz): to say where its memory
 * goes in a benchmark (streams and KV buckets, messages, bytes, consumers).
 */
export interface NatsStreamState {
  name: string;
  messages: number;
  bytes: number;
  consumers: number;
}

export interface NatsSummary {
  /** the server's own RSS figure (/varz mem), bytes */
  memBytes: number;
  /** core connections (causeway nodes hold one each) */
  connections: number;
  streams: NatsStreamState[];
}

interface Jsz {
  account_details?: Array<{ stream_detail?: Array<{ name: string; state: { messages: number; bytes: number; consumer_count: number } }> }>;
}

/** The summary of the body of /varz and /jsz?streams=true (pure, for tests). */
export function parseNatsSummary(varz: { mem?: number; connections?: number }, jsz: Jsz): NatsSummary {
  const streams: NatsStreamState[] = [];
  for (const a of jsz.account_details ?? []) {
    for (const s of a.stream_detail ?? []) streams.push({ name: s.name, messages: s.state.messages, bytes: s.state.bytes, consumers: s.state.consumer_count });
  }
  streams.sort((x, y) => x.name.localeCompare(y.name));
  return { memBytes: varz.mem ?? NaN, connections: varz.connections ?? NaN, streams };
}

/** Reads both endpoints (5 s timeout each); undefined when the server does not answer. */
export async function natsSummary(monitorUrl: string): Promise<NatsSummary | undefined> {
  try {
    const get = async (path: string): Promise<unknown> => (await fetch(`${monitorUrl}${path}`, { signal: AbortSignal.timeout(5000) })).json();
    return parseNatsSummary((await get('/varz')) as { mem?: number }, (await get('/jsz?streams=true')) as Jsz);
  } catch {
    return undefined;
  }
}

/** "causeway_log 51,000 msgs 20.1 MB, KV_causeway_filters …" */
export function describeStreams(s: NatsSummary): string {
  return s.streams.map((x) => `${x.name} ${x.messages.toLocaleString('en-US')} msgs ${(x.bytes / 1e6).toFixed(1)} MB${x.consumers > 0 ? ` ${x.consumers} consumers` : ''}`).join(', ');
}
