#!/usr/bin/env node
import { loadConfig, runProgram, createLogger } from '@causeway/shared';
import { createNotifier } from '@causeway/shared/health';
import { checkCloudConfig, cloudSchema, type CloudConfig } from './config/schema.js';
import { startCloudNode } from './app/cloud-node.js';
import { parseSinks } from './sinks/sink-spec.js';

/** Composition root: config → cloud node (app/cloud-node.ts); systemd notify; SIGTERM/SIGINT drain. */
await runProgram(
  {
    name: 'causeway-cloud',
    summary: 'cloud broker: MQTT 3.1.1/5 on a store-once log with server-side queues',
    schema: cloudSchema,
    examples: ['causeway-cloud --store.path /var/lib/causeway --auth.allowAnonymous false', 'causeway-cloud --config /etc/causeway/cloud.json --api.port 8080'],
  },
  async (argv) => {
    const cfg = loadConfig<CloudConfig>(cloudSchema, { argv });
    checkCloudConfig(cfg);
    const logger = createLogger({ level: cfg.log.level, name: 'causeway-cloud' });
    const notifier = createNotifier(process.env, { logger });
    const node = await startCloudNode(cfg, logger);
    // The listening line is the start-up contract (tests and scripts read the ports from it), so it is
    // written at info even when log.level is warn or error; only `silent` suppresses it.
    const announce = cfg.log.level === 'silent' || cfg.log.level === 'debug' || cfg.log.level === 'info' ? logger : createLogger({ level: 'info', name: 'causeway-cloud' });
    announce.info('listening', { host: cfg.mqtt.host, ...node.ports, store: cfg.store.backend, sessions: node.broker.sessions.size, allowAnonymous: cfg.auth.allowAnonymous });
    if (node.ports.apiPort !== undefined) announce.info('console', { url: `http://${cfg.api.host.includes(':') ? `[${cfg.api.host}]` : cfg.api.host}:${node.ports.apiPort}/` });
    if (cfg.auth.allowAnonymous) logger.warn('auth.allowAnonymous is on: any client can connect with full access (development only)');
    await notifier.ready('listening');
    const stopWatchdog = notifier.startWatchdog();

    const signal = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
      // SIGHUP re-reads the acl_file (auth.aclFile) and the sinks (issue 21: the config read again from the
      // same file, environment and flags), the live-reloadable settings; a bad file keeps the old rules or
      // the running sinks. Always acknowledged, so `systemctl reload` never kills the broker.
      process.on('SIGHUP', () => {
        if (node.aclFile !== undefined) node.aclFile.reload(logger);
        void node.sinks.reload(() => {
          const next = loadConfig<CloudConfig>(cloudSchema, { argv });
          checkCloudConfig(next);
          return parseSinks(next.sinks);
        });
        logger.info('SIGHUP: reloading auth.aclFile and sinks; restart to change other config');
        void notifier.ready('running');
      });
    });
    logger.info('draining', { signal });
    // The stop is bounded [issue 23]: a close waiting on a store that is unreachable (every nats-server
    // down) or a client library's reconnect timers must not keep the process alive. Nothing is lost by
    // exiting: a PUBACK is only sent once the store has the message.
    const deadline = setTimeout(() => {
      logger.warn('drain timed out: exiting', { drainTimeoutMs: cfg.node.drainTimeoutMs });
      process.exit(0);
    }, cfg.node.drainTimeoutMs);
    deadline.unref();
    await notifier.stopping('draining');
    stopWatchdog();
    await node.close();
    logger.info('stopped', { counters: node.broker.counters });
    return 0;
  },
);
