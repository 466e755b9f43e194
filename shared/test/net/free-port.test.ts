import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { freePort, waitForPort } from '../../src/net/free-port.js';

describe('shared/net/free-port', () => {
  const servers: Server[] = [];
  const listen = (port: number): Promise<Server> =>
    new Promise((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve(s));
      servers.push(s);
    });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it('gives a port that can be bound', async () => {
    const p = await freePort();
    assert.ok(p > 0);
    await listen(p);
  });

  it('gives the preferred port when it is free, another when it is taken', async () => {
    const p = await freePort();
    assert.equal(await freePort(p), p);
    await listen(p);
    const other = await freePort(p);
    assert.notEqual(other, p);
  });

  it('waitForPort: true once something listens, false after the timeout', async () => {
    const p = await freePort();
    assert.equal(await waitForPort(p, 150), false);
    await listen(p);
    assert.equal(await waitForPort(p, 1000), true);
  });

  it('waitForPort stops early when gaveUp says so', async () => {
    const p = await freePort();
    const t0 = Date.now();
    assert.equal(await waitForPort(p, 10_000, () => Date.now() - t0 > 100), false);
    assert.ok(Date.now() - t0 < 2000);
  });
});
