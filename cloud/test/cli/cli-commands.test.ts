import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApiServer } from '../../src/api/api-server.js';
import { MemoryRegistry } from '../../src/identity/registry/memory-registry.js';
import { QueueService } from '../../src/queues/queue-service.js';
import { createMemoryStore, type BrokerStore } from '@causeway/broker';
import { openSqliteControlStore } from '../../src/control/sqlite-control-store.js';
import { CommandService } from '../../src/control/command-service.js';
import { ConfigService } from '../../src/control/config-service.js';
import { decodeEnvelope, parseTopic, silentLogger } from '@causeway/shared';

const run = promisify(execFile);

describe('causeway send / commands / config against a real API server', () => {
  let server: Server;
  let url: string;
  let store: BrokerStore;
  let commands: CommandService;
  let config: ConfigService;
  const TOKEN = 'cli-cmd-token';
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', url, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: TOKEN }, timeout: 20_000 });

  before(async () => {
    store = createMemoryStore();
    const registry = new MemoryRegistry();
    for (const id of ['gw1', 'gw2', 'gw3']) await registry.create({ id, kind: 'gateway', groups: ['north'], tags: {}, enabled: true, createdAt: 0, online: false });
    // Issue 20: one gateway with a secret and one registered with a CSR (a pinned certificate, no secret).
    await registry.create({ id: 'gw-secret', kind: 'gateway', groups: ['south'], tags: {}, secretHash: 'scrypt$x', enabled: true, createdAt: 0, online: false });
    await registry.create({ id: 'gw-cert', kind: 'gateway', groups: ['south'], tags: {}, certSha256: 'cd'.repeat(32), enabled: true, createdAt: 0, online: false });
    const control = openSqliteControlStore(':memory:');
    // A stand-in for the gateways: each answers a group command a little later (gw3 fails).
    commands = new CommandService({
      store: control.commands,
      registry,
      logger: silentLogger,
      publish: async (topic, payload) => {
        const t = parseTopic(topic);
        const env = decodeEnvelope(payload);
        if (t.kind !== 'cmd-group' || env.type !== 'command') return;
        for (const gw of ['gw1', 'gw2', 'gw3']) {
          setTimeout(async () => {
            const ids = { gateway: gw, device: gw, commandId: env.id };
            await commands.handleResult(ids, { v: 1, type: 'command-result', id: `${gw}-d`, commandId: env.id, gateway: gw, device: gw, status: 'DELIVERED', ts: 1 });
            await commands.handleResult(ids, { v: 1, type: 'command-result', id: `${gw}-r`, commandId: env.id, gateway: gw, device: gw, status: gw === 'gw3' ? 'FAILED' : 'SUCCEEDED', ts: 2, ...(gw === 'gw3' ? { error: 'relay stuck' } : {}) });
          }, 300);
        }
      },
    });
    config = new ConfigService({ store: control.config, registry, logger: silentLogger, publishRetained: async () => {} });
    const queues = new QueueService(store.log, store.offsets, { visibilityTimeoutMs: 30_000, window: 100 });
    server = createApiServer({ registry, queues, log: store.log, operatorToken: TOKEN, commands, config, logger: silentLogger });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await store.close();
  });

  it('send --wait follows a group command to the end and exits 1 when a device failed', async () => {
    const err = await run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', url, 'send', 'set-relay', '--group', 'north', '--args', '{"on":true}', '--wait'], { env: { ...process.env, CAUSEWAY_TOKEN: TOKEN }, timeout: 20_000 }).then(
      () => assert.fail('should exit 1'),
      (e: { code: number; stdout: string }) => e,
    );
    assert.equal(err.code, 1);
    assert.match(err.stdout, /command \S+: 3 target\(s\)/);
    assert.match(err.stdout, /\[#+\] 3\/3/);
    assert.match(err.stdout, /\ngw3\s+gw3\s+FAILED\s+\d+ ms\s+relay stuck\n/);
    assert.match(err.stdout, /COMPLETED: SUCCEEDED=2 FAILED=1 \(3 target\(s\), slowest \d+ ms\)\n$/);
    const list = await cli(['commands']);
    assert.match(list.stdout, /set-relay\s+\{"group":"north"\}\s+COMPLETED/);
    const id = /command (\S+):/.exec(err.stdout)![1]!;
    const shown = await cli(['commands', id, '--state', 'FAILED']);
    assert.match(shown.stdout, /gw3\s+gw3\s+FAILED\s+relay stuck/);
  });

  it('refuses a command without a target and one for an unknown device', async () => {
    await assert.rejects(cli(['send', 'ping']), (e: any) => /exactly one of device, group or all/.test(e.stderr));
    await assert.rejects(cli(['send', 'ping', '--device', 'ghost']), (e: any) => /no gateway or device with id ghost/.test(e.stderr));
  });

  it('config set pushes a version and config status shows drift', async () => {
    const r = await cli(['config', 'set', '--group', 'north', '--json', '{"ingest":{"tickMs":5}}']);
    assert.match(r.stdout, /config version 1 pushed to 3 gateway\(s\)/);
    config.handleReported('gw1', { v: 1, type: 'config-reported', id: 'x', gateway: 'gw1', version: 1, status: 'APPLIED', ts: 1 });
    config.handleReported('gw2', { v: 1, type: 'config-reported', id: 'y', gateway: 'gw2', version: 1, status: 'REJECTED', ts: 1, error: { key: 'ingest.rate', message: 'too fast' } });
    const st = await cli(['config', 'status']);
    assert.match(st.stdout, /gw1\s+1\s+1\s+APPLIED\s+true/);
    assert.match(st.stdout, /gw2\s+1\s+1\s+REJECTED\s+false\s+ingest\.rate too fast/);
    assert.match(st.stdout, /gw3\s+1\s+false/);
  });

  it('config set refuses files.transport http for a gateway with only a certificate: API 409 with the list, CLI exit 65 (issue 20)', async () => {
    const body = JSON.stringify({ config: { files: { transport: 'http' } } });
    const res = await fetch(`${url}/v1/config/groups/south`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });
    assert.equal(res.status, 409);
    const json = (await res.json()) as any;
    assert.equal(json.error.code, 'CONFIG_CERTIFICATE_ONLY');
    assert.deepEqual(json.error.details, { key: 'files.transport', scope: 'group:south', gateways: ['gw-cert'] });
    await assert.rejects(cli(['config', 'set', '--gateway', 'gw-cert', '--json', '{"files":{"transport":"http"}}']), (e: any) => e.code === 65 && /files\.transport http .*gw-cert.*identity\.csr/.test(e.stderr));
    const ok = await cli(['config', 'set', '--gateway', 'gw-secret', '--json', '{"files":{"transport":"http"}}']);
    assert.match(ok.stdout, /pushed to 1 gateway\(s\)/);
  });
});
