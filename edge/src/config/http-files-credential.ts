import { ConfigError } from '@causeway/shared';
import type { EdgeConfig } from './schema.js';

/**
 * Issue 20: `files.transport http` downloads with HTTP Basic, the gateway's id and secret
 * (gateway-artifact-routes.ts), and the cloud API has no TLS listener to take a client certificate
 * (api.* has no tls keys), so a gateway whose only credential is a certificate could never download a
 * file over HTTP: every request would be refused 401, at the first rollout, long after start. Said at
 * start instead (exit 78), naming both keys, and before a claim is used (main.ts checks it before it
 * registers). Such a gateway fetches files over its mTLS MQTT link (`files.transport mqtt`, the default).
 *
 * A certificate is the only credential when the gateway registers with a CSR (`identity.csr`), or when it
 * has `cloud.cert` and neither `cloud.password` nor a claim token that would give it a secret. Pure.
 */
export function checkHttpFilesCredential(cfg: Pick<EdgeConfig, 'files' | 'identity' | 'cloud'>): void {
  if (cfg.files.transport !== 'http') return;
  if (cfg.identity.csr) {
    throw new ConfigError(
      'files.transport is http but identity.csr is true: HTTP downloads authenticate with the gateway\'s secret (HTTP Basic), and a gateway registered with a CSR has a certificate and no secret; use files.transport mqtt (chunks over the mTLS link) or register without identity.csr',
      { key: 'files.transport' },
    );
  }
  if (cfg.cloud.cert !== '' && cfg.cloud.password === '' && cfg.identity.claimToken === '') {
    throw new ConfigError(
      'files.transport is http but the gateway has cloud.cert and no cloud.password: HTTP downloads authenticate with the gateway\'s secret (HTTP Basic), not a certificate; use files.transport mqtt (chunks over the mTLS link) or set cloud.password',
      { key: 'files.transport' },
    );
  }
}
