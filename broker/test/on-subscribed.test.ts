import assert from 'node:assert/strict';
import { Harness } from './fixtures/harness.js';

describe('broker: onSubscribed (the filters a SUBSCRIBE added to the session)', () => {
  let h: Harness;
  let calls: Array<{ clientId: string; added: readonly string[] }>;
  beforeEach(async () => {
    calls = [];
    h = await new Harness({ onSubscribed: (_who, clientId, added) => void calls.push({ clientId, added }) }).start();
  });
  afterEach(async () => {
    await h.close();
  });

  it('names the new filters once per SUBSCRIBE, after the SUBACK; a filter the persistent session kept is not new', async () => {
    const a = await h.client({ clientId: 'gw-a', clean: false });
    await a.subscribeAsync({ 'cmd/gw-a/+/+': { qos: 1 }, 'cmd-all/+': { qos: 1 } });
    assert.deepEqual(calls, [{ clientId: 'gw-a', added: ['cmd/gw-a/+/+', 'cmd-all/+'] }]);
    await a.subscribeAsync({ 'cmd/gw-a/+/+': { qos: 1 }, 'config/gw-a': { qos: 1 } });
    assert.deepEqual(calls[1], { clientId: 'gw-a', added: ['config/gw-a'] }, 'only what this SUBSCRIBE added');
    await a.endAsync();
    const again = await h.client({ clientId: 'gw-a', clean: false });
    await again.subscribeAsync({ 'cmd/gw-a/+/+': { qos: 1 }, 'cmd-all/+': { qos: 1 } });
    assert.equal(calls.length, 2, 'the session kept both: nothing added, no call');
    await again.endAsync();
    const fresh = await h.client({ clientId: 'gw-a', clean: true });
    await fresh.subscribeAsync({ 'cmd/gw-a/+/+': { qos: 1 } });
    assert.deepEqual(calls[2], { clientId: 'gw-a', added: ['cmd/gw-a/+/+'] }, 'a clean session starts with none');
  });
});
