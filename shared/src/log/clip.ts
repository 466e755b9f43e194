/**
 * Bounds what a peer controls before it reaches a log line. An MQTT client id, username or topic may be
 * up to 65,535 bytes; a 60 KB client id was logged whole on every refused CONNECT (issue 23 item 7).
 */

/** Characters kept of an identifier (client id, username) in a log field. */
export const LOG_ID_CHARS = 64;

/** Characters kept of any other string field (the logger's last line of defence). */
export const LOG_FIELD_CHARS = 1024;

/**
 * `s` unchanged when it has at most `max` UTF-16 units, else its first `max` (never half a surrogate
 * pair) followed by `…` and the full length, so an operator still sees that it was long.
 *
 * @example
 * clip('x'.repeat(60_000)); // 'xxxx…x… (60000 chars)' — 64 x's
 */
export function clip(s: string, max = LOG_ID_CHARS): string {
  if (s.length <= max) return s;
  let end = max;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // do not split a surrogate pair
  return `${s.slice(0, end)}… (${s.length} chars)`;
}
