import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, splitQueue, ensurePrivateDir, parsePublicKey, isCommandFilter } from '@causeway/shared';
import { startHealthServer, type HealthServer } from '@causeway/shared/health';
import { Broker, ProtocolError, type Listener, startTcpListener, startTlsListener, startWsListener, startRetention } from '@causeway/broker';
import type { CloudConfig } from '../config/schema.js';
import { openStore } from '../store/open-store.js';
import type { JetStreamStore } from '../store/jetstream/jetstream-store.js';
import { openJetStreamRegistry } from '../store/jetstream/jetstream-registry.js';
import { loadOrCreateSharedSecret } from '../store/jetstream/jetstream-secrets.js';
import { linkNode } from '../store/jetstream/node-link.js';
import { createClusterDisconnect } from '../store/jetstream/cluster-disconnect.js';
import { ClusteredQueues } from '../store/jetstream/clustered-queues.js';
import { openGroupLeases } from '../store/jetstream/group-leases.js';
import { Authenticator } from '../identity/authenticator.js';
import { FailureLimiter } from '../identity/failure-limiter.js';
import { registryAccess } from '../identity/broker-access.js';
import { AclFilePolicy } from '../identity/acl-file/acl-file-policy.js';
import type { DeviceRegistry } from '../identity/registry/contract.js';
import { MemoryRegistry } from '../identity/registry/memory-registry.js';
import { SqliteRegistry } from '../identity/registry/sqlite-registry.js';
import { QueueService } from '../queues/queue-service.js';
import type { ServerQueues } from '../queues/contract.js';
import { openSqliteControlStore } from '../control/sqlite-control-store.js';
import { openJetStreamControlStore } from '../store/jetstream/jetstream-control-store.js';
import { CommandService } from '../control/command-service.js';
import { ConfigService } from '../control/config-service.js';
import { ControlConsumer } from '../control/control-consumer.js';
import { createApiServer, type ApiDeps } from '../api/api-server.js';
import type { ArtifactStore } from '../files/contract.js';
import { SqliteArtifactStore } from '../files/sqlite-artifact-store.js';
import { JetStreamArtifactStore, openJetStreamArtifactStore } from '../store/jetstream/jetstream-artifact-store.js';
import { DeliveryService } from '../files/delivery-service.js';
import { ChunkServer } from '../files/chunk-server.js';
import { CertRenewer } from '../identity/cert-renewer.js';
import { FetchGrants } from '../files/fetch-grants.js';
import { ServedCounters } from '../files/served-counters.js';
import { newApiCounters } from '../api/api-counters.js';
import { SinkService } from '../sinks/sink-service.js';
import { parseSinks } from '../sinks/sink-spec.js';
import { DEAD_LETTER_QUEUE } from '../sinks/dead-letter.js';
import { loadOrCreateSecret } from './secret-file.js';
import { cloudMetrics } from './cloud-metrics.js';
import { causewayBrokerHooks } from './broker-hooks.js';
import { registerFleetMetrics } from '../fleet/fleet-metrics.js';
import { gatewayViews } from '../fleet/fleet-view.js';

export interface CloudNode {
  broker: Broker;
  registry: DeviceRegistry;
  commands: CommandService;
  config: ConfigService;
  /** server-side queues: this node's QueueService, or ClusteredQueues over it on JetStream */
  queues: ServerQueues;
  /** the declarative sinks of the config (issue 21) */
  sinks: SinkService;
  /** bound ports: tcp `port`, `tlsPort`, `wsPort`, `apiPort`, `healthPort` */
  ports: Record<string, number>;
  operatorToken: string;
  /** the operator's acl_file (auth.aclFile), if set: `reload` it on SIGHUP */
  aclFile: AclFilePolicy | undefined;
  close(): Promise<void>;
}

/**
 * Wires one cloud node: store → registry and access control → broker → listeners → server-side queues →
 * control plane (commands, config) → HTTP API → health. The composition root (`main.ts`) only loads the
 * config and handles signals; tests and the demo start a node in-process with this.
 */
