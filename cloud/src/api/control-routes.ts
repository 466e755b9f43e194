import { isTerminal, STATES, type TargetState } from '../control/command-state.js';
import type { CommandService, CommandTarget } from '../control/command-service.js';
import type { ConfigScope, ConfigService } from '../control/config-service.js';
import { ApiError } from './http-status.js';
import { bool, int, queryObject, str } from './params.js';
import type { Router } from './router.js';

function targetOf(body: Record<string, unknown>): CommandTarget {
  const device = str(body, 'device');
  const group = str(body, 'group');
  const all = bool(body, 'all');
  const n = [device !== undefined, group !== undefined, all === true].filter(Boolean).length;
  if (n !== 1) throw new ApiError('API_BAD_REQUEST', 'give exactly one of device, group or all: true');
  return device !== undefined ? { device } : group !== undefined ? { group } : { all: true };
}

/** /v1/commands and /v1/config. */
export function controlRoutes(router: Router, commands: CommandService, config: ConfigService): void {
  const mustGet = (id: string) => {
    const c = commands.get(id);
    if (c === undefined) throw new ApiError('API_NOT_FOUND', `no command ${id}`);
    return c;
  };

  router.add(
    'POST',
    '/v1/commands',
    async ({ body }) => {
      const name = str(body, 'name');
      if (name === undefined) throw new ApiError('API_BAD_REQUEST', 'name is required');
      const args = body.args ?? {};
      if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new ApiError('API_BAD_REQUEST', 'args must be a JSON object');
      const rate = body.rolloutPerMinute;
      const abort = body.abortThresholdPercent;
      const cmd = await commands.create({
        name,
        args: args as Record<string, unknown>,
        target: targetOf(body),
        ttlSeconds: int(body, 'ttlSeconds', 3600, 1, 30 * 86400),
        ...(rate === undefined ? {} : { rolloutPerMinute: Number(rate) }),
        ...(abort === undefined ? {} : { abortThresholdPercent: Number(abort) }),
      });
      return { command: cmd, counts: commands.counts(cmd.id) };
    },
    201,
  );

  router.add('GET', '/v1/commands', async ({ query }) => ({ commands: commands.list(int(queryObject(query), 'limit', 50, 1, 1000)) }));

  router.add('GET', '/v1/commands/:id', async ({ params }) => ({ command: mustGet(params.id!), counts: commands.counts(params.id!) }));

  router.add('GET', '/v1/commands/:id/targets', async ({ params, query }) => {
    mustGet(params.id!);
    const state = str(queryObject(query), 'state');
    if (state !== undefined && !(STATES as readonly string[]).includes(state)) throw new ApiError('API_BAD_REQUEST', `state must be one of ${STATES.join(', ')}`);
    return { targets: commands.targets(params.id!, state as TargetState | undefined) };
  });

  router.add('POST', '/v1/commands/:id/cancel', async ({ params }) => {
    mustGet(params.id!);
    return { canceled: commands.cancel(params.id!), counts: commands.counts(params.id!) };
  });

  // Server-sent events: every state change of the command's targets, then `done` when all are terminal.
  router.add('GET', '/v1/commands/:id/stream', async ({ params, res, signal }) => {
    const id = params.id!;
    mustGet(id);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    const write = (event: string, data: unknown): void => void res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    write('counts', commands.counts(id));
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(countsTimer);
        commands.off('target', onTarget);
        commands.off('command', onCommand);
        resolve();
      };
      // Counts are a query over every target: send them at most every 200 ms, not per change.
      let countsTimer: NodeJS.Timeout | undefined;
      const onTarget = (e: { commandId: string }): void => {
        if (e.commandId !== id) return;
        write('target', e);
        countsTimer ??= setTimeout(() => {
          countsTimer = undefined;
          if (!res.writableEnded) write('counts', commands.counts(id));
        }, 200);
      };
      const onCommand = (e: { commandId: string; status: string }): void => {
        if (e.commandId !== id) return;
        write('counts', commands.counts(id));
        write('done', e);
        finish();
      };
      commands.on('target', onTarget);
      commands.on('command', onCommand);
      signal.addEventListener('abort', finish, { once: true });
      const c = commands.get(id)!;
      if (c.status !== 'RUNNING' || commands.targets(id).every((t) => isTerminal(t.state))) {
        write('done', { commandId: id, status: c.status });
        finish();
      }
    });
    res.end();
    return undefined;
  });

  const scopes: Array<[string, (p: Record<string, string>) => ConfigScope]> = [
    ['/v1/config/gateways/:gateway', (p) => ({ gateway: p.gateway! })],
    ['/v1/config/groups/:group', (p) => ({ group: p.group! })],
    ['/v1/config/all', () => ({ all: true })],
  ];
  for (const [path, scope] of scopes) {
    router.add('PUT', path, async ({ params, body }) => {
      const cfg = body.config;
      if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw new ApiError('API_BAD_REQUEST', 'config must be a JSON object');
      return config.setDesired(scope(params), cfg as Record<string, unknown>);
    });
  }
  router.add('GET', '/v1/config/gateways/:gateway', async ({ params }) => {
    const eff = await config.effective(params.gateway!);
    if (eff === undefined) throw new ApiError('API_NOT_FOUND', `no desired config applies to ${params.gateway}`);
    return eff;
  });
  router.add('GET', '/v1/config/status', async () => ({ gateways: config.status() }));
}

