import type { SinkService } from '../sinks/sink-service.js';
import { ApiError } from './http-status.js';
import { int } from './params.js';
import type { Router } from './router.js';

/** /v1/sinks (operator only): the declarative sinks, their lag, rate, state and last error; pause, resume, replay. */
export function sinkRoutes(router: Router, sinks: SinkService): void {
  router.add('GET', '/v1/sinks', async () => ({ sinks: await sinks.list() }));

  router.add('GET', '/v1/sinks/:name', async (ctx) => sinks.status(ctx.params.name!));

  router.add('POST', '/v1/sinks/:name/pause', async (ctx) => {
    await sinks.pause(ctx.params.name!);
    return sinks.status(ctx.params.name!);
  });

  router.add('POST', '/v1/sinks/:name/resume', async (ctx) => {
    await sinks.resume(ctx.params.name!);
    return sinks.status(ctx.params.name!);
  });

  // Replay: the sink's group moves back (or forward) to an offset or to the first message at/after a time.
  router.add('POST', '/v1/sinks/:name/replay', async (ctx) => {
    const runner = sinks.get(ctx.params.name!);
    const b = ctx.body;
    const to = b.offset !== undefined ? { offset: int(b, 'offset', 1, 1, Number.MAX_SAFE_INTEGER) } : b.time !== undefined ? { time: int(b, 'time', 0, 0, Number.MAX_SAFE_INTEGER) } : undefined;
    if (to === undefined) throw new ApiError('API_BAD_REQUEST', 'give offset or time (ms since the epoch)');
    return { offset: await runner.replay(to) };
  });
}
