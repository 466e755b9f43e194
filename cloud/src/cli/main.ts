#!/usr/bin/env node
import { runProgram, CausewayError, didYouMean } from '@causeway/shared';
import { ApiClient, clientOptions } from './api-client.js';
import type { CliCommand } from './cli-context.js';
import { formatCommandHelp } from './command-spec.js';
import { configCommand } from './commands/config.js';
import { devicesCommand, groupsCommand } from './commands/devices.js';
import { consumeCommand, queuesCommand } from './commands/queues.js';
import { commandsCommand, sendCommand } from './commands/send.js';
import { appsCommand } from './commands/apps.js';
import { sinksCommand } from './commands/sinks.js';
import { gatewaysCommand } from './commands/gateways.js';
import { claimsCommand } from './commands/claims.js';
import { bundleCommand, diagnoseCommand, logsCommand } from './commands/remote-diagnostics.js';

import { fileCommand, keysCommand, releaseCommand, rolloutCommand } from './commands/artifacts.js';

/** Every command, in the order `causeway --help` lists them. */
const COMMANDS: CliCommand[] = [devicesCommand, groupsCommand, gatewaysCommand, claimsCommand, queuesCommand, consumeCommand, sendCommand, commandsCommand, configCommand, appsCommand, sinksCommand, keysCommand, fileCommand, releaseCommand, rolloutCommand, logsCommand, bundleCommand, diagnoseCommand];
const byName = new Map(COMMANDS.map((c) => [c.spec.name, c]));

const GLOBAL = { url: { type: 'string' }, token: { type: 'string' }, 'token-file': { type: 'string' } } as const;

const USAGE = `causeway [--url URL] [--token T | --token-file F] <command> …

Commands:
${COMMANDS.map((c) => `  ${c.spec.name.padEnd(9)} ${c.spec.summary}`).join('\n')}

Run causeway <command> --help for a command's flags and examples.

Examples:
  causeway --token-file /var/lib/causeway/operator-token devices list
  causeway send reboot --device gw-7 --wait

The API URL defaults to http://127.0.0.1:8080 (env CAUSEWAY_API_URL); the operator token comes from
--token, --token-file, CAUSEWAY_TOKEN or CAUSEWAY_TOKEN_FILE (causeway-cloud writes it to
<store.path>/operator-token).`;

/** Splits global flags from the command and its arguments; a global flag after the command is the command's. */
function split(argv: string[]): { globals: Record<string, string | undefined>; command: string | undefined; rest: string[] } {
  const globals: Record<string, string | undefined> = {};
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) break;
    const [flag, inline] = a.split(/=(.*)/s, 2) as [string, string | undefined];
    const name = flag.replace(/^--/, '');
    if (!(name in GLOBAL)) {
      if (flag === '--help' || flag === '-h' || flag === '--version' || flag === '-V') continue;
      throw new CausewayError('USAGE', `unknown flag ${flag}${didYouMean(flag, Object.keys(GLOBAL).map((n) => `--${n}`))} (global flags go before the command; see causeway --help)`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new CausewayError('USAGE', `${flag} needs a value`);
    globals[name] = value;
  }
  return { globals, command: argv[i], rest: argv.slice(i + 1) };
}

/** `causeway <command> … --help` prints that command's help; `causeway --help` the overview. */
function helpFor(argv: string[]): string | undefined {
  try {
    const { command } = split(argv.filter((a) => a !== '--help' && a !== '-h'));
    const c = command === undefined ? undefined : byName.get(command);
    return c === undefined ? undefined : formatCommandHelp(c.spec);
  } catch {
    return undefined;
  }
}

await runProgram({ name: 'causeway', summary: 'operator CLI for the Causeway cloud', usage: USAGE, helpFor, subcommandVersionFlag: true }, async (argv) => {
  const { globals, command, rest } = split(argv);
  if (command === undefined) throw new CausewayError('USAGE', 'no command given; see causeway --help');
  const c = byName.get(command);
  if (c === undefined) throw new CausewayError('USAGE', `unknown command "${command}"${didYouMean(command, [...byName.keys()])} (see causeway --help)`);
  // The token is read when the first request goes out, so usage mistakes are reported without one.
  const api = new ApiClient(() => clientOptions({ url: globals.url, token: globals.token, tokenFile: globals['token-file'] }, process.env));
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  return c.run({ api, out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s), isTty: process.stdout.isTTY === true, signal: ac.signal }, rest);
});
