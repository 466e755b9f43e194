import { existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';

/**
 * `causeway-edge status` asks the running agent over a unix socket (local only, file permissions decide
 * who may ask): the agent writes one JSON snapshot and closes.
 */
export async function startStatusSocket(path: string, snapshot: () => Record<string, unknown>): Promise<{ close(): Promise<void> }> {
  // A socket file left by a killed agent would make listen fail with EADDRINUSE.
  if (existsSync(path)) unlinkSync(path);
  const server = net.createServer((sock) => {
    sock.on('error', () => sock.destroy());
    let body: string;
    try {
      body = JSON.stringify(snapshot());
    } catch (err) {
      body = JSON.stringify({ error: (err as Error).message });
    }
    sock.end(body + '\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if (existsSync(path)) unlinkSync(path);
      }),
  };
}

/** Reads one snapshot from a running agent. */
export function readStatus(path: string, timeoutMs = 3000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(path);
    let data = '';
    const t = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('data', (d) => (data += String(d)));
    sock.on('error', (err) => {
      clearTimeout(t);
      reject(err);
    });
    sock.on('end', () => {
      clearTimeout(t);
      try {
        resolve(JSON.parse(data) as Record<string, unknown>);
      } catch (err) {
        reject(err);
      }
    });
  });
}
