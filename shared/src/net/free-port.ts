import { connect, createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: `preferred` when it can be bound, else one the OS
 * picks. Bound and released, so another process can take it in between; good enough for tests, the
 * benchmarks and the demo on one host (issue 14: six copies before).
 */
export async function freePort(preferred = 0): Promise<number> {
  const tryPort = (p: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const srv = createServer();
      srv.unref();
      srv.once('error', reject);
      srv.listen(p, '127.0.0.1', () => {
        const addr = srv.address();
        const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
        srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
      });
    });
  return preferred > 0 ? tryPort(preferred).catch(() => tryPort(0)) : tryPort(0);
}

/** Resolves true once 127.0.0.1:port accepts a TCP connection, false when `timeoutMs` passes or `gaveUp()` says so. */
export async function waitForPort(port: number, timeoutMs: number, gaveUp: () => boolean = () => false): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gaveUp()) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
