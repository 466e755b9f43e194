/**
 * @peculiar/x509 ready to use, for the CSR of a gateway registering with a certificate (issue 20): Node
 * cannot make a PKCS #10 request. Its dependency tsyringe needs the Reflect metadata polyfill loaded
 * first; this module is the one place in the agent that loads both, and only gateway-csr.ts imports it,
 * lazily, so an agent registering with a secret never loads them (footprint, issue 16).
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

export { x509 };
