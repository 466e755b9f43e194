/** A config document as dotted keys → JSON values (`{uplink:{inflight:2}}` → `uplink.inflight` = `2`). Pure. */
export function flatten(doc: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    const entries = Object.entries(doc as Record<string, unknown>);
    if (entries.length === 0 && prefix !== '') out.set(prefix, '{}');
    for (const [k, v] of entries) flatten(v, prefix === '' ? k : `${prefix}.${k}`, out);
  } else if (prefix !== '') out.set(prefix, JSON.stringify(doc));
  return out;
}

/**
 * `causeway config diff`: the keys that differ between two documents, sorted, as `- key: old` and
 * `+ key: new` lines (a changed key has both). Empty when they are the same. Pure.
 */
export function diffDocs(a: unknown, b: unknown): string[] {
  const fa = flatten(a);
  const fb = flatten(b);
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  const lines: string[] = [];
  for (const k of keys) {
    const va = fa.get(k);
    const vb = fb.get(k);
    if (va === vb) continue;
    if (va !== undefined) lines.push(`- ${k}: ${va}`);
    if (vb !== undefined) lines.push(`+ ${k}: ${vb}`);
  }
  return lines;
}

/** `uplink.inflight=2, log.level="debug"` — a document on one line for `config history`. Pure. */
export function oneLine(doc: unknown): string {
  return [...flatten(doc)].map(([k, v]) => `${k}=${v}`).join(', ') || '{}';
}
