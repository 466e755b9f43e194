import { CausewayError } from '@causeway/shared';
import type { CliCommand, CliContext } from '../cli-context.js';
import { OUTPUT_FLAGS, outputFormat, parseCommand, str, strs, unknownAction, type CommandSpec } from '../command-spec.js';
import { table } from '../table.js';
import { when } from '../time-format.js';

const CLAIMS: CommandSpec = {
  name: 'claims',
  summary: 'claim tokens gateways register themselves with on first boot',
  usage: [
    'causeway claims create [--ttl 7d] [--uses N] [--group G]… [--tag k=v]… [--approval]   (prints the token once)',
    'causeway claims list [-o table|json]',
    'causeway claims revoke ID   (also rejects its registrations waiting for approval)',
    'causeway claims pending [--all] [-o table|json]   (registrations waiting for approval)',
    'causeway claims approve GATEWAY',
    'causeway claims reject GATEWAY [--reason TEXT]',
  ],
  flags: {
    ttl: { type: 'string', value: 'DURATION', help: 'create: how long the token is valid (90m, 12h, 7d; default 7d)' },
    uses: { type: 'string', value: 'N', help: 'create: how many gateways may register with it (default 1)' },
    group: { type: 'string', multiple: true, value: 'G', help: 'create: groups each registered gateway joins' },
    tag: { type: 'string', multiple: true, value: 'k=v', help: 'create: tags each registered gateway gets' },
    approval: { type: 'boolean', help: 'create: each registration waits for an operator (claims pending, approve, reject)' },
    all: { type: 'boolean', help: 'pending: also the approved and rejected requests' },
    reason: { type: 'string', value: 'TEXT', help: 'reject: why, told to the gateway' },
    ...OUTPUT_FLAGS,
  },
  examples: ['causeway claims create --uses 200 --ttl 30d --group north --tag batch=2026-12 --approval', 'causeway claims approve rpi-00000000a1b2c3d4'],
  actions: ['create', 'list', 'revoke', 'pending', 'approve', 'reject'],
};

const print = (ctx: CliContext, v: unknown): void => ctx.out(JSON.stringify(v, null, 2) + '\n');

/** Pure: "90m", "12h", "7d", "3600" (seconds) → seconds. */
export function parseTtl(s: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(s);
  if (m === null) throw new CausewayError('USAGE', `--ttl wants a duration like 90m, 12h or 7d, got "${s}"`);
  return Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2]!]!;
}

/** `causeway claims`: /v1/claims (issue 20). */
export const claimsCommand: CliCommand = {
  spec: CLAIMS,
  async run(ctx, argv) {
    const { values, positionals } = parseCommand(CLAIMS, argv);
    const [action = 'list', id] = positionals;
    const fmt = outputFormat(values);
    switch (action) {
      case 'create': {
        const tags: Record<string, string> = {};
        for (const t of strs(values.tag) ?? []) {
          const eq = t.indexOf('=');
          if (eq <= 0) throw new CausewayError('USAGE', `--tag wants key=value, got "${t}"`);
          tags[t.slice(0, eq)] = t.slice(eq + 1);
        }
        const uses = Number(str(values.uses) ?? 1);
        if (!Number.isSafeInteger(uses) || uses < 1) throw new CausewayError('USAGE', `--uses must be a whole number ≥ 1, got "${str(values.uses)}"`);
        const body = { ttlSeconds: parseTtl(str(values.ttl) ?? '7d'), maxUses: uses, groups: strs(values.group) ?? [], tags, ...(values.approval === true ? { approval: true } : {}) };
        const r = await ctx.api.call('POST', '/v1/claims', body);
        if (fmt === 'json') print(ctx, r);
        else ctx.out(`created claim ${r.claim.id}: ${r.claim.maxUses} use(s) until ${when(r.claim.expiresAt)}${r.claim.approval === true ? ', each registration waits for approval (causeway claims pending)' : ''}\ntoken (shown once; put it in identity.claimToken): ${r.token}\n`);
        return 0;
      }
      case 'list': {
        const r = await ctx.api.call('GET', '/v1/claims');
        if (fmt === 'json') return print(ctx, r.claims), 0;
        const state = (c: any): string => (c.revoked ? 'revoked' : c.expiresAt <= Date.now() ? 'expired' : c.uses >= c.maxUses ? 'used up' : 'active');
        ctx.out(table(['ID', 'STATE', 'USES', 'APPROVAL', 'EXPIRES', 'GROUPS'], r.claims.map((c: any) => [c.id, state(c), `${c.uses}/${c.maxUses}`, c.approval === true ? 'required' : 'no', when(c.expiresAt), c.groups.join(',') || '-'])));
        return 0;
      }
      case 'revoke':
        if (id === undefined) throw new CausewayError('USAGE', 'causeway claims revoke needs an ID');
        await ctx.api.call('POST', `/v1/claims/${encodeURIComponent(id)}/revoke`);
        ctx.out(`revoked claim ${id}\n`);
        return 0;
      case 'pending': {
        const r = await ctx.api.call('GET', values.all === true ? '/v1/registrations' : '/v1/registrations?state=pending');
        if (fmt === 'json') return print(ctx, r.registrations), 0;
        // CERTIFICATE: it asked with a CSR (identity.csr), so approving it signs a certificate and gives no secret.
        ctx.out(table(['GATEWAY', 'STATE', 'CLAIM', 'CERTIFICATE', 'REQUESTED', 'FROM', 'GROUPS', 'REASON'], r.registrations.map((g: any) => [g.gateway, g.state, g.claimId, g.certificate === true ? 'yes' : 'no', when(g.requestedAt), g.source, g.groups.join(',') || '-', g.reason ?? '-'])));
        return 0;
      }
      case 'approve':
      case 'reject': {
        if (id === undefined) throw new CausewayError('USAGE', `causeway claims ${action} needs a GATEWAY (causeway claims pending lists them)`);
        const reason = str(values.reason);
        const r = await ctx.api.call('POST', `/v1/registrations/${encodeURIComponent(id)}/${action}`, action === 'reject' && reason !== undefined ? { reason } : {});
        if (fmt === 'json') print(ctx, r);
        else ctx.out(action === 'approve' ? `approved ${id}: registered; it connects at its next request\n` : `rejected ${id}; it is told so at its next request and stops asking\n`);
        return 0;
      }
      default:
        throw unknownAction(CLAIMS, action);
    }
  },
};
