import { CausewayError } from '@causeway/shared';
import type { CliCommand, CliContext } from '../cli-context.js';
import { OUTPUT_FLAGS, outputFormat, parseCommand, str, strs, unknownAction, type CommandSpec } from '../command-spec.js';
import { table } from '../table.js';

const APPS: CommandSpec = {
  name: 'apps',
  summary: 'scoped credentials for backend apps: the queues they read, the topics they publish on',
  usage: [
    'causeway apps list [-o table|json|wide]',
    'causeway apps add NAME [--read telemetry,events|*] [--publish FILTER]…   (prints the token once)',
    'causeway apps show NAME [--json]',
    'causeway apps revoke NAME',
  ],
  flags: {
    read: { type: 'string', value: 'q1,q2|*', help: 'add: the server-side queues the app may consume' },
    publish: { type: 'string', multiple: true, value: 'FILTER', help: 'add: a topic filter the app may publish on through the API' },
    ...OUTPUT_FLAGS,
  },
  examples: ['causeway apps add billing --read telemetry --publish "alerts/billing/#"', 'causeway apps revoke billing'],
  actions: ['list', 'add', 'show', 'revoke'],
};

const csv = (s: string | undefined): string[] => (s === undefined ? [] : s.split(',').map((x) => x.trim()).filter(Boolean));
const print = (ctx: CliContext, v: unknown): void => ctx.out(JSON.stringify(v, null, 2) + '\n');

/** `causeway apps`: scoped credentials for backend apps (POST /v1/apps, docs/api.md). */
export const appsCommand: CliCommand = {
  spec: APPS,
  async run(ctx, argv) {
    const { values, positionals } = parseCommand(APPS, argv);
    const [action = 'list', name] = positionals;
    const needName = (): string => {
      if (name === undefined) throw new CausewayError('USAGE', `causeway apps ${action} needs a NAME (see causeway apps --help)`);
      return encodeURIComponent(name);
    };
    const fmt = outputFormat(values);
    switch (action) {
      case 'list': {
        const r = await ctx.api.call('GET', '/v1/apps');
        if (fmt === 'json') print(ctx, r.apps);
        else ctx.out(table(['NAME', 'READ', 'PUBLISH', 'ENABLED'], r.apps.map((a: any) => [a.name, a.read.join(',') || '-', a.publish.join(' ') || '-', a.enabled])));
        return 0;
      }
      case 'add': {
        needName();
        const r = await ctx.api.call('POST', '/v1/apps', { name, read: csv(str(values.read)), publish: strs(values.publish) ?? [] });
        if (fmt === 'json') print(ctx, r);
        else ctx.out(`created app ${r.app.name}\ntoken (shown once, store it now): ${r.token}\n`);
        return 0;
      }
      case 'show':
        print(ctx, await ctx.api.call('GET', `/v1/apps/${needName()}`));
        return 0;
      case 'revoke':
        await ctx.api.call('DELETE', `/v1/apps/${needName()}`);
        ctx.out(`revoked ${name}\n`);
        return 0;
      default:
        throw unknownAction(APPS, action);
    }
  },
};
