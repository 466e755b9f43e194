#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runProgram } from '../../../shared/src/cli/program.js';
import { CausewayError } from '../../../shared/src/errors/causeway-error.js';
import { ApiClient, clientOptions } from './api-client.js';
import { DEVICES_HELP, devicesCommand, groupsCommand } from './commands/devices.js';
import { QUEUES_HELP, consumeCommand, queuesCommand } from './commands/queues.js';
import { SEND_HELP, commandsCommand, configCommand, sendCommand } from './commands/send.js';
import { APPS_HELP, appsCommand } from './commands/apps.js';

const USAGE = `causeway [--url URL] [--token T | --token-file F] <command> …

${DEVICES_HELP}
${QUEUES_HELP}
${SEND_HELP}
${APPS_HELP}

The API URL defaults to http://127.0.0.1:8080 (env CAUSEWAY_API_URL); the operator token comes from
--token, --token-file, CAUSEWAY_TOKEN or CAUSEWAY_TOKEN_FILE.`;

await runProgram({ name: 'causeway', summary: 'operator CLI for the Causeway cloud', usage: USAGE }, async (argv) => {
  const { values, tokens } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: { url: { type: 'string' }, token: { type: 'string' }, 'token-file': { type: 'string' } },
  });
  // Global flags come before the command; everything from the command on belongs to it.
  const first = tokens.find((t) => t.kind === 'positional');
  if (first === undefined) throw new CausewayError('USAGE', `no command given\n\n${USAGE}`);
  const command = argv[first.index]!;
  const rest = argv.slice(first.index + 1);
  const api = new ApiClient(clientOptions({ url: values.url as string | undefined, token: values.token as string | undefined, tokenFile: values['token-file'] as string | undefined }, process.env));
  const out = (s: string): void => void process.stdout.write(s);
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  switch (command) {
    case 'devices':
      return devicesCommand(api, rest, out);
    case 'groups':
      return groupsCommand(api, out);
    case 'queues':
      return queuesCommand(api, out);
    case 'consume':
      return consumeCommand(api, rest, out, ac.signal);
    case 'send':
      return sendCommand(api, rest, out, process.stdout.isTTY === true, ac.signal);
    case 'commands':
      return commandsCommand(api, rest, out);
    case 'config':
      return configCommand(api, rest, out);
    case 'apps':
      return appsCommand(api, rest, out);
    default:
      throw new CausewayError('USAGE', `unknown command "${command}"\n\n${USAGE}`);
  }
});
