/**
 * The Node flags a systemd unit gives its program through `Environment=` (NODE_OPTIONS), so that a
 * benchmark starts a program with the flags its unit starts it with (issue 15: causeway-cloud's young
 * generation is sized there). Pure: the unit's text in, the flags out.
 *
 * @example
 * unitNodeOptions('Environment="NODE_OPTIONS=--max-semi-space-size=8"\n') // ['--max-semi-space-size=8']
 */
export function unitNodeOptions(unitText: string): string[] {
  let value: string | undefined;
  for (const raw of unitText.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('Environment=')) continue;
    const rest = line.slice('Environment='.length);
    // An empty assignment resets the list, as in systemd.
    if (rest === '') value = undefined;
    for (const word of environmentWords(rest)) {
      const eq = word.indexOf('=');
      if (eq > 0 && word.slice(0, eq) === 'NODE_OPTIONS') value = word.slice(eq + 1);
    }
  }
  return value === undefined ? [] : value.split(/\s+/).filter((f) => f !== '');
}

/** `A=1 "B=two words"`: the words of an Environment= line, double or single quotes holding spaces. */
function environmentWords(s: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i >= s.length) break;
    let word = '';
    while (i < s.length && s[i] !== ' ' && s[i] !== '\t') {
      const q = s[i];
      if (q === '"' || q === "'") {
        const end = s.indexOf(q, i + 1);
        if (end < 0) throw new SyntaxError(`unit: unterminated ${q} in Environment=${s}`);
        word += s.slice(i + 1, end);
        i = end + 1;
      } else {
        word += s[i];
        i++;
      }
    }
    words.push(word);
  }
  return words;
}