export async function startCloudNode(cfg: CloudConfig, logger: Logger): Promise<CloudNode> {
  // Before anything is opened: a bad acl_file is a config error (exit 78) naming its line.
  const aclFile = cfg.auth.aclFile === '' ? undefined : AclFilePolicy.load(cfg.auth.aclFile);
  if (aclFile !== undefined) logger.info('acl file loaded', { path: aclFile.path, rules: aclFile.counters.rules });
  // The claims CA too, read and checked (readable, key matches, CA:TRUE) before the store is opened or a
  // port listens: a wrong CA is a config error (exit 78) with nothing started, not found at the first CSR.
  // Imported only when configured: without a CA the X.509 library is never loaded (e2e 15-lazy-x509).
  const csrSigner = cfg.claims.caCert === '' ? undefined : await (await import('../identity/csr-signer.js')).CsrSigner.load({ certFile: cfg.claims.caCert, keyFile: cfg.claims.caKey, validityDays: cfg.claims.certValidityDays, validitySeconds: cfg.claims.certValiditySeconds });
  const durable = cfg.store.backend !== 'memory';
  if (durable) ensurePrivateDir(cfg.store.path);
  const js = cfg.store.jetstream;
  const store = await openStore({
    backend: cfg.store.backend,
    path: cfg.store.path,
    jetstream: {
      servers: js.servers.split(',').map((x) => x.trim()).filter(Boolean),
      prefix: js.prefix,
      replicas: js.replicas,
      maxAgeMs: js.maxAgeMs,
      maxBytes: js.maxBytes,
      appendRetryMs: js.appendRetryMs,
      name: cfg.node.id,
      ...(js.user === '' ? {} : { user: js.user, pass: js.pass }),
      ...(js.token === '' ? {} : { token: js.token }),
      ...(js.tls.caFile === '' && js.tls.certFile === '' ? {} : { tls: { ...(js.tls.caFile === '' ? {} : { caFile: js.tls.caFile }), ...(js.tls.certFile === '' ? {} : { certFile: js.tls.certFile, keyFile: js.tls.keyFile }) } }),
    },
  });
  const cleanups: Array<() => Promise<void> | void> = [() => store.close()];
  const jsStore = cfg.store.backend === 'jetstream' ? (store as JetStreamStore) : undefined;
  const close = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    // With JetStream the registry lives in a KV bucket, so every node sees the same devices.
    const registry: DeviceRegistry =
      jsStore !== undefined ? await openJetStreamRegistry(jsStore) : durable ? new SqliteRegistry(join(cfg.store.path, 'registry.db')) : new MemoryRegistry();
    cleanups.push(() => registry.close());
    // Generated secrets: per node in store.path, or once per cluster in KV so every node accepts the same ones.
    const generated = (name: string, bytes: number): Promise<string> | string =>
      jsStore !== undefined ? loadOrCreateSharedSecret(jsStore, cfg.store.path, name, bytes) : loadOrCreateSecret(cfg.store.path, name, bytes);
    const tokenKey = Buffer.from(cfg.auth.tokenKey !== '' ? cfg.auth.tokenKey : await generated('token-key', 32), 'hex');
    const operatorToken = cfg.api.operatorToken !== '' ? cfg.api.operatorToken : await generated('operator-token', 24);
    const limiter = new FailureLimiter({ burst: cfg.auth.failures.burst, refillPerSecond: cfg.auth.failures.refillPerSecond, maxSources: 100_000 });
    const auth = new Authenticator({ registry, limiter, allowAnonymous: cfg.auth.allowAnonymous, tokenKey });

    let queues: ServerQueues | undefined;
    let broker: Broker | undefined;
    let resendCommands: ((gateway: string) => Promise<number>) | undefined;
    // Several nodes on one JetStream store tell each other which topics got messages (core NATS).
    const link =
      jsStore !== undefined
        ? linkNode(jsStore, {
            nodeId: cfg.node.id,
            onRemote: (topics) => {
              broker?.notifyRemote(topics);
              for (const t of topics) queues?.notify(splitQueue(t).queue);
            },
          })
        : undefined;
    if (link !== undefined) cleanups.push(() => link.close());
    // A device disabled, rotated, deleted or revoked through this node's API loses its session on every node.
    const dropLocal = (clientId: string): void => {
      for (const c of broker?.connections ?? []) if (c.clientId === clientId) c.fail(new ProtocolError('MQTT_NOT_AUTHORIZED', `${clientId} was disabled or its credentials changed`));
    };
    const kicks =
      jsStore !== undefined
        ? createClusterDisconnect(jsStore.nc, { subject: jsStore.options.names.disconnectSubject, nodeId: cfg.node.id, onRemote: dropLocal })
        : undefined;
    if (kicks !== undefined) cleanups.push(() => kicks.close());
    broker = new Broker(store, {
      ...cfg.limits,
      allowAnonymous: cfg.auth.allowAnonymous,
      // a session on another node may hold any topic: its light queue is indexed whoever publishes
      indexEveryTopic: jsStore !== undefined,
      access: aclFile === undefined ? registryAccess(auth, registry, logger) : aclFile.over(registryAccess(auth, registry, logger)),
      ...causewayBrokerHooks(cfg.limits),
      onAppend: (topic) => {
        link?.onAppend(topic);
        queues?.notify(splitQueue(topic).queue);
      },
      // A gateway whose session gains its command subscription gets again what went out while it had none.
      onSubscribed: (who, _clientId, added) => {
        if (who.role !== 'gateway' || resendCommands === undefined || !added.some(isCommandFilter)) return;
        resendCommands(who.id).catch((err: unknown) => logger.warn('commands not sent again', { gateway: who.id, err }));
      },
      logger,
    });
    await broker.start();
    const listeners: Listener[] = [];
    // Cleanups run in reverse order: the broker before the registry and the store. The listeners stop
    // accepting while the broker closes its connections (a server's close waits for those).
    cleanups.push(async () => {
      const closing = listeners.map((l) => l.close());
      await broker.close();
      await Promise.all(closing);
    });
    const local = new QueueService(store.log, store.offsets, { visibilityTimeoutMs: cfg.queues.visibilityTimeoutMs, window: cfg.queues.window });
    queues = local;
    if (jsStore !== undefined) {
      // Several nodes: each consumer group runs on the node holding its lease; the others forward to it.
      // The holder id is per process, so a restarted node never mistakes its predecessor's leases for its own.
      let clustered: ClusteredQueues | undefined;
      const leases = await openGroupLeases(jsStore, { nodeId: `${cfg.node.id}-${randomBytes(4).toString('hex')}`, onLost: (key) => clustered?.onLeaseLost(key) });
      clustered = new ClusteredQueues(local, jsStore.nc, leases, { subject: jsStore.options.names.queuesSubject, logger });
      clustered.start();
      cleanups.push(() => clustered.close());
      queues = clustered;
    }

    const retention = startRetention(store.log, { maxAgeMs: cfg.store.retention.maxAgeSeconds * 1000, maxBytes: cfg.store.retention.maxBytes }, Math.max(1, cfg.store.retention.intervalSeconds) * 1000, logger);
    cleanups.push(() => retention.stop());

    // With JetStream the control plane's state is in KV too, so every node can run it; otherwise control.db.
    const control = jsStore !== undefined ? await openJetStreamControlStore(jsStore) : openSqliteControlStore(durable ? join(cfg.store.path, 'control.db') : ':memory:');
    cleanups.push(() => control.close());
    const publish = async (topic: string, payload: Buffer, retain = false): Promise<void> => {
      await broker.publish({ topic, payload, qos: 1, retain, clientId: '$control' });
    };
    let files: ApiDeps['files'];
    let chunkCounters: ChunkServer['counters'] | undefined;
    let artifactCache: { readonly cacheEvictions: number } | undefined;
    let renewCounters: CertRenewer['counters'] | undefined;
    let served: ServedCounters | undefined;
    const commands = new CommandService({ store: control.commands, registry, publish: (t, p) => publish(t, p), logger });
    resendCommands = (gateway) => commands.resendTo(gateway);
    const config = new ConfigService({ store: control.config, registry, publishRetained: (t, p) => publish(t, p, true), logger });
    if (cfg.control.enabled) {
      const consumer = new ControlConsumer(queues, commands, config, logger, control.fleet);
      consumer.start();
      cleanups.push(async () => {
        await consumer.stop();
        await commands.settled();
      });
      let ticking = false; // a tick over a large KV store can outlast the interval: never two at once
      const tick = setInterval(() => {
        if (ticking) return;
        ticking = true;
        void commands
          .tick()
          .catch((err: unknown) => logger.error('command tick failed', { err }))
          .finally(() => (ticking = false));
      }, 1000);
      tick.unref();
      cleanups.push(() => clearInterval(tick));
      // Artifacts and their delivery (issue 17): content stored once, chunks answered over MQTT. With
      // JetStream in an Object Store and a KV bucket every node shares (a node-local cache for reads);
      // otherwise in this node's directory.
      const artifacts: ArtifactStore =
        jsStore !== undefined
          ? await openJetStreamArtifactStore(jsStore, join(cfg.store.path, 'artifacts-cache'), cfg.files.cacheMaxBytes)
          : new SqliteArtifactStore(durable ? join(cfg.store.path, 'artifacts') : mkdtempSync(join(tmpdir(), 'causeway-artifacts-')));
      if (artifacts instanceof JetStreamArtifactStore) artifactCache = artifacts;
      cleanups.push(() => artifacts.close());
      // A gateway fetches only content rolled out to it, over MQTT or HTTP (fetch-grants.ts).
      const grants = new FetchGrants({ commands });
      served = new ServedCounters();
      files = { artifacts, delivery: new DeliveryService({ artifacts, commands, trustedKeys: cfg.files.trustedKeys.map((k) => parsePublicKey(k)), keepVersions: cfg.files.keepVersions, logger }), maxArtifactBytes: cfg.files.maxArtifactBytes, grants, served };
      const chunks = new ChunkServer(
        queues,
        artifacts,
        {
          ephemeral: (gw, t, p) => broker.sendEphemeral(gw, t, p),
          // Only a cluster stores an answer: its gateway may be connected to another node.
          ...(jsStore === undefined ? {} : { publish: (t: string, p: Buffer) => broker.publish({ topic: t, payload: p, qos: 0, retain: false, clientId: '$files' }).then(() => undefined) }),
        },
        logger,
        { grants, served },
      );
      chunks.start();
      chunkCounters = chunks.counters;
      cleanups.push(() => chunks.stop());
      if (csrSigner !== undefined) {
        // Certificate renewal over the gateways' mTLS links (issue 20); answers through the log, QoS 1.
        const renewer = new CertRenewer(queues, registry, csrSigner, (t, p) => broker.publish({ topic: t, payload: p, qos: 1, retain: false, clientId: '$certs' }).then(() => undefined), logger);
        renewer.start();
        renewCounters = renewer.counters;
        cleanups.push(() => renewer.stop());
      }
    }

    // Sinks: consumer groups whose member writes to a target. Stopped before the broker and the store
    // (cleanups run in reverse), so an in-flight batch is either acked after its commit or redelivered.
    const sinks = new SinkService(parseSinks(cfg.sinks), {
      queues,
      member: cfg.node.id,
      logger,
      deadLetter: async (sink, record) => {
        await broker.publish({ topic: `${DEAD_LETTER_QUEUE}/${sink}`, payload: Buffer.from(JSON.stringify({ ...record, at: Date.now() })), qos: 1, retain: false, clientId: '$sink' });
      },
      // An operator's pause outlives a restart; on JetStream the node running a sink reads one asked of another.
      pauses: control.sinks,
      ...(jsStore === undefined ? {} : { syncPausesMs: 2000 }),
    });
    await sinks.start();
    cleanups.push(() => sinks.stop());

    const handle = broker.handle.bind(broker);
    const { host } = cfg.mqtt;
    if (cfg.mqtt.port >= 0) listeners.push(await startTcpListener(host, cfg.mqtt.port, handle));
    if (cfg.mqtt.tls.port >= 0) listeners.push(await startTlsListener(host, cfg.mqtt.tls.port, cfg.mqtt.tls, handle));
    if (cfg.mqtt.ws.port >= 0) listeners.push(await startWsListener(host, cfg.mqtt.ws.port, handle));
    const names = { tcp: 'port', tls: 'tlsPort', ws: 'wsPort' } as const;
    const ports: Record<string, number> = Object.fromEntries(listeners.map((l) => [names[l.kind], l.port]));

    const apiCounters = newApiCounters();
    if (cfg.api.port >= 0) {
      const api: Server = createApiServer({
        registry,
        queues,
        sinks,
        log: store.log,
        operatorToken,
        tokenKey,
        ...(cfg.control.enabled ? { commands, config, fleet: control.fleet, claims: control.claims, registrations: control.registrations, pendingRetrySeconds: cfg.claims.pendingRetrySeconds } : {}),
        kdfLogN: cfg.auth.kdfLogN,
        ...(csrSigner === undefined ? {} : { csrSigner }),
        ...(files === undefined ? {} : { files }),
        logger,
        publish: async (r) => {
          await broker.publish({ topic: r.topic, payload: r.payload, qos: r.qos, retain: false, clientId: r.clientId });
        },
        disconnect: (clientId) => {
          dropLocal(clientId);
          kicks?.announce(clientId);
        },
        stats: async () => ({ broker: broker.counters, auth: { ...auth.counters, ...(renewCounters === undefined ? {} : { renewals: { ...renewCounters } }) }, ...(chunkCounters === undefined ? {} : { chunks: { ...chunkCounters } }), ...(served === undefined ? {} : { artifacts: served.byTransport }), ...(artifactCache === undefined ? {} : { artifactCache: { evictions: artifactCache.cacheEvictions } }) }),
        retained: (filter) => store.retained.matchRetained(filter),
        headersTimeoutMs: cfg.api.headersTimeoutMs,
        requestTimeoutMs: cfg.api.requestTimeoutMs,
        maxStreams: cfg.api.maxStreams,
        authFailures: cfg.auth.failures,
        counters: apiCounters,
      });
      await new Promise<void>((resolve, reject) => {
        api.once('error', reject);
        api.listen(cfg.api.port, cfg.api.host, () => resolve());
      });
      ports.apiPort = (api.address() as AddressInfo).port;
      cleanups.push(async () => {
        api.closeAllConnections();
        await new Promise((r) => api.close(r));
      });
    }

    let health: HealthServer | undefined;
    if (cfg.health.port >= 0) {
      const metrics = cloudMetrics(broker, store.log, commands, queues instanceof ClusteredQueues ? queues : undefined, apiCounters, jsStore?.log, sinks, aclFile?.counters, served, () => ({ ...auth.counters, ...(renewCounters === undefined ? {} : { renewalRequests: renewCounters.requests, renewed: renewCounters.renewed, renewalsRefused: renewCounters.refused, renewalsMalformed: renewCounters.malformed }) }));
      registerFleetMetrics(metrics, async () => gatewayViews(await registry.list({ kind: 'gateway' }), await control.fleet.statuses(), Date.now()));
      health = await startHealthServer({
        host: cfg.health.host,
        port: cfg.health.port,
        registry: metrics,
        check: async () => ({ ok: !broker.closing, details: { connections: broker.counters.connectionsOpen, store: await store.log.stats() } }),
        logger,
      });
      ports.healthPort = health.port;
      cleanups.push(() => health!.close());
    }
    return { broker, registry, commands, config, queues, sinks, ports, operatorToken, aclFile, close };
  } catch (err) {
    await close();
    throw err;
  }
}
