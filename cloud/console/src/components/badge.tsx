/** A state as text and colour (the text carries it; the colour only helps). */
export function Badge({ kind, children }: { kind: 'ok' | 'bad' | 'warn' | 'muted'; children: string }) {
  return <span class={`badge badge-${kind}`}>{children}</span>;
}

export function Online({ online }: { online: boolean }) {
  return online ? <Badge kind="ok">online</Badge> : <Badge kind="bad">offline</Badge>;
}

const GOOD = new Set(['SUCCEEDED', 'APPLIED', 'COMPLETED']);
const BAD = new Set(['FAILED', 'REJECTED', 'TIMED_OUT', 'EXPIRED', 'ROLLED_BACK', 'ABORTED']);

export function StateBadge({ state }: { state: string | undefined }) {
  if (state === undefined) return <Badge kind="muted">—</Badge>;
  return <Badge kind={GOOD.has(state) ? 'ok' : BAD.has(state) ? 'bad' : state === 'CANCELED' ? 'muted' : 'warn'}>{state}</Badge>;
}
