import { createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@causeway/shared';
import { x509 } from './x509-lib.js';

/**
 * The gateway's own key and certificate request (issue 20, identity.csr): the private key is made here,
 * kept in a file of mode 0600 and never sent; the cloud CA signs the request into the certificate the
 * agent connects with over mTLS. A key that exists is used again, so a restart before the certificate
 * arrived asks for the same key.
 */
export interface KeyFileWriter {
  (file: string, text: string): void;
}

function loadOrMakeKey(keyFile: string, write: KeyFileWriter): KeyObject {
  let pem: string | undefined;
  try {
    pem = readFileSync(keyFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (pem === undefined) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    write(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    return privateKey;
  }
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new ConfigError(`the gateway key ${keyFile} is not a PEM private key; remove it (and the credentials beside it) to register again`, { key: 'identity.secretFile', cause: err });
  }
}

/** A PEM PKCS #10 request with subject CN = `id`, signed with the key in `keyFile` (made first when absent). */
export async function gatewayCsr(keyFile: string, id: string, write: KeyFileWriter): Promise<string> {
  return csrForKey(loadOrMakeKey(keyFile, write), id);
}

/** A PEM PKCS #10 request with subject CN = `id`, signed with an EC P-256 key (a renewal's new key, issue 20). */
export async function csrForKey(priv: KeyObject, id: string): Promise<string> {
  const ec = { name: 'ECDSA', namedCurve: 'P-256' };
  const privateKey = await webcrypto.subtle.importKey('pkcs8', priv.export({ type: 'pkcs8', format: 'der' }), ec, false, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', createPublicKey(priv).export({ type: 'spki', format: 'der' }), ec, true, ['verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: [{ CN: [id] }], keys: { privateKey, publicKey } as never, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
  return csr.toString('pem') + '\n';
}
