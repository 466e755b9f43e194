/**
 * @peculiar/x509 ready to use: Node has no X.509 signing (node:crypto reads certificates but cannot make
 * one or a CSR), so certificates for gateways that register with a CSR (issue 20) are made with this
 * maintained pure-JS library over Node's WebCrypto. Its dependency tsyringe needs the Reflect metadata
 * polyfill loaded first; this module is the one place that loads both, so nothing else imports them.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

export { x509 };
