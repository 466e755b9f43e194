import { assertSafeKeys } from '../json/safe-json.js';

/**
 * Desired config precedence, lowest first: `all` < each of the gateway's groups in the order the
 * registry lists them < the gateway's own document. Objects merge key by key; anything else (arrays
 * included) is replaced whole by the higher layer. Pure.
 *
 * The result is built from null-prototype objects, and a layer with a `__proto__`, `constructor` or
 * `prototype` key is refused (JsonError naming the path): a merge into ordinary objects let one stored
 * document pollute `Object.prototype` for the whole process (issue 23 item 2).
 */
export function mergeConfig(layers: ReadonlyArray<Record<string, unknown>>): Record<string, unknown> {
  layers.forEach((layer, i) => assertSafeKeys(layer, `config layer ${i}`));
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const layer of layers) mergeInto(out, layer);
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A copy of a decoded JSON value whose objects have no prototype. */
function copy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copy);
  if (!isPlain(v)) return v;
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [k, x] of Object.entries(v)) out[k] = copy(x);
  return out;
}

function mergeInto(target: Record<string, unknown>, src: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(src)) {
    // Object.hasOwn: only the target's own keys count, never something inherited.
    const cur = Object.hasOwn(target, k) ? target[k] : undefined;
    if (isPlain(v) && isPlain(cur)) mergeInto(cur, v);
    else target[k] = copy(v);
  }
}
