import type { Logger } from '@causeway/shared';
import type { MessageLog, StoredMessage } from '@causeway/broker';
import type { DeviceRegistry } from '../identity/registry/contract.js';
import type { ServerQueues } from '../queues/contract.js';
import type { CommandService } from '../control/command-service.js';
import type { ConfigService } from '../control/config-service.js';
import type { ApiCounters } from './api-counters.js';
import type { CsrSigner } from '../identity/csr-signer.js';
import type { SinkService } from '../sinks/sink-service.js';
import type { ClaimStore, FleetStatusStore } from '../fleet/fleet-store.js';
import type { RegistrationStore } from '../fleet/registration-store.js';
import type { ArtifactStore } from '../files/contract.js';
import type { DeliveryService } from '../files/delivery-service.js';
import type { FetchGrants } from '../files/fetch-grants.js';
import type { ServedCounters } from '../files/served-counters.js';

// What the API server and its route files are given: its own file, so the routes depend on it and not on
// the server that mounts them (which would make a loop; issue 14).

export interface PublishRequest {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  clientId: string;
}

export interface ApiDeps {
  registry: DeviceRegistry;
  queues: ServerQueues;
  /** the declarative sinks (/v1/sinks); absent: none */
  sinks?: SinkService;
  log: MessageLog;
  /** bearer token of the operator (backend apps get their own, POST /v1/apps) */
  operatorToken: string;
  /** HMAC key for device access tokens (POST /v1/devices/:id/token) */
  tokenKey?: Buffer;
  /** injects a message into the broker as if published (backend → device); resolves after the durable append */
  publish?: (req: PublishRequest) => Promise<void>;
  /** closes the MQTT connection of a client (a disabled device) */
  disconnect?: (clientId: string) => void;
  stats?: () => Promise<Record<string, unknown>>;
  /** retained messages matching a filter (the console reads each gateway's retained status for its agent version) */
  retained?: (filter: string) => Promise<StoredMessage[]>;
  /** commands and config (absent on a node that does not run the control plane) */
  commands?: CommandService;
  config?: ConfigService;
  /** the latest status of each gateway, and claim tokens (issue 20; absent without the control plane) */
  fleet?: FleetStatusStore;
  claims?: ClaimStore;
  /** the approval queue of claims (issue 20; with `claims`) */
  registrations?: RegistrationStore;
  /** seconds a gateway waiting for approval is told to wait before asking again (claims.pendingRetrySeconds) */
  pendingRetrySeconds?: number;
  /** the cloud CA that signs the certificates of gateways registering by claim with a CSR (claims.caCert, claims.caKey) */
  csrSigner?: CsrSigner;
  /** scrypt cost of new secrets (auth.kdfLogN); default DEFAULT_KDF_LOG_N */
  kdfLogN?: number;
  /** artifacts and rollouts (issue 17; with the control plane) */
  files?: {
    artifacts: ArtifactStore;
    delivery: DeliveryService;
    maxArtifactBytes: number;
    /** with both: gateways download rolled-out content over HTTP (GET /v1/gateway/artifacts/{sha256}) */
    grants?: FetchGrants;
    served?: ServedCounters;
  };
  logger: Logger;
  maxBodyBytes?: number;
  /** ms a client has to send the request line and headers (api.headersTimeoutMs) */
  headersTimeoutMs?: number;
  /** ms a client has to send the whole request, body included (api.requestTimeoutMs) */
  requestTimeoutMs?: number;
  /** event streams open at once (api.maxStreams); more are answered 503 */
  maxStreams?: number;
  /** wrong app secrets a source may send in a burst, and regains per second (auth.failures) */
  authFailures?: { burst: number; refillPerSecond: number };
  /** serve the operator console at `/` (default true) and from which directory (default: the build's) */
  console?: boolean;
  consoleDir?: string;
  /** counters to fill (the node's metrics read them); a fresh set when absent */
  counters?: ApiCounters;
}
