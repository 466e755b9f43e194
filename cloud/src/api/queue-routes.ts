import { validateId, joinQueue, splitQueue, ROOT_QUEUE, UPLINK_KINDS } from '@causeway/shared';
import type { GroupMode } from '../queues/consumer-group.js';
import type { GroupSpec } from '../queues/queue-service.js';
import { serverQueue } from '@causeway/broker';
import type { ApiDeps } from './api-deps.js';
import { DEAD_LETTER_QUEUE } from '../sinks/dead-letter.js';
import { checkGroupName, checkRawPublishTopic, mayPublish, mayRead } from './app-access.js';
import { ApiError } from './http-status.js';
import { int, numArray, queryObject, reqStr, str } from './params.js';
import { renderMessage } from './render.js';
import type { RequestContext, Router } from './router.js';

/**
/**
 * The server-side queues every deployment has: the first levels of what gateways publish (one list:
 * shared's topic scheme), `_root`, which topics with an empty first level feed (`/sensors/x`, issue 15),
 * and the dead-letter queue of the sinks (issue 21).
 */
export const KNOWN_QUEUES: readonly string[] = [...UPLINK_KINDS, ROOT_QUEUE, DEAD_LETTER_QUEUE];

/** The group a request names; an app must have been granted the queue. */
function specOf(ctx: RequestContext, src: Record<string, unknown>): GroupSpec {
  checkGroupName(ctx.params.group!);
  mayRead(ctx.principal, ctx.params.queue!);
  const mode = (str(src, 'mode') ?? 'clustering') as GroupMode;
  if (mode !== 'clustering' && mode !== 'broadcasting') throw new ApiError('API_BAD_REQUEST', 'mode must be clustering or broadcasting');
  const filter = str(src, 'filter');
  return { queue: ctx.params.queue!, group: ctx.params.group!, mode, ...(filter === undefined ? {} : { filter }) };
}

/** /v1/queues: consumer groups for backend apps (pull, ack, seek, lag, stream) and sending through a queue. */
export function queueRoutes(router: Router, deps: ApiDeps): void {
  const { queues, log } = deps;

  router.add('GET', '/v1/queues', async () => {
    const out = [];
    for (const q of KNOWN_QUEUES) {
      const groups = [];
      for (const g of queues.groups().filter((s) => s.queue === q)) groups.push({ ...g, ...(g.mode === 'clustering' ? await queues.lag(g) : {}) });
      out.push({ queue: q, nextOffset: await log.nextOffset(serverQueue(q)), firstOffset: await log.firstOffset(serverQueue(q)), groups });
    }
    return { queues: out };
  });

  router.add('GET', '/v1/queues/:queue/groups/:group', async (ctx) => {
    const q = queryObject(ctx.query);
    const spec = specOf(ctx, q);
    return { ...spec, ...(await queues.lag(spec, str(q, 'member') ?? 'default')) };
  }, { apps: true });

  router.add('POST', '/v1/queues/:queue/groups/:group/pull', async (ctx) => {
    const spec = specOf(ctx, ctx.body);
    const member = str(ctx.body, 'member') ?? 'default';
    const max = int(ctx.body, 'max', 100, 1, 10_000);
    const waitMs = int(ctx.body, 'waitMs', 0, 0, 60_000);
    const msgs = await queues.pull(spec, member, max, waitMs, ctx.signal);
    return { messages: msgs.map(renderMessage) };
  }, { apps: true });

  router.add('POST', '/v1/queues/:queue/groups/:group/ack', async (ctx) => {
    const spec = specOf(ctx, ctx.body);
    const member = str(ctx.body, 'member') ?? 'default';
    return { acked: await queues.ack(spec, member, numArray(ctx.body, 'offsets')) };
  }, { apps: true });

  router.add('POST', '/v1/queues/:queue/groups/:group/seek', async (ctx) => {
    const spec = specOf(ctx, ctx.body);
    const member = str(ctx.body, 'member') ?? 'default';
    const to = ctx.body.offset !== undefined ? { offset: int(ctx.body, 'offset', 1, 1, Number.MAX_SAFE_INTEGER) } : ctx.body.time !== undefined ? { time: int(ctx.body, 'time', 0, 0, Number.MAX_SAFE_INTEGER) } : undefined;
    if (to === undefined) throw new ApiError('API_BAD_REQUEST', 'give offset or time (ms since the epoch)');
    return { offset: await queues.seek(spec, member, to) };
  }, { apps: true });

  // Server-sent events: each message is written, then acked once the write was flushed to the socket.
  router.add('GET', '/v1/queues/:queue/groups/:group/stream', async (ctx) => {
    const q = queryObject(ctx.query);
    const spec = specOf(ctx, q);
    const member = str(q, 'member') ?? 'default';
    ctx.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    ctx.res.write(': stream open\n\n');
    while (!ctx.signal.aborted) {
      const msgs = await queues.pull(spec, member, 100, 15_000, ctx.signal);
      if (msgs.length === 0) {
        ctx.res.write(': keep-alive\n\n');
        continue;
      }
      const text = msgs.map((m) => `id: ${m.offset}\nevent: message\ndata: ${JSON.stringify(renderMessage(m))}\n\n`).join('');
      const flushed = await new Promise<boolean>((resolve) => ctx.res.write(text, (err) => resolve(!err)));
      if (!flushed) break;
      await queues.ack(spec, member, msgs.map((m) => m.offset));
    }
    ctx.res.end();
    return undefined;
  }, { apps: true, stream: true });

  // Raw publish on an application topic: the properties name it. Commands and config have their own routes.
  router.add(
    'POST',
    '/v1/queues/:queue/messages',
    async (ctx) => {
      if (deps.publish === undefined) throw new ApiError('API_BAD_REQUEST', 'this node cannot publish');
      const queue = ctx.params.queue!;
      validateId(queue, 'queue name');
      const real = str(ctx.body, 'mqttRealTopic');
      const topic = real ?? joinQueue(queue, reqStr(ctx.body, 'mqttSecondTopic'));
      if (splitQueue(topic).queue !== queue) throw new ApiError('API_BAD_REQUEST', `mqttRealTopic ${topic} is not in queue ${queue}`);
      checkRawPublishTopic(topic);
      mayPublish(ctx.principal, topic);
      const qos = int(ctx.body, 'qoslevel', 1, 0, 2) as 0 | 1 | 2;
      const encoding = str(ctx.body, 'encoding') ?? 'utf8';
      if (encoding !== 'utf8' && encoding !== 'base64') throw new ApiError('API_BAD_REQUEST', 'encoding must be utf8 or base64');
      const payload = Buffer.from(reqStr(ctx.body, 'payload'), encoding);
      // An app publishes as itself; only the operator may name another publisher.
      const clientId = ctx.principal.kind === 'app' ? ctx.principal.id : (str(ctx.body, 'clientId') ?? 'api');
      await deps.publish({ topic, payload, qos, clientId });
      return { topic, bytes: payload.length };
    },
    { status: 202, apps: true },
  );
}
