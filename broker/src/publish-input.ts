import type { QoS } from '@causeway/shared';
import type { PublishMeta } from './store/contract.js';

/** A message to publish, as a client's PUBLISH, a will or the cloud's control plane gives it. */
export interface PublishInput {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  clientId?: string;
  cleanSession?: boolean;
  meta?: PublishMeta;
  expiresAt?: number;
}
