import assert from 'node:assert/strict';
import { OutboundTopicAliases } from '../src/outbound-aliases.js';

describe('broker/outbound-aliases', () => {
  it('assigns 1..maximum in order, and a known topic keeps its alias', () => {
    const a = new OutboundTopicAliases(3);
    assert.equal(a.known('t/a'), 0);
    assert.equal(a.assign('t/a'), 1);
    assert.equal(a.assign('t/b'), 2);
    assert.equal(a.known('t/a'), 1);
    assert.equal(a.known('t/b'), 2);
    assert.equal(a.assign('t/c'), 3);
    assert.equal(a.size, 3);
  });

  it('when all are taken, a topic not used again since the clock passed gives up its alias (second chance)', () => {
    const a = new OutboundTopicAliases(2);
    a.assign('t/a'); // 1
    a.assign('t/b'); // 2
    a.known('t/a'); // t/b is now the least recently used
    assert.equal(a.assign('t/c'), 2);
    assert.equal(a.known('t/b'), 0, 't/b lost its alias');
    assert.equal(a.known('t/a'), 1);
    assert.equal(a.known('t/c'), 2);
    assert.equal(a.size, 2);
  });

  it('a topic used again keeps its alias over one that was used once, even a more recent one', () => {
    const a = new OutboundTopicAliases(3);
    a.assign('t/hot'); // 1
    a.known('t/hot');
    a.assign('t/x'); // 2
    a.assign('t/y'); // 3
    // the clock passes t/hot (clearing its flag) and takes t/x's alias
    assert.equal(a.assign('t/z'), 2);
    assert.equal(a.known('t/hot'), 1);
    assert.equal(a.known('t/x'), 0);
    // t/hot was used again: t/y, then t/z, go before it
    assert.equal(a.assign('t/w'), 3);
    assert.equal(a.known('t/hot'), 1);
    assert.equal(a.size, 3);
  });

  it('never hands out an alias above the maximum or 0', () => {
    const a = new OutboundTopicAliases(5);
    const seen = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const topic = `t/${i % 17}`;
      const alias = a.known(topic) || a.assign(topic);
      assert.ok(alias >= 1 && alias <= 5, `alias ${alias}`);
      seen.add(alias);
    }
    assert.deepEqual([...seen].sort(), [1, 2, 3, 4, 5]);
  });

  it('forget: an alias the client never learnt is freed and reused', () => {
    const a = new OutboundTopicAliases(2);
    a.assign('t/a'); // 1
    a.assign('t/big'); // 2
    a.forget('t/big');
    assert.equal(a.known('t/big'), 0);
    assert.equal(a.assign('t/c'), 2);
    a.forget('t/unknown'); // no effect
    assert.equal(a.size, 2);
  });

  it('maximum 0 assigns nothing; the maximum is capped at 65535', () => {
    assert.equal(new OutboundTopicAliases(0).assign('t/a'), 0);
    assert.equal(new OutboundTopicAliases(1 << 20).maximum, 0xffff);
  });
});
