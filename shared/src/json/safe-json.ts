import { JsonError } from '../errors/json-error.js';

/**
 * Keys refused in every JSON (and CBOR) document a Causeway program accepts from outside: merged into
 * an ordinary object, `__proto__` replaces its prototype and `constructor.prototype` reaches
 * `Object.prototype` — one stored config then broke every later request and every restart (issue 23
 * item 2). No Causeway document uses them, so refusing them costs nothing.
 */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

interface Node {
  value: unknown;
  parent: Node | undefined;
  key: string | number;
}

/** `a.b[2].c`, built only for the key that is refused (the walk runs on every envelope). */
function pathOf(node: Node | undefined, key: string, root: string): string {
  const parts: Array<string | number> = [key];
  for (let n = node; n !== undefined && n.parent !== undefined; n = n.parent) parts.push(n.key);
  let out = root;
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i]!;
    out = typeof p === 'number' ? `${out}[${p}]` : out === '' ? p : `${out}.${p}`;
  }
  return out;
}

/**
 * The path of the first unsafe key in an already-decoded value (`a.b[2].__proto__`), or undefined.
 * Walks with an explicit stack, so a deeply nested value cannot overflow the call stack. Pure.
 */
export function findUnsafeKey(value: unknown, root = ''): string | undefined {
  const stack: Node[] = [{ value, parent: undefined, key: '' }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.value;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) if (v[i] !== null && typeof v[i] === 'object') stack.push({ value: v[i], parent: node, key: i });
      continue;
    }
    // Object.keys sees an own `__proto__` (JSON.parse and cborg create one rather than calling the setter).
    const keys = Object.keys(v);
    for (const k of keys) if (UNSAFE_KEYS.has(k)) return pathOf(node, k, root);
    for (let i = keys.length - 1; i >= 0; i--) {
      const c = (v as Record<string, unknown>)[keys[i]!];
      if (c !== null && typeof c === 'object') stack.push({ value: c, parent: node, key: keys[i]! });
    }
  }
  return undefined;
}

/**
 * Throws a JsonError (`JSON_UNSAFE_KEY`) naming the first unsafe key of an already-decoded value (a
 * CBOR envelope, a stored document, a config object). `what` says what the value is, for the message.
 */
export function assertSafeKeys(value: unknown, what: string, root = ''): void {
  const path = findUnsafeKey(value, root);
  if (path !== undefined) {
    throw new JsonError('JSON_UNSAFE_KEY', `${what} has a forbidden key at ${path} (__proto__, constructor and prototype are refused)`, { path });
  }
}

/**
 * JSON.parse for input from outside: throws a JsonError — `JSON_MALFORMED` when the text does not
 * parse, `JSON_UNSAFE_KEY` naming the path of a `__proto__`, `constructor` or `prototype` key at any
 * depth — and nothing else.
 *
 * @example
 * const body = parseJson(text, 'request body'); // {"config":{"__proto__":{}}} → JSON_UNSAFE_KEY at config.__proto__
 */
export function parseJson(text: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new JsonError('JSON_MALFORMED', `${what} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  assertSafeKeys(value, what);
  return value;
}
