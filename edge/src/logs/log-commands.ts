import { CausewayError, describeSchema, packageVersion } from '@causeway/shared';
import type { BuiltinCommand } from '../commands/contract.js';
import type { EdgeConfig } from '../config/schema.js';
import { edgeSchema } from '../config/schema.js';
import type { JournalSource } from './journal-source.js';
import type { LogRing } from './log-ring.js';
import { LOG_LIMITS, selectLogs } from './log-query.js';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

function refuse(message: string): never {
  throw new CausewayError('COMMAND_INVALID', message);
}

/** Pure: the config with every sensitive key (schema `sensitive: true`) masked; what the bundle shows. */
export function maskedConfig(cfg: EdgeConfig): Record<string, unknown> {
  const copy = structuredClone(cfg) as unknown as Record<string, unknown>;
  for (const e of describeSchema(edgeSchema)) {
    if (!e.sensitive) continue;
    const path = e.key.split('.');
    let o: Record<string, unknown> | undefined = copy;
    for (const k of path.slice(0, -1)) o = o?.[k] as Record<string, unknown> | undefined;
    const last = path.at(-1)!;
    if (o !== undefined && typeof o[last] === 'string' && o[last] !== '') o[last] = '[redacted]';
  }
  // LAN sensor passwords inside the ingest lists are not schema leaves: mask them by name.
  return JSON.parse(JSON.stringify(copy, (k, v) => (/pass(word)?|secret|token|key$/i.test(k) && typeof v === 'string' && v !== '' ? '[redacted]' : v))) as Record<string, unknown>;
}

/**
 * The `logs` and `support-bundle` built-ins (issue 20), answered over the command channel, so a gateway
 * offline when asked answers when it returns (within the command's TTL). Every answer is bounded
 * (LOG_LIMITS); a request over the bounds is REJECTED naming the limit, never cut silently.
 *
 * `logs` reads the agent's journal when it has one (journal-source.ts: a systemd service with journalctl),
 * else its log ring; when reading the journal fails it answers from the ring and says why
 * (`journalError`). The answer names its `source`: `journald` or `ring`. Journal lines are masked like
 * the ring's (`mask`: the literal credentials), since stdout carried them unmasked.
 */
export function logCommands(o: { ring: LogRing | undefined; journal?: JournalSource | undefined; mask?: (line: string) => string; config: () => EdgeConfig; status: () => Record<string, unknown>; now?: () => number }): Record<string, BuiltinCommand> {
  const now = o.now ?? Date.now;
  const mask = o.mask ?? ((l: string) => o.ring?.mask(l) ?? l);
  const ring = (why?: string): LogRing => o.ring ?? refuse(`this agent keeps no log ring (log.ringBytes is 0)${why === undefined ? '' : ` and ${why}`}`);
  return {
    logs: async (args) => {
      const sinceSeconds = args.sinceSeconds ?? 3600;
      if (typeof sinceSeconds !== 'number' || !(sinceSeconds >= 0)) refuse('sinceSeconds must be a number ≥ 0');
      const level = args.level ?? 'info';
      if (!LEVELS.includes(level as never)) refuse(`level must be one of ${LEVELS.join(', ')}`);
      const maxLines = args.maxLines ?? 1000;
      if (typeof maxLines !== 'number' || !Number.isInteger(maxLines) || maxLines < 1 || maxLines > LOG_LIMITS.maxLines) refuse(`maxLines must be from 1 to ${LOG_LIMITS.maxLines}`);
      const maxBytes = args.maxBytes ?? LOG_LIMITS.maxBytes;
      if (typeof maxBytes !== 'number' || maxBytes < 1024 || maxBytes > LOG_LIMITS.maxBytes) refuse(`maxBytes must be from 1024 to ${LOG_LIMITS.maxBytes} (the answer travels as one message)`);
      const q = { sinceMs: now() - sinceSeconds * 1000, level: level as (typeof LEVELS)[number], maxLines, maxBytes };
      let journalError: string | undefined;
      if (o.journal !== undefined) {
        try {
          const lines = await o.journal.read({ sinceMs: q.sinceMs, level: q.level, maxLines });
          return { ...selectLogs(lines.map(mask), q), source: 'journald' };
        } catch (err) {
          journalError = (err as Error).message;
        }
      }
      return { ...selectLogs(ring(journalError).lines(), q), source: 'ring', ...(journalError === undefined ? {} : { journalError }) };
    },
    'support-bundle': async (args) => {
      const lines = args.lines ?? 200;
      if (typeof lines !== 'number' || !Number.isInteger(lines) || lines < 0 || lines > 1000) refuse('lines must be from 0 to 1000');
      const q = { sinceMs: 0, level: 'debug' as const, maxLines: Math.max(1, lines), maxBytes: 32 * 1024 };
      let logs: (ReturnType<typeof selectLogs> & { source: string; journalError?: string }) | undefined;
      let journalError: string | undefined;
      if (o.journal !== undefined && lines > 0) {
        try {
          logs = { ...selectLogs((await o.journal.read({ sinceMs: 0, level: 'debug', maxLines: q.maxLines })).map(mask), q), source: 'journald' };
        } catch (err) {
          journalError = (err as Error).message;
        }
      }
      if (logs === undefined && o.ring !== undefined) logs = { ...selectLogs(o.ring.lines(), q), source: 'ring', ...(journalError === undefined ? {} : { journalError }) };
      return {
        generatedAt: new Date(now()).toISOString(),
        versions: { agent: packageVersion(), node: process.versions.node, platform: `${process.platform} ${process.arch}` },
        config: maskedConfig(o.config()),
        status: o.status(),
        ...(logs === undefined || lines === 0 ? {} : { logs }),
      };
    },
  };
}
