import type { EdgeConfig } from '../config/schema.js';
import type { IngestCounters } from '../ingest/counters.js';

/**
 * What the running agent shows of itself: the status socket, the built-in report-status command, the
 * metrics and the tests read it. Its own file so the metrics can depend on it without depending on the
 * composition root that builds it (edge-agent.ts), which would make a loop.
 */
export interface EdgeAgent {
  snapshot(): Record<string, unknown>;
  ingestCounters(): IngestCounters;
  /** SIGHUP: re-read local config and apply what can change live */
  reload(cfg: EdgeConfig): Promise<void>;
  /** SIGTERM: stop ingest, commit, wait briefly for in-flight PUBACKs, close */
  stop(): Promise<void>;
  readonly healthPort?: number;
  /** port of the hosted MQTT listener for LAN sensors (ingest.mqtt.listen) */
  readonly localMqttPort?: number;
  readonly statusSocket: string;
}
