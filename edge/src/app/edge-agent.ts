import { EventEmitter } from 'node:events';
import { dirname, join } from 'node:path';
import { ConfigError, EXIT, packageVersion, parsePublicKey, type Logger } from '@causeway/shared';
import type { HealthServer } from '@causeway/shared/health';
import { startStatusSocket } from '@causeway/shared/health/status-socket.js';
import type { Dbc } from '@causeway/shared/can/index.js';
import { FileJobs } from '../files/file-jobs.js';
import { ChunkClient, type ChunkLink } from '../files/chunk-client.js';
import { HttpChunkSource } from '../files/http-chunk-source.js';
import { FileInstaller } from '../files/file-installer.js';
import { hostTarget } from '../files/install-guard.js';
import { ReleaseSwitch } from '../files/release-switch.js';
import type { EdgeConfig } from '../config/schema.js';
import { SqliteOutbox } from '../store/sqlite-outbox.js';
import { MqttUplink } from '../uplink/mqtt-uplink.js';
import { startLineSource, type LineSourceStats } from '../input/stdin-source.js';
import { startIngest, type Ingest } from '../ingest/start-ingest.js';
import { CommandInbox } from '../commands/command-inbox.js';
import { CommandExecutor } from '../commands/command-executor.js';
import { ConfigApplier } from '../commands/config-applier.js';
import { SerialCommandRouter } from '../commands/serial-command-router.js';
import { createBuiltins } from '../commands/builtins.js';
import { changedParts, mergeRemoteConfig } from './merge-remote-config.js';
import { checkHttpFilesCredential } from '../config/http-files-credential.js';
import type { EdgeAgent } from './edge-snapshot.js';
import { diskFree, healthCollector } from './gateway-health.js';
import { diagnosticsCommand } from './diagnostics.js';
import { logCommands } from '../logs/log-commands.js';
import type { JournalSource } from '../logs/journal-source.js';
import type { LogRing } from '../logs/log-ring.js';

export type { EdgeAgent };
import { checkListenExposure, listenerAccess } from './local-listener-access.js';


/** QoS 1 messages the hosted listener has out to a client at once (its Receive Maximum). */
const LOCAL_INFLIGHT = 1024;

/** The optional MQTT listener for LAN sensors (ingest.mqtt.listen). */
async function startLocalListener(cfg: EdgeConfig, dataDir: string, log: Logger): Promise<{ port: number; close(): Promise<void> } | undefined> {
  const listen = cfg.ingest.mqtt.listen;
  if (listen === undefined || listen.port < 0) return undefined;
  // Issue 23 item 13: beyond loopback, credentials or an explicit opt-in (ConfigError → exit 78).
  checkListenExposure(listen);
  // Loaded only when a listener is configured (issue 16): the broker is most of the agent's code.
  const { Broker, openSqliteStore, startTcpListener } = await import('@causeway/broker');
  const store = openSqliteStore({ dir: join(dataDir, 'local-mqtt') });
  const anonymous = (listen.username ?? '') === '';
  // A wide in-flight window (issue 16): the agent's own ingest client acknowledges in order as readings
  // settle (in-order-acks.ts), ~100–250 ms each, so the window, not the disk, bounds a sensor's rate.
  const broker = new Broker(store, { allowAnonymous: anonymous, access: listenerAccess(listen), logger: log.child({ part: 'local-mqtt' }), maxInflight: LOCAL_INFLIGHT });
  await broker.start();
  const listener = await startTcpListener(listen.host, listen.port, broker.handle.bind(broker));
  log.info('local MQTT listener', { host: listen.host, port: listener.port, anonymous });
  return {
    port: listener.port,
    close: async () => {
      const closing = listener.close();
      await broker.close();
      await closing;
      await store.close();
    },
  };
}

export interface AgentHooks {
  /** the built-in `restart-agent` command asks for a restart (exit non-zero, systemd starts us again) */
  onRestart: () => void;
  /** the on-disk ring of recent log lines the `logs` and `support-bundle` commands read (issue 20) */
  logRing?: LogRing;
  /** the agent's journal, when it runs as a systemd service (journal-source.ts); `logs` prefers it */
  journal?: JournalSource;
  /** masks the literal credentials in a journal line (the ring masks its own) */
  maskLog?: (line: string) => string;
}

