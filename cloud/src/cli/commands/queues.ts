import { parseArgs } from 'node:util';
import { CausewayError } from '../../../../shared/src/errors/causeway-error.js';
import type { ApiClient } from '../api-client.js';
import { table } from '../table.js';

export const QUEUES_HELP = `causeway queues
causeway consume QUEUE --group G [--mode clustering|broadcasting] [--filter /gw1/+/temp] [--member M] [--count N] [--json]`;

export async function queuesCommand(api: ApiClient, out: (s: string) => void): Promise<number> {
  const r = await api.call('GET', '/v1/queues');
  const rows: Array<Array<string | number>> = [];
  for (const q of r.queues) {
    rows.push([q.queue, '', q.nextOffset - q.firstOffset, '']);
    for (const g of q.groups) rows.push(['', `${g.group} (${g.mode})`, '', g.lag ?? '']);
  }
  out(table(['QUEUE', 'GROUP', 'MESSAGES', 'LAG'], rows));
  return 0;
}

/**
 * Tails a queue as a consumer group over the SSE endpoint: one line per message. Stops after --count
 * messages, or on Ctrl-C.
 */
export async function consumeCommand(api: ApiClient, argv: string[], out: (s: string) => void, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      group: { type: 'string' },
      mode: { type: 'string' },
      filter: { type: 'string' },
      member: { type: 'string' },
      count: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const queue = positionals[0];
  if (queue === undefined || values.group === undefined) throw new CausewayError('USAGE', `consume needs a QUEUE and --group\n${QUEUES_HELP}`);
  const limit = values.count === undefined ? Infinity : Number(values.count);
  if (!(limit > 0)) throw new CausewayError('USAGE', '--count must be a positive number');
  const q = new URLSearchParams({ member: values.member ?? `cli-${process.pid}` });
  if (values.mode) q.set('mode', values.mode);
  if (values.filter) q.set('filter', values.filter);
  const ac = new AbortController();
  signal?.addEventListener('abort', () => ac.abort(), { once: true });
  let n = 0;
  try {
    for await (const m of api.events(`/v1/queues/${encodeURIComponent(queue)}/groups/${encodeURIComponent(values.group)}/stream?${q}`, ac.signal)) {
      if (values.json) out(JSON.stringify(m) + '\n');
      else {
        const body = m.envelope !== undefined ? JSON.stringify(m.envelope) : Buffer.from(m.payloadBase64, 'base64').toString('utf8');
        out(`${m.offset}\t${m.topic}\t${m.properties.clientId ?? '-'}\t${body}\n`);
      }
      if (++n >= limit) break;
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    ac.abort();
  }
  return 0;
}
