import { parseArgs } from 'node:util';
import { CausewayError } from '../../../../shared/src/errors/causeway-error.js';
import type { ApiClient } from '../api-client.js';
import { table } from '../table.js';

export const APPS_HELP = `causeway apps list [--json]
causeway apps add NAME [--read telemetry,events|*] [--publish FILTER]…   (prints the app's token once)
causeway apps show|revoke NAME`;

const list = (s: string | undefined): string[] => (s === undefined ? [] : s.split(',').map((x) => x.trim()).filter(Boolean));

/** `causeway apps`: scoped credentials for backend apps (POST /v1/apps, docs/api.md). */
export async function appsCommand(api: ApiClient, argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { read: { type: 'string' }, publish: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  });
  const [action = 'list', name] = positionals;
  const needName = (): string => {
    if (name === undefined) throw new CausewayError('USAGE', `causeway apps ${action} needs a NAME`);
    return encodeURIComponent(name);
  };
  const print = (v: unknown): void => out(JSON.stringify(v, null, 2) + '\n');
  switch (action) {
    case 'list': {
      const r = await api.call('GET', '/v1/apps');
      if (values.json) print(r.apps);
      else out(table(['NAME', 'READ', 'PUBLISH', 'ENABLED'], r.apps.map((a: any) => [a.name, a.read.join(',') || '-', a.publish.join(' ') || '-', a.enabled])));
      return 0;
    }
    case 'add': {
      needName();
      const r = await api.call('POST', '/v1/apps', { name, read: list(values.read), publish: values.publish ?? [] });
      if (values.json) print(r);
      else out(`created app ${r.app.name}\ntoken (shown once, store it now): ${r.token}\n`);
      return 0;
    }
    case 'show':
      print(await api.call('GET', `/v1/apps/${needName()}`));
      return 0;
    case 'revoke':
      await api.call('DELETE', `/v1/apps/${needName()}`);
      out(`revoked ${name}\n`);
      return 0;
    default:
      throw new CausewayError('USAGE', `unknown apps action "${action}"\n\n${APPS_HELP}`);
  }
}
