import assert from 'node:assert/strict';
import { feedKey, FleetFeed } from '../../src/api/fleet-feed.js';

describe('cloud/api/fleet-feed', () => {
  it('keys a page by its parameters, whatever their order', () => {
    assert.equal(feedKey(new URLSearchParams('state=online&group=a')), feedKey(new URLSearchParams('group=a&state=online')));
    assert.notEqual(feedKey(new URLSearchParams('group=a')), feedKey(new URLSearchParams('group=b')));
  });

  it('computes each distinct page once per tick, for every stream showing it', async () => {
    const computed: string[] = [];
    let n = 0;
    // a timer that never fires on its own here: the test drives the ticks
    const feed = new FleetFeed(async (q) => (computed.push(q.toString()), { page: q.get('group'), n: n++ }), 1e9);
    const got: Record<string, string[]> = { a1: [], a2: [], b: [] };
    const sub = (name: string) => ({ value: (j: string) => void got[name]!.push(j), error: (e: unknown) => assert.fail(String(e)) });
    const stopA1 = feed.subscribe(new URLSearchParams('group=a&offset=0'), sub('a1'));
    const stopA2 = feed.subscribe(new URLSearchParams('offset=0&group=a'), sub('a2'));
    const stopB = feed.subscribe(new URLSearchParams('group=b'), sub('b'));
    assert.equal(feed.pages, 2);
    await feed.tick();
    await feed.tick();
    assert.equal(computed.length, 4, 'two pages, two ticks: four computations, not six');
    assert.deepEqual(got.a1, got.a2, 'both streams of page a got the same values');
    assert.equal(got.a1!.length, 2);
    assert.equal(JSON.parse(got.b![0]!).page, 'b');
    stopA1();
    stopA2();
    assert.equal(feed.pages, 1);
    stopB();
    assert.equal(feed.pages, 0);
    await feed.tick();
    assert.equal(computed.length, 4, 'nothing computed without a subscriber');
  });

  it('reports a failed computation to the page\'s subscribers and tries again on the next tick', async () => {
    let fail = true;
    const feed = new FleetFeed(async () => {
      if (fail) throw Object.assign(new Error('registry down'), { code: 'IO' });
      return { ok: true };
    }, 1e9);
    const events: string[] = [];
    const stop = feed.subscribe(new URLSearchParams(), { value: (j) => void events.push(j), error: (e) => void events.push(`error ${(e as Error).message}`) });
    await feed.tick();
    fail = false;
    await feed.tick();
    assert.deepEqual(events, ['error registry down', '{"ok":true}']);
    stop();
  });
});
