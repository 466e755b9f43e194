#!/usr/bin/env node
import { ConfigError, CausewayError, loadConfig, runProgram, createLogger } from '@causeway/shared';
// the health parts one by one: the index would load the HTTP server and prom-client too (issue 16)
import { createNotifier } from '@causeway/shared/health/sd-notify.js';
import { handleServiceSignals } from '@causeway/shared/health/service-signals.js';
import { readStatus } from '@causeway/shared/health/status-socket.js';
import { edgeSchema, type EdgeConfig } from './config/schema.js';
import { checkHttpFilesCredential } from './config/http-files-credential.js';
import { startEdgeAgent } from './app/edge-agent.js';
import { applyStoredIdentity, registerByClaim } from './app/claim-registration.js';
import { detectJournal } from './logs/journal-source.js';
import { LogRing, maskLiterals } from './logs/log-ring.js';
import { statusSummary } from './app/status-summary.js';
import { dirname, join } from 'node:path';

/** Exit code asking systemd (Restart=on-failure) for a restart: the `restart-agent` command. */
const EXIT_RESTART = 75;

function load(argv: string[]): EdgeConfig {
  const cfg = loadConfig<EdgeConfig>(edgeSchema, { argv });
  if (cfg.cloud.password && !cfg.cloud.username) {
    // [MQTT-3.1.2-22] a password without a user name is a protocol error; fail here, not per reconnect.
    throw new ConfigError('cloud.password is set but cloud.username is empty; MQTT needs a user name with a password', { key: 'cloud.username' });
  }
  // Before a claim is used: a gateway with only a certificate cannot download over HTTP (issue 20).
  checkHttpFilesCredential(cfg);
  return cfg;
}

await runProgram(
  {
    name: 'causeway-edge',
    summary: 'edge agent: read sensors, buffer in SQLite, forward to the cloud',
    usage: 'causeway-edge [--config FILE] [--key value …]\n       causeway-edge status [--json] [--config FILE] [--status.socket PATH]   (asks the running agent)',
    schema: edgeSchema,
    examples: ['causeway-edge --config /etc/causeway-edge/config.json', 'causeway-edge status --config /etc/causeway-edge/config.json'],
  },
  async (argv) => {
    if (argv[0] === 'status') {
      const json = argv.includes('--json');
      const cfg = load(argv.slice(1).filter((a) => a !== '--json'));
      const path = cfg.status.socket !== '' ? cfg.status.socket : join(dirname(cfg.store.path), 'status.sock');
      const snap = await readStatus(path).catch((err: unknown) => {
        throw new CausewayError('IO_AGENT_UNREACHABLE', `no agent answers on ${path}: ${(err as Error).message}`, { cause: err });
      });
      process.stdout.write(json ? JSON.stringify(snap, null, 2) + '\n' : statusSummary(snap));
      return 0;
    }
    const loaded = load(argv);
    // First boot with a claim token: register under our own id and keep the secret (issue 20).
    // While an operator has yet to approve it, systemd is told we are still starting (Type=notify).
    const starting = createNotifier(process.env);
    const cfg = await registerByClaim(loaded, createLogger({ level: loaded.log.level, name: 'causeway-edge', fields: { part: 'identity' } }), {
      onWaiting: (ms) => void starting.extendTimeout(ms + 30_000).then(() => starting.status('waiting for registration approval')),
    });
    // Recent lines also go to a bounded ring on disk for `causeway logs` (issue 20); the credentials are
    // masked in it even where a message (not a field) carried one.
    const secrets = [cfg.cloud.password, cfg.identity.claimToken, cfg.ingest.mqtt.password];
    const ring = cfg.log.ringBytes > 0 ? new LogRing(join(dirname(cfg.store.path), 'logs'), cfg.log.ringBytes, secrets) : undefined;
    // Under systemd with journalctl, `causeway logs` reads the journal (earlier runs, crash traces), else the ring.
    const journal = detectJournal(cfg.log.source, process.env);
    const log = createLogger({
      level: cfg.log.level,
      name: 'causeway-edge',
      fields: { gateway: cfg.gateway.id },
      ...(ring === undefined ? {} : { write: (line: string) => void (process.stdout.write(line), ring.append(line)) }),
    });
    const notifier = createNotifier(process.env, { logger: log });
    let exitCode = 0;
    let stopping: Promise<void> | undefined;
    const agent = await startEdgeAgent(cfg, log, {
      onRestart: () => {
        exitCode = EXIT_RESTART;
        process.kill(process.pid, 'SIGTERM');
      },
      ...(ring === undefined ? {} : { logRing: ring }),
      ...(journal === undefined ? {} : { journal, maskLog: (line: string) => maskLiterals(line, secrets) }),
    });
    log.info('agent started', { logSource: journal === undefined ? 'ring' : `journald (${journal.unit})`, statusSocket: agent.statusSocket, ...(agent.healthPort === undefined ? {} : { healthPort: agent.healthPort }), ...(agent.localMqttPort === undefined ? {} : { localMqttPort: agent.localMqttPort }) });
    await notifier.ready('running');
    const stopWatchdog = notifier.startWatchdog();
    await new Promise<void>((resolve) => {
      handleServiceSignals({
        notifier,
        logger: log,
        reload: async () => agent.reload(applyStoredIdentity(load(argv))),
        stop: async (signal) => {
          log.info('draining', { signal });
          // Backstop: whatever hangs, the commits are flushed first, so leaving is safe.
          setTimeout(() => {
            log.error('drain did not finish in time; exiting anyway (the outbox is committed)');
            process.exit(exitCode);
          }, cfg.uplink.drainTimeoutMs + 5000).unref();
          stopWatchdog();
          stopping ??= agent.stop();
          await stopping;
          resolve();
        },
      });
    });
    process.stdin.destroy();
    // Nothing should keep the loop alive now; if a stray handle does, do not hang the service manager.
    setTimeout(() => process.exit(exitCode), 3000).unref();
    return exitCode;
  },
);
