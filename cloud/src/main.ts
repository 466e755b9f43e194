#!/usr/bin/env node
import { loadConfig } from '../../shared/src/config/load-config.js';
import { runProgram } from '../../shared/src/cli/program.js';
import { createLogger } from '../../shared/src/log/logger.js';
import { Broker } from './broker/broker.js';
import { checkCloudConfig, cloudSchema, type CloudConfig } from './config/schema.js';
import type { Listener } from './listeners/listener.js';
import { startTcpListener } from './listeners/tcp-listener.js';
import { startTlsListener } from './listeners/tls-listener.js';
import { startWsListener } from './listeners/ws-listener.js';
import { openStore } from './store/open-store.js';

/** Composition root: config → store → broker → listeners; SIGTERM/SIGINT drain and close the store. */
await runProgram(
  { name: 'causeway-cloud', summary: 'cloud broker: MQTT 3.1.1/5 on a store-once log with server-side queues', schema: cloudSchema },
  async (argv) => {
    const cfg = loadConfig<CloudConfig>(cloudSchema, { argv });
    checkCloudConfig(cfg);
    const logger = createLogger({ level: cfg.log.level, name: 'causeway-cloud' });
    const store = await openStore({ backend: cfg.store.backend, path: cfg.store.path });
    const broker = new Broker(store, { ...cfg.limits, allowAnonymous: cfg.auth.allowAnonymous, logger });
    await broker.start();
    const handle = broker.handle.bind(broker);
    const listeners: Listener[] = [];
    try {
      const { host } = cfg.mqtt;
      if (cfg.mqtt.port >= 0) listeners.push(await startTcpListener(host, cfg.mqtt.port, handle));
      if (cfg.mqtt.tls.port >= 0) listeners.push(await startTlsListener(host, cfg.mqtt.tls.port, cfg.mqtt.tls, handle));
      if (cfg.mqtt.ws.port >= 0) listeners.push(await startWsListener(host, cfg.mqtt.ws.port, handle));
    } catch (err) {
      for (const l of listeners) await l.close();
      await broker.close();
      await store.close();
      throw err;
    }
    // `port` is the TCP port, also when 0 asked for a free one: tests and scripts read it from this line.
    const names = { tcp: 'port', tls: 'tlsPort', ws: 'wsPort' } as const;
    const ports = Object.fromEntries(listeners.map((l) => [names[l.kind], l.port]));
    // The listening line is the start-up contract (tests and scripts read the ports from it), so it is
    // written at info even when log.level is warn or error; only `silent` suppresses it.
    const announce = cfg.log.level === 'silent' || cfg.log.level === 'debug' || cfg.log.level === 'info' ? logger : createLogger({ level: 'info', name: 'causeway-cloud' });
    announce.info('listening', { host: cfg.mqtt.host, ...ports, store: cfg.store.backend, sessions: broker.sessions.size });

    const signal = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    logger.info('draining', { signal });
    const closing = listeners.map((l) => l.close());
    await broker.close();
    await Promise.all(closing);
    await store.close();
    logger.info('stopped', { counters: broker.counters });
    return 0;
  },
);
