import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { ConfigError } from '../../../shared/src/errors/config-error.js';
import type { Listener, StreamHandler } from './listener.js';
import { closeServer, listen } from './server-lifecycle.js';

function readPem(file: string, key: string): Buffer {
  if (file === '') throw new ConfigError(`${key} is required when mqtt.tls.port is set`, { key });
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${key}: cannot read ${file}: ${(err as Error).message}`, { key, cause: err });
  }
}

/** MQTT over TLS with the certificate and key from config. */
export async function startTlsListener(host: string, port: number, files: { cert: string; key: string }, handle: StreamHandler): Promise<Listener> {
  const server = tls.createServer({ cert: readPem(files.cert, 'mqtt.tls.cert'), key: readPem(files.key, 'mqtt.tls.key') }, (socket) => handle(socket));
  // A failed handshake is that client's problem; it never reaches the broker.
  server.on('tlsClientError', () => {});
  const bound = await listen(server, host, port);
  return { kind: 'tls', host, port: bound, close: () => closeServer(server) };
}
