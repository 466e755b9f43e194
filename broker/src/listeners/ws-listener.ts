import http from 'node:http';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Listener, StreamHandler } from './listener.js';
import { closeServer, listen } from './server-lifecycle.js';

/** MQTT over WebSocket: binary frames, subprotocol `mqtt` (MQTT 5 §6). */
export async function startWsListener(host: string, port: number, handle: StreamHandler): Promise<Listener> {
  const server = http.createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n');
  });
  const wss = new WebSocketServer({
    server,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
  });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    stream.on('error', () => stream.destroy());
    handle(stream, req.socket.remoteAddress === undefined ? {} : { remoteAddress: req.socket.remoteAddress });
  });
  const bound = await listen(server, host, port);
  return {
    kind: 'ws',
    host,
    port: bound,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await closeServer(server);
    },
  };
}
