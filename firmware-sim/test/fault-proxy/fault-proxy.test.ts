import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { startFaultProxy, type FaultProxy } from '../../src/fault-proxy/fault-proxy.js';

/** An echo server on loopback. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    s.on('error', () => undefined); // a cut resets the echo's side too
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port };
}

function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves with what came back within `ms`. */
function collect(s: Socket, ms: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    setTimeout(() => resolve(Buffer.concat(parts)), ms);
  });
}

describe('fault-proxy', function () {
  this.timeout(10_000);
  let echo: { server: Server; port: number };
  let proxy: FaultProxy;
  const sockets: Socket[] = [];
  const open = async (): Promise<Socket> => {
    const s = await connectTo(proxy.port);
    s.on('error', () => undefined);
    sockets.push(s);
    return s;
  };

  beforeEach(async () => {
    echo = await echoServer();
    proxy = await startFaultProxy({ targetPort: echo.port });
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await proxy.close();
    await new Promise((r) => echo.server.close(r));
  });

  it('passes bytes both ways', async () => {
    const s = await open();
    const got = collect(s, 200);
    s.write('hello');
    assert.equal((await got).toString(), 'hello');
    assert.equal(proxy.stats.bytesUp, 5);
    assert.equal(proxy.stats.bytesDown, 5);
  });

  it('cut closes every connection and refuses new ones until restore', async () => {
    const s = await open();
    const closed = new Promise((r) => s.once('close', r));
    proxy.cut();
    await closed;
    assert.equal(proxy.connections, 0);
    const s2 = await open();
    await new Promise((r) => s2.once('close', r));
    assert.equal(proxy.stats.refused, 1);
    proxy.restore();
    const s3 = await open();
    const got = collect(s3, 200);
    s3.write('back');
    assert.equal((await got).toString(), 'back');
  });

  it('refuseNew keeps the connections that are up and refuses new ones until restore', async () => {
    const s = await open();
    proxy.refuseNew();
    const got = collect(s, 200);
    s.write('still');
    assert.equal((await got).toString(), 'still');
    const s2 = await open();
    await new Promise((r) => s2.once('close', r));
    assert.equal(proxy.stats.refused, 1);
    proxy.restore();
    const s3 = await open();
    const back = collect(s3, 200);
    s3.write('back');
    assert.equal((await back).toString(), 'back');
  });

  it('blackhole keeps the connection open but drops every byte', async () => {
    const s = await open();
    proxy.blackhole();
    let closed = false;
    s.once('close', () => (closed = true));
    const got = collect(s, 300);
    s.write('lost');
    assert.equal((await got).length, 0);
    assert.equal(closed, false);
    assert.equal(proxy.stats.dropped, 4);
    proxy.restore();
    const got2 = collect(s, 200);
    s.write('ok');
    assert.equal((await got2).toString(), 'ok');
  });

  it('delay holds each chunk back', async () => {
    proxy.setDelay(150);
    const s = await open();
    const t0 = Date.now();
    const first = new Promise<number>((r) => s.once('data', () => r(Date.now() - t0)));
    s.write('x');
    const ms = await first;
    assert.ok(ms >= 280, `round trip through two delayed lanes took ${ms} ms`);
  });

  it('throttle bounds the throughput', async () => {
    proxy.setThrottle(20_000);
    const s = await open();
    const got = collect(s, 1000);
    s.write(Buffer.alloc(100_000, 1));
    const n = (await got).length;
    assert.ok(n >= 10_000 && n <= 32_000, `${n} bytes came back in 1 s at 20 kB/s`);
  });

  it('flap cuts and restores on a schedule', async () => {
    const until = async (pred: () => boolean, ms: number): Promise<void> => {
      const deadline = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error('flap did not switch in time');
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    proxy.flap({ downMs: 100, upMs: 300 });
    assert.equal(proxy.mode, 'cut');
    await until(() => proxy.mode === 'pass', 2000);
    const s = await open();
    const closed = new Promise((r) => s.once('close', r));
    await until(() => proxy.mode === 'cut', 2000); // the next down phase cuts the live connection
    await closed;
    assert.ok(proxy.stats.cuts >= 2);
    await until(() => proxy.mode === 'pass', 2000);
    proxy.stopFlap();
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(proxy.mode, 'pass', 'stopFlap leaves the link as it is');
  });
});