type UplinkOpts = ConstructorParameters<typeof MqttUplink>[0];

function uplinkOptions(cfg: EdgeConfig, outbox: SqliteOutbox, log: Logger, persist: UplinkOpts['persistDownlink'], health: UplinkOpts['health']): UplinkOpts {
  const opts: UplinkOpts = {
    outbox,
    gateway: cfg.gateway.id,
    groups: cfg.gateway.groups,
    url: cfg.cloud.url,
    keepaliveSeconds: cfg.cloud.keepaliveSeconds,
    connectTimeoutMs: Math.max(1, cfg.cloud.connectTimeoutSeconds) * 1000,
    backoff: { baseMs: Math.max(1, cfg.cloud.backoffBaseMs), capMs: Math.max(1, cfg.cloud.backoffMaxMs), minMs: Math.min(100, cfg.cloud.backoffMaxMs) },
    inflight: Math.max(1, cfg.uplink.inflight),
    form: { maxRecords: Math.max(1, cfg.uplink.batchMaxReadings), maxBytes: Math.max(1, cfg.uplink.batchMaxBytes), liveWindowMs: cfg.uplink.liveWindowSeconds * 1000, delayMs: cfg.uplink.batchDelayMs },
    // a batch under 256 bytes (one or a few readings) barely shrinks and pays a zlib context (issue 16)
    encode: { codec: cfg.uplink.codec, deflate: cfg.uplink.deflate, deflateMinBytes: 256 },
    maxBytesPerSecond: cfg.uplink.maxBytesPerSecond,
    agentVersion: packageVersion(),
    heartbeatMs: cfg.status.heartbeatSeconds * 1000,
    logger: log.child({ part: 'uplink' }),
  };
  if (health !== undefined) opts.health = health;
  if (persist !== undefined) opts.persistDownlink = persist;
  if (cfg.cloud.username) opts.username = cfg.cloud.username;
  if (cfg.cloud.password) opts.password = cfg.cloud.password;
  if (cfg.cloud.ca) opts.caFile = cfg.cloud.ca;
  if (cfg.cloud.cert) opts.certFile = cfg.cloud.cert;
  if (cfg.cloud.key) opts.keyFile = cfg.cloud.key;
  return opts;
}

/**
 * Wires one gateway agent: outbox → uplink; ingest (serial, local MQTT, stdin) → outbox; downlink →
 * command inbox and executor (serial devices, built-ins) and the remote config applier; status socket,
 * health and metrics. `main.ts` loads the config and handles signals; tests and the demo call this.
 */
