/**
 * Reads a value out of a decoded JSON payload by a dotted path: `""` is the whole document,
 * `env.temp`, `sensors.0.value` or `sensors[0].value`. Returns undefined when any step is missing.
 * Pure; no expressions, filters or wildcards (a mapping names one value).
 */
export function readJsonPath(doc: unknown, path: string): unknown {
  if (path === '') return doc;
  const steps = path.replace(/\[(\d+)\]/g, '.$1').split('.').filter((s) => s !== '');
  let cur: unknown = doc;
  for (const s of steps) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(s)) return undefined;
      cur = cur[Number(s)];
    } else {
      if (!Object.hasOwn(cur, s)) return undefined;
      cur = (cur as Record<string, unknown>)[s];
    }
  }
  return cur;
}

/** `{2}` in a template → level 2 (1-based) of the topic the message came on. Null if a level is missing. */
export function fillTopicTemplate(template: string, topic: string): string | null {
  const levels = topic.split('/');
  let missing = false;
  const out = template.replace(/\{(\d+)\}/g, (_m, n: string) => {
    const v = levels[Number(n) - 1];
    if (v === undefined || v === '') missing = true;
    return v ?? '';
  });
  return missing ? null : out;
}
