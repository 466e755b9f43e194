import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { ConfigError } from '@causeway/shared';
import type { Listener, StreamHandler, StreamMeta } from './listener.js';
import { closeServer, listen } from './server-lifecycle.js';

function readPem(file: string, key: string): Buffer {
  if (file === '') throw new ConfigError(`${key} is required when mqtt.tls.port is set`, { key });
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${key}: cannot read ${file}: ${(err as Error).message}`, { key, cause: err });
  }
}

/**
 * MQTT over TLS with the certificate and key from config. With `ca` set, clients may present a
 * certificate signed by it; a verified certificate's CN is the principal id (devices with certificates
 * need no password).
 */
export async function startTlsListener(host: string, port: number, files: { cert: string; key: string; ca?: string }, handle: StreamHandler): Promise<Listener> {
  const withCa = files.ca !== undefined && files.ca !== '';
  const options: tls.TlsOptions = { cert: readPem(files.cert, 'mqtt.tls.cert'), key: readPem(files.key, 'mqtt.tls.key') };
  if (withCa) Object.assign(options, { ca: readPem(files.ca!, 'mqtt.tls.ca'), requestCert: true, rejectUnauthorized: false });
  const server = tls.createServer(options, (socket) => {
    const meta: StreamMeta = {};
    if (socket.remoteAddress !== undefined) meta.remoteAddress = socket.remoteAddress;
    if (withCa && socket.authorized) {
      const peer = socket.getPeerCertificate();
      const cn = peer.subject?.CN;
      if (typeof cn === 'string' && cn !== '') {
        meta.certificateId = cn;
        // "AB:CD:…" → "abcd…": what the cloud pins for a gateway registered with a CSR (issue 20)
        if (typeof peer.fingerprint256 === 'string') meta.certificateSha256 = peer.fingerprint256.replace(/:/g, '').toLowerCase();
      }
    }
    handle(socket, meta);
  });
  // A failed handshake is that client's problem; it never reaches the broker.
  server.on('tlsClientError', () => {});
  const bound = await listen(server, host, port);
  return { kind: 'tls', host, port: bound, close: () => closeServer(server) };
}
