import assert from 'node:assert/strict';
import type { CommandService } from '../../src/control/command-service.js';
import { FetchGrants } from '../../src/files/fetch-grants.js';

const SHA = 'a'.repeat(64);

/** A command service with the commands and targets given, counting how often the store is read. */
function fakeCommands(cmds: Array<{ id: string; name: string; sha: string; targets: Array<[string, string]> }>): { svc: CommandService; reads: () => number } {
  let reads = 0;
  const svc = {
    running: async () => {
      reads++;
      return cmds.map((c) => ({ id: c.id, name: c.name, args: { artifact: { manifest: { sha256: c.sha } } } }));
    },
    targets: async (id: string) => cmds.find((c) => c.id === id)!.targets.map(([gateway, state]) => ({ gateway, device: gateway, state, updatedAt: 0 })),
  } as unknown as CommandService;
  return { svc, reads: () => reads };
}

describe('FetchGrants: a gateway fetches only content rolled out to it (issue 17)', () => {
  it('grants the open targets of running installs of that content, nothing else', async () => {
    const { svc } = fakeCommands([
      { id: 'c1', name: 'install', sha: SHA, targets: [['gw1', 'DOWNLOADING'], ['gw2', 'SUCCEEDED'], ['gw3', 'QUEUED']] },
      { id: 'c2', name: 'reboot', sha: SHA, targets: [['gw4', 'SENT']] },
      { id: 'c3', name: 'install', sha: 'b'.repeat(64), targets: [['gw5', 'SENT']] },
    ]);
    const g = new FetchGrants({ commands: svc });
    assert.equal(await g.allowed('gw1', SHA), true);
    assert.equal(await g.allowed('gw3', SHA), true);
    assert.equal(await g.allowed('gw2', SHA), false, 'a finished target');
    assert.equal(await g.allowed('gw4', SHA), false, 'not an install');
    assert.equal(await g.allowed('gw5', SHA), false, 'another content');
  });

  it('reads the store once per content per ttl for granted gateways; a refused one is looked up again after recheckMs or a forget', async () => {
    let now = 0;
    const cmds = [{ id: 'c1', name: 'install', sha: SHA, targets: [['gw1', 'DOWNLOADING']] as Array<[string, string]> }];
    const { svc, reads } = fakeCommands(cmds);
    const g = new FetchGrants({ commands: svc, ttlMs: 2000, recheckMs: 250, now: () => now });
    for (let i = 0; i < 10; i++) assert.equal(await g.allowed('gw1', SHA), true);
    assert.equal(reads(), 1);
    assert.equal(await g.allowed('gw2', SHA), false);
    assert.equal(reads(), 1, 'a refusal within recheckMs reads nothing');
    cmds[0]!.targets.push(['gw2', 'SENT']);
    now = 300;
    assert.equal(await g.allowed('gw2', SHA), true, 'a rollout made since is seen after recheckMs');
    assert.equal(reads(), 2);
    cmds[0]!.targets.push(['gw3', 'SENT']);
    g.forget(SHA);
    assert.equal(await g.allowed('gw3', SHA), true, 'forget reads at once');
    cmds[0]!.targets[0]![1] = 'CANCELED';
    now = 2500;
    assert.equal(await g.allowed('gw1', SHA), false, 'a canceled target loses its grant after ttlMs');
  });
});
