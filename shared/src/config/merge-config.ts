/**
 * Desired config precedence, lowest first: `all` < each of the gateway's groups in the order the
 * registry lists them < the gateway's own document. Objects merge key by key; anything else (arrays
 * included) is replaced whole by the higher layer. Pure.
 */
export function mergeConfig(layers: ReadonlyArray<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) mergeInto(out, layer);
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeInto(target: Record<string, unknown>, src: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(src)) {
    if (isPlain(v) && isPlain(target[k])) mergeInto(target[k] as Record<string, unknown>, v);
    else target[k] = isPlain(v) ? structuredClone(v) : Array.isArray(v) ? structuredClone(v) : v;
  }
}
