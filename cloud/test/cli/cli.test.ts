import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { createApiServer } from '../../src/api/api-server.js';
import { MemoryRegistry } from '../../src/identity/registry/memory-registry.js';
import { QueueService } from '../../src/queues/queue-service.js';
import { createMemoryStore, type BrokerStore, firstLevelQueue } from '@causeway/broker';
import { propertiesFor, silentLogger } from '@causeway/shared';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'cloud/src/cli/main.ts'];

describe('causeway CLI against a real API server', () => {
  let server: Server;
  let url: string;
  let store: BrokerStore;
  let queues: QueueService;
  const TOKEN = 'cli-test-token';
  const cli = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [...CLI, '--url', url, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: TOKEN, ...env }, timeout: 20_000 });

  before(async () => {
    store = createMemoryStore();
    queues = new QueueService(store.log, store.offsets, { visibilityTimeoutMs: 30_000, window: 100 });
    server = createApiServer({ registry: new MemoryRegistry(), queues, log: store.log, operatorToken: TOKEN, logger: silentLogger });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await store.close();
  });

  it('adds and lists devices', async () => {
    const added = await cli(['devices', 'add', 'gw1', '--group', 'north', '--tag', 'kind=rsu']);
    assert.match(added.stdout, /created gateway gw1\nsecret \(shown once, store it now\): \S{20,}/);
    const list = await cli(['devices', 'list', '--group', 'north']);
    assert.match(list.stdout, /^ID\s+KIND\s+GROUPS/);
    assert.match(list.stdout, /gw1\s+gateway\s+north\s+true\s+no\s+-/);
    const groups = await cli(['groups']);
    assert.match(groups.stdout, /north\s+gw1/);
  });

  it('tails a queue with consume --count', async () => {
    const topic = 'telemetry/gw1/d1/temp';
    await store.log.append({ topic, payload: Buffer.from('{"hello":1}'), qos: 1, retain: false, properties: propertiesFor(topic, { clientId: 'gw1' }), createdAt: Date.now() }, [firstLevelQueue(topic)]);
    const r = await cli(['consume', 'telemetry', '--group', 'ops', '--count', '1']);
    assert.match(r.stdout, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\t#1\ttelemetry\/gw1\/d1\/temp\tgw1\t\{"hello":1\}\n$/);
    assert.match((await cli(['queues'])).stdout, /telemetry\s+1/);
  });

  it('lists and tails the _root queue, which topics with an empty first level feed (issue 15)', async () => {
    const topic = '/sensors/x';
    await store.log.append({ topic, payload: Buffer.from('{"t":21}'), qos: 1, retain: false, properties: propertiesFor(topic, { clientId: 'dev-x' }), createdAt: Date.now() }, [firstLevelQueue(topic)]);
    assert.match((await cli(['queues'])).stdout, /^_root\s+1\s*$/m);
    const r = await cli(['consume', '_root', '--group', 'ops', '--count', '1']);
    assert.match(r.stdout, /\t#1\t\/sensors\/x\tdev-x\t\{"t":21\}\n$/);
  });

  it('fails with a clear message and a usage exit code', async () => {
    await assert.rejects(cli(['devices', 'add']), (e: any) => e.code === 64 && /needs an ID/.test(e.stderr));
    await assert.rejects(cli(['frobnicate']), (e: any) => e.code === 64 && /unknown command "frobnicate"/.test(e.stderr));
    await assert.rejects(cli(['devices', 'list'], { CAUSEWAY_TOKEN: 'wrong' }), (e: any) => e.code === 77 && /API_UNAUTHORIZED/.test(e.stderr));
    await assert.rejects(run(process.execPath, [...CLI, '--url', 'http://127.0.0.1:1', 'devices', 'list'], { env: { ...process.env, CAUSEWAY_TOKEN: TOKEN } }), (e: any) => e.code === 74 && /cannot reach/.test(e.stderr));
  });

  it('an answer that is not JSON (a proxy error page) is one line, not a stack trace', async () => {
    const proxy = createServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const at = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      await assert.rejects(run(process.execPath, [...CLI, '--url', at, 'queues'], { env: { ...process.env, CAUSEWAY_TOKEN: TOKEN } }), (e: any) =>
        e.code === 74 && e.stderr === `causeway: IO_API_BAD_RESPONSE: ${at} answered GET /v1/queues with HTTP 502 and no JSON (is --url the Causeway API?)\n`,
      );
    } finally {
      proxy.close();
    }
  });
});
