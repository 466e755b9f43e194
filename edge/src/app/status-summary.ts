/**
 * `causeway-edge status` for people: the agent's snapshot as a short summary (issue 24); `--json` keeps
 * the raw document for scripts. Pure (now is given).
 */
export function statusSummary(s: any, now = Date.now()): string {
  const ago = (ms: number): string => {
    const sec = Math.max(0, Math.round((now - ms) / 1000));
    return sec < 60 ? `${sec}s ago` : sec < 3600 ? `${Math.floor(sec / 60)}m ago` : sec < 86400 ? `${Math.floor(sec / 3600)}h ago` : `${Math.floor(sec / 86400)}d ago`;
  };
  const counts = (o: Record<string, unknown> | undefined): string => {
    const parts = Object.entries(o ?? {}).filter(([, v]) => typeof v === 'number' && v !== 0).map(([k, v]) => `${k} ${v}`);
    return parts.length === 0 ? 'none' : parts.join(', ');
  };
  const mib = (b: number): string => (b < 1024 * 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${(b / 1024 / 1024).toFixed(1)} MiB`);
  const link = s.link ?? {};
  const out = s.outbox ?? {};
  const rows: Array<[string, string]> = [
    ['Gateway', `${s.gateway} (causeway-edge ${s.version ?? '?'})`],
    ['Link', `${link.connected ? 'connected' : 'DISCONNECTED'}; last upload ${link.lastAckAt === undefined ? 'never' : ago(link.lastAckAt)}; ${link.acked ?? 0} batches acked, ${link.inflight ?? 0} in flight, ${link.resent ?? 0} resent, ${link.connects ?? 0} connects`],
    ['Outbox', `${out.records ?? 0} records (${mib(out.bytes ?? 0)})${out.oldestAgeSeconds === undefined ? '' : `, oldest ${Math.round(out.oldestAgeSeconds)}s`}`],
    ['Dropped', `evicted: ${counts(out.evicted)}; expired: ${counts(out.expired)}${out.rejectedFull ? `; refused (full): ${out.rejectedFull}` : ''}`],
    ['Config', `version ${s.config?.version ?? 0}`],
    ['Commands', counts(s.commands)],
    ['Ingest', counts(s.ingest)],
    ['Ports', (s.ports ?? []).map((p: { device: string; path: string; open?: boolean }) => `${p.device} on ${p.path}${p.open === false ? ' (closed)' : ''}`).join(', ') || 'none'],
  ];
  // What the heartbeat reports to the cloud (issue 20), where it adds to the lines above.
  const h = s.health;
  if (h !== undefined) {
    rows.push(['Host', `up ${Math.round(h.uptimeSeconds)}s; disk free ${h.diskFreeBytes < 0 ? 'unknown' : mib(h.diskFreeBytes)}; memory free ${mib(h.memFreeBytes)}, agent RSS ${mib(h.rssBytes)}`]);
    if (h.lastUplinkError !== undefined) rows.push(['Last error', `${h.lastUplinkError.message} (${ago(h.lastUplinkError.at)})`]);
  }
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${(k + ':').padEnd(w + 1)} ${v}`).join('\n') + '\n';
}