export async function startEdgeAgent(initial: EdgeConfig, log: Logger, hooks: AgentHooks): Promise<EdgeAgent> {
  const startedAt = Date.now();
  let cfg = initial;
  /** the local config (file, env, flags) that remote documents are merged over; SIGHUP replaces it */
  let local = initial;
  const dataDir = dirname(cfg.store.path);
  let uplink: MqttUplink | undefined;
  let lastAckAt: number | undefined;
  const outbox = SqliteOutbox.open({
    path: cfg.store.path,
    gateway: cfg.gateway.id,
    maxBytes: cfg.buffer.maxBytes,
    maxAgeMs: cfg.buffer.maxAgeSeconds * 1000,
    commitIntervalMs: cfg.buffer.commitIntervalMs,
    commitMaxRecords: cfg.buffer.commitMaxRecords,
    direct: cfg.buffer.direct,
    ...(cfg.ingest.maxReadingBytes === undefined ? {} : { maxReadingBytes: cfg.ingest.maxReadingBytes }),
    logger: log.child({ part: 'outbox' }),
    onCommit: () => uplink?.wake(),
    onFatal: (err) => {
      // Exit non-zero so systemd restarts us; the start-up check then quarantines the file.
      log.error('outbox file is corrupt; exiting so the restart quarantines it', { err });
      process.exit(EXIT.IOERR);
    },
  });
  log.info('outbox open', { path: cfg.store.path, epoch: outbox.epoch, records: outbox.stats().records, quarantined: outbox.quarantine !== undefined });

  const inbox = new CommandInbox(join(dataDir, 'inbox.db'));
  // File and release delivery (issue 17): chunks over whichever uplink is current (a config change
  // replaces it), jobs and installed versions in files.db beside the outbox.
  const linkBus = new EventEmitter();
  const link = Object.assign(linkBus, { request: (topic: string, payload: Buffer) => uplink?.request(topic, payload) ?? false }) as unknown as ChunkLink;
  const fileJobs = new FileJobs(join(dataDir, 'files.db'));
  const releases = new ReleaseSwitch({ root: cfg.update.root, jobs: fileJobs, healthGateMs: cfg.update.healthGateSeconds * 1000, logger: log.child({ part: 'update' }), restart: hooks.onRestart });
  checkHttpFilesCredential(cfg);
  if (cfg.files.transport === 'http' && cfg.files.httpUrl === '') throw new ConfigError('files.transport is http but files.httpUrl (the cloud API) is empty', { key: 'files.httpUrl' });
  const chunkTimeoutMs = Math.max(100, cfg.files.chunkTimeoutMs);
  const httpChunks =
    cfg.files.transport === 'http'
      ? new HttpChunkSource({ baseUrl: cfg.files.httpUrl, username: cfg.cloud.username || cfg.gateway.id, password: cfg.cloud.password, timeoutMs: chunkTimeoutMs, maxBytesPerSecond: cfg.files.maxBytesPerSecond, logger: log.child({ part: 'files' }) })
      : undefined;
  const installer = new FileInstaller({
    gateway: cfg.gateway.id,
    jobs: fileJobs,
    chunks: httpChunks ?? new ChunkClient({ link, gateway: cfg.gateway.id, timeoutMs: chunkTimeoutMs, maxBytesPerSecond: cfg.files.maxBytesPerSecond, logger: log.child({ part: 'files' }) }),
    results: outbox,
    trustedKeys: cfg.files.trustedKeys.map((k) => parsePublicKey(k)),
    target: cfg.files.target !== '' ? cfg.files.target : hostTarget(),
    root: cfg.files.root,
    minFreeBytes: cfg.files.minFreeBytes,
    releases,
    logger: log.child({ part: 'files' }),
  });
  let ingest: Ingest | undefined;
  let stdin: LineSourceStats | undefined;
  const router = new SerialCommandRouter(
    { sendToDevice: (device, line) => ingest?.sendToDevice(device, line) ?? false },
    () => ingest?.commandableDevices() ?? new Set<string>(),
  );
  // LAN sensors can publish to the agent itself: the project's own broker on a SQLite store beside the
  // outbox, so a sensor's QoS 1 message is durable when the sensor gets its PUBACK.
  const lan = await startLocalListener(cfg, dataDir, log);
  const withLocal = (c: EdgeConfig): EdgeConfig['ingest'] =>
    lan === undefined || c.ingest.mqtt.url !== ''
      ? c.ingest
      : {
          ...c.ingest,
          mqtt: {
            ...c.ingest.mqtt,
            url: `mqtt://127.0.0.1:${lan.port}`,
            clientId: c.ingest.mqtt.clientId || `${c.gateway.id}-ingest`,
            // the agent's own client presents the listener's credentials unless others are configured
            username: c.ingest.mqtt.username || (c.ingest.mqtt.listen?.username ?? ''),
            password: c.ingest.mqtt.username ? c.ingest.mqtt.password : (c.ingest.mqtt.listen?.password ?? ''),
          },
        };
  /** the DBCs the CAN sources decoded with when the ingest was last stopped for a restart */
  let dbcsInUse: ReadonlyMap<string, Dbc> | undefined;
  const startIngestFor = (c: EdgeConfig): Ingest =>
    startIngest(withLocal(c), outbox, log, {
      onReply: (d, r) => router.onReply(d, r),
      ...(dbcsInUse === undefined ? {} : { previousDbcs: dbcsInUse }),
      // /metrics registered the first ingest's counters: a restarted ingest goes on counting on them
      ...(ingest === undefined ? {} : { counters: ingest.counters }),
    });

  const snapshot = (): Record<string, unknown> => {
    const oldest = outbox.oldestCreated();
    return {
      gateway: cfg.gateway.id,
      version: packageVersion(),
      link: { ...(uplink?.stats ?? { connected: false }), ...(lastAckAt === undefined ? {} : { lastAckAt }) },
      outbox: { ...outbox.stats(), ...(oldest === undefined ? {} : { oldestAgeSeconds: Math.max(0, (Date.now() - oldest) / 1000) }) },
      ingest: ingest?.counters ?? {},
      ...(stdin === undefined ? {} : { stdin: { ...stdin, drops: { ...stdin.drops } } }),
      commands: { ...executor.counters },
      files: { ...installer.counters, transport: cfg.files.transport, ...(httpChunks === undefined ? {} : httpChunks.counters), installed: installer.installed() },
      config: { version: applier.current()?.version ?? 0 },
      ports: ingest?.ports() ?? cfg.ingest.ports.map((p) => ({ device: p.device, path: p.path })),
      health: gatewayHealth(),
    };
  };

  const executor = new CommandExecutor({
    gateway: cfg.gateway.id,
    inbox,
    results: outbox,
    router,
    logger: log.child({ part: 'commands' }),
    timeoutMs: cfg.commands.timeoutMs,
    handoff: { install: installer },
    builtins: {
      ...createBuiltins({
        status: snapshot,
        flush: async () => {
          outbox.flush();
          uplink?.wake();
          return { records: outbox.stats().records };
        },
        restart: hooks.onRestart,
      }),
      ...logCommands({ ring: hooks.logRing, journal: hooks.journal, ...(hooks.maskLog === undefined ? {} : { mask: hooks.maskLog }), config: () => cfg, status: snapshot }),
      ...diagnosticsCommand({ config: () => cfg, dataDir, outboxCheck: () => outbox.integrityCheck(), ports: () => ingest?.ports() ?? [], diskFree: () => diskFree(dataDir) }),
    },
  });

  const sum = (c: Record<string, number>): number => Object.values(c).reduce((a, b) => a + b, 0);
  // The uplink is replaced when its config changes: the last error of the one before is kept.
  let previousUplinkError: { message: string; at: number } | undefined;
  const gatewayHealth = healthCollector({
    startedAt,
    dataDir,
    outbox: () => {
      const st = outbox.stats();
      return { records: st.records, bytes: st.bytes, oldestCreated: outbox.oldestCreated(), evicted: sum(st.evicted), expired: sum(st.expired) };
    },
    ports: () => ingest?.ports() ?? [],
    lastUplinkError: () => uplink?.lastError ?? previousUplinkError,
    configVersion: () => applier.current()?.version ?? 0,
  });

  const startUplink = (c: EdgeConfig): MqttUplink => {
    const u = new MqttUplink(
      uplinkOptions(c, outbox, log, async (env, topic) => {
        // Persist-before-PUBACK for commands; config is retained and comes again on every subscribe,
        // so it is applied in the background (applying waits for the link, which must not block the PUBACK).
        if (env.type === 'command') await executor.accept(topic, env);
        else void applier.receiveEnvelope(env).catch((err: unknown) => log.error('config apply failed', { err }));
      }, gatewayHealth),
    );
    u.on('acked', () => (lastAckAt = Date.now()));
    u.on('chunk', (topic: string, payload: Buffer) => linkBus.emit('chunk', topic, payload));
    u.on('cert', (topic: string, payload: Buffer) => linkBus.emit('cert', topic, payload));
    u.on('connect', () => linkBus.emit('connect'));
    u.start();
    return u;
  };

  const applyConfig = async (next: EdgeConfig): Promise<void> => {
    const parts = changedParts(cfg, next);
    const prev = cfg;
    cfg = next;
    if (parts.ingestSources) {
      // a DBC file broken since it was last read keeps the DBC in use (start-ingest.ts previousDbcs)
      if (ingest !== undefined) dbcsInUse = ingest.dbcInUse();
      await ingest?.stop();
      ingest = startIngestFor(next);
    } else {
      if (parts.ingestRules) ingest?.updateRules(next.ingest);
      if (parts.canDbc) ingest?.setCanDbc(next.ingest.canDbc ?? {});
    }
    if (parts.uplink) {
      const old = uplink;
      previousUplinkError = old?.lastError ?? previousUplinkError;
      uplink = undefined;
      await old?.stop();
      uplink = startUplink(next);
    }
    log.info('config applied', { ingestRules: parts.ingestRules, canDbc: parts.canDbc, ingestSources: parts.ingestSources, uplink: parts.uplink, from: prev === next ? 'same' : 'changed' });
  };

  const linkUp = async (timeoutMs: number): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (uplink?.stats.connected) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return uplink?.stats.connected ?? false;
  };
  const applier = new ConfigApplier({
    gateway: cfg.gateway.id,
    inbox,
    results: outbox,
    logger: log.child({ part: 'config' }),
    rollbackTimeoutMs: cfg.commands.rollbackTimeoutSeconds * 1000,
    validate: (doc) => void mergeRemoteConfig(local, doc),
    apply: (doc) => applyConfig(mergeRemoteConfig(local, doc)),
    linkHealthy: (timeoutMs) => linkUp(timeoutMs),
  });

  // A config applied before a restart comes back before anything connects.
  const restored = await applier.restore().catch((err: unknown) => {
    log.error('stored remote config no longer valid; running the local config', { err });
    return undefined;
  });
  if (restored !== undefined) log.info('remote config restored', { version: restored });
  ingest ??= startIngestFor(cfg);
  // Recovery reads and claims what it resumes synchronously, before the uplink can redeliver anything
  // (issue 22); its FAILED answers are committed while the link comes up.
  const recovering = executor.recover();
  // A gateway registered with a CSR renews its certificate over its own link (issue 20); a renewal a
  // crash cut between its two renames is completed first, so the uplink reads a matching pair.
  const renewal = cfg.identity.csr && cfg.cloud.cert !== '' && cfg.cloud.key !== '' ? await startCertRenewal(cfg, link, log, async () => {
    // As for a config change that touches the link: a new uplink, which reads the new files.
    const old = uplink;
    previousUplinkError = old?.lastError ?? previousUplinkError;
    uplink = undefined;
    await old?.stop();
    uplink = startUplink(cfg);
  }) : undefined;
  uplink ??= startUplink(cfg);
  await recovering;
  // After a release swap (issue 17): report a rollback, or run the new release's health gate. Before the
  // installer starts: a stale `pending` (a kill -9 before the swap) must be cleared first, or the loop
  // would skip its job and wait for ever (edge e2e 35).
  const afterSwap = releases.atStart();
  // A release put back is finished before the installer looks for open jobs (finishRelease records it
  // synchronously, then reports): a kill -9 between the swap and its AWAITING_HEALTH record leaves the job
  // INSTALLING, and the loop would install the rolled-back release again from its placed copy (edge e2e 37).
  const rolledBack = afterSwap !== undefined && 'status' in afterSwap ? installer.finishRelease(afterSwap.job, 'ROLLED_BACK', { error: afterSwap.reason }) : undefined;
  installer.start();
  if (rolledBack !== undefined) await rolledBack;
  else if (afterSwap !== undefined && !('status' in afterSwap)) {
    const gateMs = cfg.update.healthGateSeconds * 1000;
    log.info('new release: health gate', { version: afterSwap.version, previous: afterSwap.previous, seconds: cfg.update.healthGateSeconds });
    // Healthy = connected, and the cloud acknowledged a batch of the outbox (or there was nothing to send):
    // a release that connects but cannot deliver is no better than one that cannot connect.
    const started = Date.now();
    const delivering = async (): Promise<boolean> => {
      const deadline = started + gateMs;
      while (Date.now() < deadline) {
        if (uplink?.stats.connected && ((lastAckAt ?? 0) >= started || outbox.stats().records === 0)) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    };
    void delivering().then(async (ok) => {
      if (ok) {
        releases.confirm();
        log.info('new release passed its health gate', { version: afterSwap.version });
        await installer.finishRelease(afterSwap.job, 'SUCCEEDED', { output: { name: afterSwap.job.name, version: afterSwap.version, previous: afterSwap.previous } });
      } else {
        releases.rollBack(afterSwap, `it did not connect to the cloud and deliver its outbox within ${cfg.update.healthGateSeconds} s (update.healthGateSeconds)`);
        hooks.onRestart();
      }
    });
  }

  if (cfg.input.stdin) {
    stdin = startLineSource(process.stdin, outbox, {
      logger: log.child({ part: 'stdin' }),
      ...(cfg.ingest.maxReadingBytes === undefined ? {} : { maxReadingBytes: cfg.ingest.maxReadingBytes }),
      ...(cfg.input.stdinAck ? { ackTo: process.stdout } : {}),
    }).stats;
  }

  // Progress of a long backlog drain, for the operator following the journal after an outage.
  let lastDepth = outbox.stats().records;
  const progress = setInterval(() => {
    const depth = outbox.stats().records;
    const rate = (lastDepth - depth) / 10;
    if (uplink?.stats.connected && depth >= 1000 && rate > 0) {
      log.info('backlog draining', { records: depth, perSecond: Math.round(rate), etaSeconds: Math.round(depth / rate) });
    }
    lastDepth = depth;
  }, 10_000);
  progress.unref();

  const statusPath = cfg.status.socket !== '' ? cfg.status.socket : join(dataDir, 'status.sock');
  const status = await startStatusSocket(statusPath, snapshot);
  let health: HealthServer | undefined;
  const agent: EdgeAgent = {
    ...(lan === undefined ? {} : { localMqttPort: lan.port }),
    snapshot,
    ingestCounters: () => ingest!.counters,
    statusSocket: statusPath,
    reload: async (fresh) => {
      local = fresh;
      const remote = applier.current()?.config ?? {};
      await applyConfig(mergeRemoteConfig(fresh, remote));
      ingest?.reloadFiles();
    },
    stop: async () => {
      clearInterval(progress);
      await ingest?.stop(); // frames already read reach the outbox first
      await installer.stop(); // a download stops after its current chunk and resumes on the next start
      renewal?.stop();
      await executor.stop();
      outbox.flush(); // every add already accepted is committed before we go
      await uplink?.drain(cfg.uplink.drainTimeoutMs);
      await status.close();
      await health?.close();
      await lan?.close();
      inbox.close();
      fileJobs.close();
      outbox.close();
      log.info('stopped', { ...(uplink?.stats ?? {}), outbox: outbox.stats() });
    },
  };
  if (cfg.health.port >= 0) {
    // /metrics (prom-client) and the HTTP server load only when configured (issue 16)
    const [{ startHealthServer }, { edgeMetrics }] = await Promise.all([import('@causeway/shared/health/http-health.js'), import('./edge-metrics.js')]);
    health = await startHealthServer({
      host: cfg.health.host,
      port: cfg.health.port,
      registry: edgeMetrics(agent),
      check: () => ({ ok: true, details: { link: uplink?.stats.connected ?? false, outboxRecords: outbox.stats().records } }),
      logger: log,
    });
    Object.defineProperty(agent, 'healthPort', { value: health.port });
  }
  return agent;
}

