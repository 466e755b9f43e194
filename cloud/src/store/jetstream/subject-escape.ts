/**
 * MQTT topics ↔ NATS subjects (issue 9): `/` → `.`, `+` → `*`, `#` → `>`.
 *
 * NATS reserves `.` (token separator), `*` and `>` (wildcards) and whitespace, and forbids empty tokens,
 * while an MQTT level may hold any UTF-8 except NUL and may be empty (`a//b`, `/a`). JetStream KV keys are
 * stricter still (`[-/_=.a-zA-Z0-9]`). So every level is escaped into the one alphabet both accept:
 * `[A-Za-z0-9_-]` stay as they are, every other byte of the level's UTF-8 becomes `=XX` (upper-case hex),
 * and an empty level becomes a lone `=`. The mapping is reversible and never produces `*`, `>` or `.`
 * inside a token, so a published topic can never be taken for a wildcard. The same escaped tokens serve
 * as stream subjects and as KV keys, so a KV bucket can be listed with a subject filter.
 *
 * @example
 * topicToTokens('telemetry/gw-1/dev.1/temp') // 'telemetry.gw-1.dev=2E1.temp'
 * filterToPatterns('a/#')                     // ['a', 'a.>']  (MQTT `#` also matches the parent level)
 */

const PLAIN = /^[A-Za-z0-9_-]$/;
const ESCAPED = /^(?:[A-Za-z0-9_-]|=[0-9A-F]{2})+$/;

/** Escapes one MQTT level (or any string) into a single NATS token. */
export function escapeToken(level: string): string {
  if (level === '') return '=';
  let out = '';
  for (const ch of level) {
    if (PLAIN.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Inverse of escapeToken; throws on a token escapeToken cannot have produced. */
export function unescapeToken(token: string): string {
  if (token === '=') return '';
  if (!ESCAPED.test(token)) throw new RangeError(`not an escaped token: ${JSON.stringify(token)}`);
  const bytes: number[] = [];
  for (let i = 0; i < token.length; ) {
    if (token[i] === '=') {
      bytes.push(parseInt(token.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(token.charCodeAt(i));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** An MQTT topic name as dot-separated escaped tokens (no prefix). */
export function topicToTokens(topic: string): string {
  return topic.split('/').map(escapeToken).join('.');
}

/** Inverse of topicToTokens. */
export function tokensToTopic(tokens: string): string {
  return tokens.split('.').map(unescapeToken).join('/');
}

/**
 * The NATS subject patterns (no prefix) that together match what an MQTT filter matches. `#` matches
 * its parent level too [MQTT-4.7.1-2], which NATS `>` does not, so `a/#` needs `a` as well as `a.>`.
 * `$`-topics must not match a leading wildcard [MQTT-4.7.2-1]; NATS knows nothing of that rule, so callers
 * post-filter with matchTopic.
 */
export function filterToPatterns(filter: string): string[] {
  const levels = filter.split('/');
  const tokens = levels.map((l) => (l === '+' ? '*' : l === '#' ? '>' : escapeToken(l)));
  if (levels[levels.length - 1] !== '#') return [tokens.join('.')];
  if (levels.length === 1) return ['>'];
  return [tokens.slice(0, -1).join('.'), tokens.join('.')];
}

/** `prefix.tokens`, or just the tokens when the prefix is empty. */
export function withPrefix(prefix: string, tokens: string): string {
  return prefix === '' ? tokens : `${prefix}.${tokens}`;
}
