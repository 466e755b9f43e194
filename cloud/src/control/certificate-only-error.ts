import { CausewayError } from '@causeway/shared';

/** How many refused gateways the message names; `details.gateways` has them all. */
const NAMED = 5;

/**
 * A desired config refused because it would give `files.transport http` to gateways whose only credential
 * is a certificate (registered by claim with a CSR: no secret in the registry). Their agent refuses that
 * document (edge/src/config/http-files-credential.ts): HTTP downloads authenticate with HTTP Basic, the
 * gateway's id and secret, and the API has no TLS listener to take a client certificate. Code
 * CONFIG_CERTIFICATE_ONLY, HTTP 409 (the document is valid; the targeted gateways' registration conflicts
 * with it); every such gateway of the target in `details.gateways`.
 */
export class CertificateOnlyConfigError extends CausewayError {
  override name = 'CertificateOnlyConfigError';
  readonly details: { key: 'files.transport'; scope: string; gateways: string[] };

  constructor(scope: string, gateways: string[]) {
    const named = gateways.slice(0, NAMED).join(', ') + (gateways.length > NAMED ? `, … (${gateways.length} in all)` : '');
    super(
      'CONFIG_CERTIFICATE_ONLY',
      `files.transport http would apply to ${gateways.length === 1 ? 'gateway' : 'gateways'} ${named} (target ${scope}), which ${gateways.length === 1 ? 'has' : 'have'} no secret: registered with a CSR (identity.csr), a certificate is the only credential, and HTTP downloads authenticate with the gateway's secret; nothing stored. Keep files.transport mqtt for ${gateways.length === 1 ? 'it' : 'them'} (PUT /v1/config/gateways/{id} with files.transport mqtt wins over a group or all) or rotate a secret for ${gateways.length === 1 ? 'it' : 'them'}`,
    );
    this.details = { key: 'files.transport', scope, gateways };
  }
}
