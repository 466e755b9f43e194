import type { ApiClient } from './api-client.js';
import type { CommandSpec } from './command-spec.js';

/** What every command gets from main.ts: the API, stdout/stderr writers, whether stdout is a terminal, Ctrl-C. */
export interface CliContext {
  api: ApiClient;
  out: (s: string) => void;
  err: (s: string) => void;
  isTty: boolean;
  signal: AbortSignal;
}

/** A command as main.ts registers it: its spec (help, flags) and what it runs. */
export interface CliCommand {
  spec: CommandSpec;
  run: (ctx: CliContext, argv: string[]) => Promise<number>;
}
