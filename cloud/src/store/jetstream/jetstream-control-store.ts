import { type KV, StorageType } from 'nats';
import type { ControlStore } from '../../control/control-store.js';
import { JetStreamCommandStore } from './jetstream-command-store.js';
import { JetStreamConfigStore } from './jetstream-config-store.js';
import { JetStreamClaimStore, JetStreamFleetStatusStore } from './jetstream-fleet-store.js';
import { JetStreamSinkPauses } from './jetstream-sink-pauses.js';
import { JetStreamRegistrationStore } from './jetstream-registration-store.js';
import type { JetStreamStore } from './jetstream-store.js';

/** Opens (creating if needed) the control-plane buckets of a JetStream store, with the store's replicas. */
export async function openJetStreamControlStore(store: JetStreamStore): Promise<ControlStore> {
  const o = store.options;
  const bucket = (name: string): Promise<KV> => store.js.views.kv(name, { history: 1, replicas: o.replicas, storage: StorageType.File });
  const [commandsKv, targetsKv, configKv, fleetKv, sinksKv] = await Promise.all([
    bucket(o.names.commandsBucket),
    bucket(o.names.targetsBucket),
    bucket(o.names.configBucket),
    bucket(o.names.fleetBucket),
    bucket(o.names.sinksBucket),
  ]);
  const commands = new JetStreamCommandStore(commandsKv, targetsKv, o.timeoutMs);
  return {
    commands,
    config: new JetStreamConfigStore(configKv, o.timeoutMs),
    fleet: new JetStreamFleetStatusStore(fleetKv, o.timeoutMs),
    claims: new JetStreamClaimStore(fleetKv, o.timeoutMs),
    sinks: new JetStreamSinkPauses(sinksKv, o.timeoutMs),
    registrations: new JetStreamRegistrationStore(fleetKv, o.timeoutMs),
    // The buckets belong to the store's connection, which the store closes; the markers' watch is ours.
    async close() {
      commands.stop();
    },
  };
}
