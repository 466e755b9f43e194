import assert from 'node:assert/strict';
import { matchTopic } from '@causeway/shared';
import { escapeToken, filterToPatterns, tokensToTopic, topicToTokens, unescapeToken } from '../../src/store/jetstream/subject-escape.js';

/** NATS subject matching, written out here so the mapping is checked against the real semantics. */
function natsMatch(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

describe('jetstream subject escaping', () => {
  const topics: { topic: string; tokens: string }[] = [
    { topic: 'telemetry/gw1/d1/temp', tokens: 'telemetry.gw1.d1.temp' },
    { topic: 'telemetry/gw-1/dev.1/temp', tokens: 'telemetry.gw-1.dev=2E1.temp' },
    { topic: 'a//b', tokens: 'a.=.b' },
    { topic: '/a', tokens: '=.a' },
    { topic: 'a/', tokens: 'a.=' },
    { topic: 'x/*/>', tokens: 'x.=2A.=3E' },
    { topic: '$SYS/x', tokens: '=24SYS.x' },
    { topic: 'sp ace/tab\there', tokens: 'sp=20ace.tab=09here' },
    { topic: 'eq=sign', tokens: 'eq=3Dsign' },
    { topic: 'température/€', tokens: 'temp=C3=A9rature.=E2=82=AC' },
  ];
  for (const c of topics) {
    it(`${JSON.stringify(c.topic)} ↔ ${c.tokens}`, () => {
      assert.equal(topicToTokens(c.topic), c.tokens);
      assert.equal(tokensToTopic(c.tokens), c.topic);
      // every token is valid as a NATS subject token and as a KV key part
      for (const t of c.tokens.split('.')) assert.match(t, /^[-_=A-Za-z0-9]+$/);
    });
  }

  it('rejects tokens it cannot have produced', () => {
    for (const bad of ['', 'a=', 'a=4', 'a=4g', 'a.b', '*', '>', 'a b']) assert.throws(() => unescapeToken(bad), RangeError, bad);
    assert.equal(unescapeToken(escapeToken('')), '');
  });

  const filters: { filter: string; patterns: string[] }[] = [
    { filter: 'a/b', patterns: ['a.b'] },
    { filter: 'a/+', patterns: ['a.*'] },
    { filter: '+/+/c', patterns: ['*.*.c'] },
    { filter: 'a/#', patterns: ['a', 'a.>'] },
    { filter: 'a/+/#', patterns: ['a.*', 'a.*.>'] },
    { filter: '#', patterns: ['>'] },
    { filter: 'dev.1/+', patterns: ['dev=2E1.*'] },
  ];
  for (const c of filters) {
    it(`filter ${c.filter} → ${c.patterns.join(' + ')}`, () => assert.deepEqual(filterToPatterns(c.filter), c.patterns));
  }

  it('matches on subjects exactly what MQTT matches on topics (but $-topics, which callers post-filter)', () => {
    const sample = ['a', 'a/b', 'a/c', 'a/b/c', 'a//c', '/a', 'b/b', 'a/b/c/d', 'dev.1/x', 'x/*'];
    const fs = ['a/b', 'a/+', '+/+/c', 'a/#', 'a/+/#', '#', '+', '+/b', 'dev.1/+', 'x/+', '/+', '+/+'];
    for (const f of fs) {
      for (const t of sample) {
        const viaNats = filterToPatterns(f).some((p) => natsMatch(p, topicToTokens(t)));
        assert.equal(viaNats, matchTopic(f, t), `${f} vs ${t}`);
      }
    }
  });
});