/** Loaded only for a gateway with a certificate from the cloud CA (the X.509 library, issue 16). */
async function startCertRenewal(cfg: EdgeConfig, link: ChunkLink, log: Logger, reconnect: () => Promise<void>): Promise<{ stop(): void }> {
  const [{ finishCertInstall }, { CertRenewal }, { recordCertificateEnd }] = await Promise.all([import('./cert-files.js'), import('./cert-renewal.js'), import('./claim-registration.js')]);
  const done = finishCertInstall(cfg.cloud.key, cfg.cloud.cert);
  if (done !== 'none') log.info('certificate renewal finished at start', { done });
  const logger = log.child({ part: 'identity' });
  const r = new CertRenewal({
    link: link as unknown as import('./cert-renewal.js').RenewalLink,
    gateway: cfg.gateway.id,
    certFile: cfg.cloud.cert,
    keyFile: cfg.cloud.key,
    renewRemaining: cfg.identity.renewRemaining,
    checkMs: Math.max(1, cfg.identity.renewCheckSeconds) * 1000,
    logger,
    onRenewed: (notAfter) => {
      if (cfg.identity.claimToken !== '') {
        try {
          recordCertificateEnd(cfg, notAfter);
        } catch (err) {
          logger.warn('credentials file not updated with the renewed certificate\'s end', { err: (err as Error).message });
        }
      }
      void reconnect().catch((err: unknown) => logger.error('reconnect with the renewed certificate failed', { err }));
    },
  });
  r.start();
  return r;
}
