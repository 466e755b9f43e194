import net from 'node:net';
import type { Listener, StreamHandler } from './listener.js';
import { closeServer, listen } from './server-lifecycle.js';

/** MQTT over plain TCP. Port 0 picks a free port; `port` tells which. */
export async function startTcpListener(host: string, port: number, handle: StreamHandler): Promise<Listener> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    handle(socket);
  });
  const bound = await listen(server, host, port);
  return { kind: 'tcp', host, port: bound, close: () => closeServer(server) };
}
