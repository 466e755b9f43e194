import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@causeway/shared';
import { HttpChunkSource } from '../../src/files/http-chunk-source.js';

const SHA = 'ab'.repeat(32);

/** A stand-in for the cloud's artifact route: single byte ranges, clipped to the size, and what it wrote. */
async function serve(content: Buffer): Promise<{ server: Server; url: string; ranges: string[]; written: () => number }> {
  const ranges: string[] = [];
  let written = 0;
  const server = createServer((req, res) => {
    const h = req.headers.range ?? '';
    ranges.push(h);
    const m = /^bytes=(\d+)-(\d*)$/.exec(h);
    const start = m === null ? 0 : Number(m[1]);
    const end = m === null || m[2] === '' ? content.length - 1 : Math.min(Number(m[2]), content.length - 1);
    res.writeHead(m === null ? 200 : 206, { 'content-length': end - start + 1, ...(m === null ? {} : { 'content-range': `bytes ${start}-${end}/${content.length}` }) });
    // Written in pieces as the socket takes them, as a stream pipeline does: `written` is what left the server.
    let at = start;
    const more = (): void => {
      while (at <= end) {
        const piece = content.subarray(at, Math.min(at + 16 * 1024, end + 1));
        at += piece.length;
        written += piece.length;
        if (!res.write(piece)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
    res.on('close', () => (at = end + 1));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ranges, written: () => written };
}

describe('edge/files/http-chunk-source', () => {
  let srv: Awaited<ReturnType<typeof serve>> | undefined;
  afterEach(async () => {
    srv?.server.closeAllConnections();
    await new Promise((r) => srv?.server.close(r));
    srv = undefined;
  });
  const source = (url: string, windowChunks?: number, maxBytesPerSecond = 1e9) =>
    new HttpChunkSource({ baseUrl: url, username: 'gw1', password: 's', timeoutMs: 5000, maxBytesPerSecond, logger: silentLogger, ...(windowChunks === undefined ? {} : { windowChunks }) });

  it('asks for a window of chunks at a time, the next window only when the installer gets there, the last clipped by the server', async () => {
    const content = randomBytes(9500);
    srv = await serve(content);
    const s = source(srv.url, 4);
    const signal = new AbortController().signal;
    const got: Buffer[] = [];
    for (let i = 0; i < 10; i++) got.push((await s.fetch(SHA, i, Math.min(1000, 9500 - i * 1000), signal, i * 1000)).data);
    assert.deepEqual(Buffer.concat(got), content);
    assert.deepEqual(srv.ranges, ['bytes=0-3999', 'bytes=4000-7999', 'bytes=8000-11999']);
    assert.deepEqual(s.counters, { httpRequests: 3, httpRangeResumes: 0, httpBytes: 9500, httpRetries: 0 });
  });

  it('the server sends at most a window ahead of what was read, however far the socket buffers could take it', async () => {
    const CHUNK = 64 * 1024;
    srv = await serve(randomBytes(8 * 1024 * 1024));
    const s = source(srv.url, 4);
    await s.fetch(SHA, 0, CHUNK, new AbortController().signal, 0);
    // Whatever the server could still push has had its chance: it was asked for 4 chunks, no more.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(srv.written(), 4 * CHUNK, `the server wrote ${srv.written()} bytes for one chunk read`);
  });

  it('a first request past byte 0 (a restart) counts as a range resume, and so does one that does not go on where the last window ended', async () => {
    const content = randomBytes(6000);
    srv = await serve(content);
    const s = source(srv.url, 2);
    const signal = new AbortController().signal;
    assert.deepEqual((await s.fetch(SHA, 3, 1000, signal, 3000)).data, content.subarray(3000, 4000));
    assert.equal(s.counters.httpRangeResumes, 1);
    // Asked out of order (chunk 5, skipping the rest of the window): a new request, from there.
    assert.deepEqual((await s.fetch(SHA, 5, 1000, signal, 5000)).data, content.subarray(5000, 6000));
    assert.deepEqual(srv.ranges, ['bytes=3000-4999', 'bytes=5000-6999']);
    assert.equal(s.counters.httpRangeResumes, 2);
  });

  it('on a slow pace the window is about a second of it, never less than a chunk', async () => {
    const content = randomBytes(4000);
    srv = await serve(content);
    const signal = new AbortController().signal;
    // 2,500 B/s and 1,000-byte chunks: 2 chunks a request, not 4.
    const s = source(srv.url, 4, 2500);
    for (let i = 0; i < 4; i++) assert.deepEqual((await s.fetch(SHA, i, 1000, signal, i * 1000)).data, content.subarray(i * 1000, (i + 1) * 1000));
    assert.deepEqual(srv.ranges, ['bytes=0-1999', 'bytes=2000-3999']);
    // Slower than a chunk a second: one chunk a request.
    srv.ranges.length = 0;
    assert.deepEqual((await source(srv.url, 4, 500).fetch(SHA, 0, 1000, signal, 0)).data, content.subarray(0, 1000));
    assert.deepEqual(srv.ranges, ['bytes=0-999']);
  });
});
