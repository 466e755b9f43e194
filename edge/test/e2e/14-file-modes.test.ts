import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type Agent } from '../helpers/agent.js';

/**
 * Issue 23 item 14: the real agent, started under umask 022, creates its data directory, outbox,
 * command inbox and local-MQTT store owner-only (they hold readings and commands of the site).
 */
describe('edge e2e 14: data files are owner-only under umask 022 @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  let agent: Agent | undefined;
  let umask: number;
  const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

  before(async () => {
    umask = process.umask(0o022); // inherited by the agent
    dir = mkdtempSync(join(tmpdir(), 'edge-e2e10-'));
    const data = join(dir, 'var', 'causeway-edge');
    // the cloud is never reached (a closed port): the files exist from the start
    writeFileSync(join(dir, 'edge.json'), JSON.stringify({ gateway: { id: 'gw-modes' }, cloud: { url: 'mqtt://127.0.0.1:9' }, store: { path: join(data, 'outbox.db') }, ingest: { mqtt: { listen: { port: 0 }, sources: [{ topic: 'sensors/+/state', device: '{2}', stream: 'temp', path: 'temp' }] } } }));
    agent = startAgent(['--config', join(dir, 'edge.json')]);
    const deadline = Date.now() + 30_000;
    while (!agent.logs.some((l) => l.msg === 'agent started')) {
      if (Date.now() > deadline || agent.proc.exitCode !== null) throw new Error(`agent did not start: ${agent.stderr.slice(-500)} ${JSON.stringify(agent.logs.slice(-3))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    agent.send({ device: 'd1', stream: 'temp', value: 21 }); // a write, so the outbox has its WAL
    await agent.waitAck(1, 10_000);
  });
  after(async () => {
    process.umask(umask);
    await agent?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the data directory 0700', () => {
    assert.equal(mode(join(dir, 'var')), '700');
    assert.equal(mode(join(dir, 'var', 'causeway-edge')), '700');
    assert.equal(mode(join(dir, 'var', 'causeway-edge', 'local-mqtt')), '700');
  });

  for (const rel of ['outbox.db', 'inbox.db', 'local-mqtt/causeway-cloud.db']) {
    it(`creates ${rel} and its -wal/-shm 0600`, () => {
      const file = join(dir, 'var', 'causeway-edge', rel);
      assert.equal(mode(file), '600');
      assert.ok(existsSync(`${file}-wal`), `${rel}-wal exists (WAL mode)`);
      for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) assert.equal(mode(file + suffix), '600', rel + suffix);
    });
  }
});
