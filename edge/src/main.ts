#!/usr/bin/env node
import { once } from 'node:events';
import { ConfigError } from '../../shared/src/errors/config-error.js';
import { EXIT } from '../../shared/src/errors/exit-codes.js';
import { loadConfig } from '../../shared/src/config/load-config.js';
import { packageVersion, runProgram } from '../../shared/src/cli/program.js';
import { createLogger } from '../../shared/src/log/logger.js';
import { edgeSchema, type EdgeConfig } from './config/schema.js';
import { startLineSource } from './input/stdin-source.js';
import { SqliteOutbox } from './store/sqlite-outbox.js';
import { MqttUplink } from './uplink/mqtt-uplink.js';

await runProgram(
  { name: 'causeway-edge', summary: 'edge agent: read sensors, buffer in SQLite, forward to the cloud', schema: edgeSchema },
  async (argv) => {
    const cfg = loadConfig<EdgeConfig>(edgeSchema, { argv });
    if (cfg.cloud.password && !cfg.cloud.username) {
      // [MQTT-3.1.2-22] a password without a user name is a protocol error; fail here, not per reconnect.
      throw new ConfigError('cloud.password is set but cloud.username is empty; MQTT needs a user name with a password', { key: 'cloud.username' });
    }
    const log = createLogger({ level: cfg.log.level, name: 'causeway-edge', fields: { gateway: cfg.gateway.id } });
    let uplink: MqttUplink | undefined;
    const outbox = SqliteOutbox.open({
      path: cfg.store.path,
      gateway: cfg.gateway.id,
      maxBytes: cfg.buffer.maxBytes,
      maxAgeMs: cfg.buffer.maxAgeSeconds * 1000,
      commitIntervalMs: cfg.buffer.commitIntervalMs,
      commitMaxRecords: cfg.buffer.commitMaxRecords,
      logger: log.child({ part: 'outbox' }),
      onCommit: () => uplink?.wake(),
      onFatal: (err) => {
        // Exit non-zero so systemd restarts us; the start-up check then quarantines the file.
        log.error('outbox file is corrupt; exiting so the restart quarantines it', { err });
        process.exit(EXIT.IOERR);
      },
    });
    log.info('outbox open', { path: cfg.store.path, epoch: outbox.epoch, records: outbox.stats().records, quarantined: outbox.quarantine !== undefined });
    const opts: ConstructorParameters<typeof MqttUplink>[0] = {
      outbox,
      gateway: cfg.gateway.id,
      url: cfg.cloud.url,
      keepaliveSeconds: cfg.cloud.keepaliveSeconds,
      connectTimeoutMs: Math.max(1, cfg.cloud.connectTimeoutSeconds) * 1000,
      backoff: { baseMs: Math.max(1, cfg.cloud.backoffBaseMs), capMs: Math.max(1, cfg.cloud.backoffMaxMs), minMs: Math.min(100, cfg.cloud.backoffMaxMs) },
      inflight: Math.max(1, cfg.uplink.inflight),
      form: { maxRecords: Math.max(1, cfg.uplink.batchMaxReadings), maxBytes: Math.max(1, cfg.uplink.batchMaxBytes), liveWindowMs: cfg.uplink.liveWindowSeconds * 1000 },
      encode: { codec: cfg.uplink.codec, deflate: cfg.uplink.deflate },
      maxBytesPerSecond: cfg.uplink.maxBytesPerSecond,
      agentVersion: packageVersion(),
      logger: log.child({ part: 'uplink' }),
    };
    if (cfg.cloud.username) opts.username = cfg.cloud.username;
    if (cfg.cloud.password) opts.password = cfg.cloud.password;
    if (cfg.cloud.ca) opts.caFile = cfg.cloud.ca;
    if (cfg.cloud.cert) opts.certFile = cfg.cloud.cert;
    if (cfg.cloud.key) opts.keyFile = cfg.cloud.key;
    uplink = new MqttUplink(opts);
    uplink.start();
    let input: ReturnType<typeof startLineSource> | undefined;
    if (cfg.input.stdin) {
      input = startLineSource(process.stdin, outbox, { logger: log.child({ part: 'stdin' }), ...(cfg.input.stdinAck ? { ackTo: process.stdout } : {}) });
    }

    const signal = await Promise.race([once(process, 'SIGTERM').then(() => 'SIGTERM'), once(process, 'SIGINT').then(() => 'SIGINT')]);
    log.info('draining', { signal });
    // Backstop: whatever hangs, the commits below are already flushed, so leaving is safe.
    setTimeout(() => {
      log.error('drain did not finish in time; exiting anyway (the outbox is committed)');
      process.exit(EXIT.OK);
    }, cfg.uplink.drainTimeoutMs + 5000).unref();
    outbox.flush(); // every add already accepted is committed before we go
    await uplink.drain(cfg.uplink.drainTimeoutMs);
    outbox.close();
    log.info('stopped', { uplink: uplink.stats, outbox: outbox.stats(), ...(input ? { stdin: input.stats } : {}) });
    process.stdin.destroy();
    // Nothing should keep the loop alive now; if a stray handle does, do not hang the service manager.
    setTimeout(() => process.exit(process.exitCode ?? 0), 3000).unref();
    return 0;
  },
);
