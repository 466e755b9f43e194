import { STATES, type TargetState } from '../control/command-state.js';
import type { ControlChange } from '../control/control-store.js';
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
  const mustGet = async (id: string) => {
    const c = await commands.get(id);
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
      return { command: cmd, counts: await commands.counts(cmd.id) };
    },
    201,
  );

  router.add('GET', '/v1/commands', async ({ query }) => ({ commands: await commands.list(int(queryObject(query), 'limit', 50, 1, 1000)) }));

  router.add('GET', '/v1/commands/:id', async ({ params }) => ({ command: await mustGet(params.id!), counts: await commands.counts(params.id!) }));

  router.add('GET', '/v1/commands/:id/targets', async ({ params, query }) => {
    await mustGet(params.id!);
    const state = str(queryObject(query), 'state');
    if (state !== undefined && !(STATES as readonly string[]).includes(state)) throw new ApiError('API_BAD_REQUEST', `state must be one of ${STATES.join(', ')}`);
    return { targets: await commands.targets(params.id!, state as TargetState | undefined) };
  });

  router.add('POST', '/v1/commands/:id/cancel', async ({ params }) => {
    await mustGet(params.id!);
    return { canceled: await commands.cancel(params.id!), counts: await commands.counts(params.id!) };
  });

  // Server-sent events: every state change of the command's targets (made by any node when the store is
  // shared), counts at most every 200 ms, then `done` when the command is no longer RUNNING.
  router.add('GET', '/v1/commands/:id/stream', async ({ params, res, signal }) => {
    const id = params.id!;
    await mustGet(id);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    const write = (event: string, data: unknown): void => void res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    write('counts', await commands.counts(id));
    let finished = false;
    let stopWatching = (): void => undefined;
    let countsTimer: NodeJS.Timeout | undefined;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(countsTimer);
      stopWatching();
      resolveDone();
    };
    const sendCounts = async (): Promise<void> => {
      const c = await commands.counts(id);
      if (!res.writableEnded && !finished) write('counts', c);
    };
    const complete = async (status: string): Promise<void> => {
      if (finished) return;
      const c = await commands.counts(id);
      if (finished) return;
      write('counts', c);
      write('done', { commandId: id, status });
      finish();
    };
    const onChange = (e: ControlChange): void => {
      if (finished) return;
      if (e.kind === 'command') {
        void complete(e.status).catch(finish);
        return;
      }
      const { kind: _kind, ...target } = e;
      write('target', target);
      // Counts are a query over every target: at most every 200 ms, not per change.
      countsTimer ??= setTimeout(() => {
        countsTimer = undefined;
        void sendCounts().catch(finish);
      }, 200);
    };
    signal.addEventListener('abort', finish, { once: true });
    stopWatching = await commands.watch(id, onChange);
    // Watching started after the first read: a command that finished in between is done now.
    const c = (await commands.get(id))!;
    if (c.status !== 'RUNNING') await complete(c.status);
    if (finished) stopWatching();
    await done;
    res.end();
    return undefined;
  }, { stream: true });

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
  router.add('GET', '/v1/config/gateways/:gateway', async ({ params, query }) => {
    const at = queryObject(query).version;
    const eff = at === undefined ? await config.effective(params.gateway!) : await config.effectiveAt(params.gateway!, int(queryObject(query), 'version', 1, 1, Number.MAX_SAFE_INTEGER));
    if (eff === undefined) throw new ApiError('API_NOT_FOUND', `no desired config applies to ${params.gateway}`);
    return eff;
  });
  // A dry run of PUT's checks (the agent's schema): the console shows the messages before saving (issue 18).
  router.add('POST', '/v1/config/validate', async ({ body }) => {
    const cfg = body.config;
    if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw new ApiError('API_BAD_REQUEST', 'config must be a JSON object');
    config.validate(cfg as Record<string, unknown>);
    return { ok: true };
  });
  router.add('GET', '/v1/config/status', async () => ({ gateways: await config.status() }));
  router.add('GET', '/v1/config/history', async ({ query }) => ({ history: await config.history(int(queryObject(query), 'limit', 50, 1, 1000)) }));
}

