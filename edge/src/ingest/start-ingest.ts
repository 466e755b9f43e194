import type { Logger, PortHealth } from '@causeway/shared';
import { canDbcCounters, type IngestCounters, newIngestCounters, sourceCounters } from './counters.js';
import type { Dbc } from '@causeway/shared/can/index.js';
import { canSourceName, loadDbc, parseDbcText, type CanSource } from './can/can-config.js';
import { startCanBus, type CanBus } from './can/can-source.js';
import { startDbcFeed, type DbcFeed } from './can/dbc-feed.js';
import { createFrameHandler } from './frame-handler.js';
import { createFramer } from './framing/create-framer.js';
import { type IngestConfig, validateIngestConfig } from './ingest-schema.js';
import type { ModbusBus } from './modbus/modbus-config.js';
import { modbusSerialLink, type ModbusLink } from './modbus/modbus-link.js';
import { startModbusPoller, type ModbusPoller } from './modbus/modbus-poller.js';
import { executeWrite, planWrite } from './modbus/modbus-write.js';
import { startMqttSource, type MqttSource } from './mqtt/mqtt-source.js';
import { createProtocol } from './protocols/create-protocol.js';
import { startSerialSource, type PortOpener, type SerialSource } from './serial/serial-source.js';
import type { UplinkSink } from './sink.js';
import { createStreamProcessor, type StreamRulesConfig } from './stream-processor.js';

export interface Ingest {
  /** live counters (per source: opens, disconnects, frames, readings, acks, drops by reason) */
  readonly counters: IngestCounters;
  /**
   * Writes a command line to the serial device with this id (set-interval 5000, set-relay on, reboot);
   * false if no port has that device or it is unplugged now. Its answer comes to deps.onReply.
   */
  sendToDevice(device: string, line: string): boolean;
  /** every device a command can reach: serial ports' devices and MQTT sensors heard from */
  commandableDevices(): ReadonlySet<string>;
  /** each serial port and whether it is open now (the gateway's health, issue 20) */
  ports(): PortHealth[];
  /**
   * Hot reload of the rules (SIGHUP): pass the reloaded ingest config or just its rules. Throws a
   * ConfigError naming the bad rule and keeps the old ones. Ports and MQTT sources are not reloaded.
   */
  updateRules(config: IngestConfig | readonly StreamRulesConfig[]): void;
  /**
   * Re-reads every CAN source's DBC file (SIGHUP; the files are also watched, see can/dbc-feed.ts). A file
   * that no longer parses is logged with its key and line and counted, and the old one kept.
   */
  reloadFiles(): void;
  /**
   * A remote config changed `ingest.canDbc` (validated already): each source named decodes with its text
   * from the next frame, a source no longer named goes back to its file. The buses stay open.
   */
  setCanDbc(texts: Readonly<Record<string, string>>): void;
  /** the DBC each CAN source decodes with now, by source name (for the ingest that replaces this one) */
  dbcInUse(): ReadonlyMap<string, Dbc>;
  /** Closes ports and the local broker connection, after the frames already read reach the sink. */
  stop(): Promise<void>;
}

export interface IngestDeps {
  /** tests swap the serial opener */
  openPort?: PortOpener;
  /** tests swap the Modbus link */
  modbusLink?: (bus: ModbusBus) => ModbusLink;
  now?: () => number;
  /** a device answered a command (a `>…` line); the command side correlates it */
  onReply?: (device: string, reply: string) => void;
  /**
   * The DBCs the ingest this one replaces decoded with (a remote config that restarts the sources): a DBC
   * file that no longer parses then keeps its source's previous DBC (counted `failed`, logged) instead of
   * failing the restart. At the first start there are none, and a bad file is a ConfigError (exit 78).
   */
  previousDbcs?: ReadonlyMap<string, Dbc>;
  /** the counters of the ingest this one replaces, to go on counting (default: new ones) */
  counters?: IngestCounters;
}

/**
 * Starts every configured source: serial ports (hot-plug, retried forever) and the local MQTT broker.
 * Throws ConfigError before opening anything if the config is bad.
 *
 * @example
 * const ingest = startIngest(config.ingest, outbox, logger);
 * process.on('SIGTERM', () => void ingest.stop().then(() => outbox.close()));
 */
export function startIngest(config: IngestConfig, sink: UplinkSink, logger: Logger, deps: IngestDeps = {}): Ingest {
  validateIngestConfig(config);
  // a restart (remote config) keeps counting on the same counters: /metrics registered them once, and
  // their values only grow
  const counters = deps.counters ?? newIngestCounters();
  const log = logger.child({ part: 'ingest' });
  const processor = createStreamProcessor({ rules: config.rules, sink, counters, logger: log, ...(config.maxReadingBytes === undefined ? {} : { maxReadingBytes: config.maxReadingBytes }) });
  const now = deps.now ?? Date.now;

  const serial: SerialSource[] = config.ports.map((p, i) => {
    const where = `ingest.ports[${i}]`;
    const c = sourceCounters(counters, p.path);
    const handle = createFrameHandler({
      device: p.device,
      protocol: createProtocol(p.protocol, where),
      processor,
      counters: c,
      now,
      ...(p.streams === undefined ? {} : { streams: p.streams }),
      ...(p.ack === undefined ? {} : { ack: p.ack }),
      ...(deps.onReply === undefined ? {} : { onReply: deps.onReply }),
    });
    return startSerialSource({
      path: p.path,
      baudRate: p.baudRate ?? 9600,
      framer: createFramer(p.framing, where),
      handle,
      counters: c,
      logger: log,
      backoff: { baseMs: config.reopen.initialMs, capMs: config.reopen.maxMs, jitter: 0.2 },
      ...(deps.openPort === undefined ? {} : { open: deps.openPort }),
    });
  });

  const modbus: ModbusPoller[] = (config.modbus ?? []).map((bus) =>
    startModbusPoller({
      bus,
      link: (deps.modbusLink ?? modbusSerialLink)(bus),
      processor,
      counters,
      logger: log,
      now,
      reopen: config.reopen,
    }),
  );

  const canDbc = config.canDbc ?? {};
  /**
   * The DBC a source starts with: a remote text over its file (issue 19: a DBC delivered by remote
   * config); `loaded` counted unless it is the previous one kept.
   */
  const firstDbc = (source: CanSource, i: number): Dbc | undefined => {
    const name = canSourceName(source);
    const c = canDbcCounters(counters, `can:${name}`);
    const text = Object.hasOwn(canDbc, name) ? canDbc[name] : undefined;
    if (text !== undefined) {
      const dbc = parseDbcText(text, `ingest.canDbc.${name}`);
      c.loaded++;
      return dbc;
    }
    if (source.dbc === undefined) return undefined;
    try {
      const dbc = loadDbc(source.dbc, `ingest.can[${i}].dbc`);
      c.loaded++;
      return dbc;
    } catch (err) {
      const previous = deps.previousDbcs?.get(name);
      if (previous === undefined) throw err;
      c.failed++;
      log.error('DBC file not read; the previous one stays in use', { can: name, err, configKey: `ingest.can[${i}].dbc` });
      return previous;
    }
  };
  const firstDbcs = (config.can ?? []).map(firstDbc);
  const can: CanBus[] = (config.can ?? []).map((source, i) =>
    startCanBus({
      source,
      ...(firstDbcs[i] === undefined ? {} : { dbc: firstDbcs[i] }),
      processor,
      counters: sourceCounters(counters, `can:${canSourceName(source)}`),
      logger: log,
      now,
      reopen: config.reopen,
      ...(deps.openPort === undefined ? {} : { openPort: deps.openPort }),
    }),
  );

  const dbcFeeds: DbcFeed[] = (config.can ?? []).map((source, i) => {
    const name = canSourceName(source);
    const c = canDbcCounters(counters, `can:${name}`);
    return startDbcFeed({
      name,
      pathKey: `ingest.can[${i}].dbc`,
      ...(source.dbc === undefined ? {} : { path: source.dbc }),
      ...(Object.hasOwn(canDbc, name) ? { remote: canDbc[name]! } : {}),
      apply: (dbc) => can[i]!.setDbc(dbc),
      counters: c,
      logger: log,
    });
  });

  /** device → its poller and slave, for writes (device commands) */
  const modbusDevices = new Map((config.modbus ?? []).flatMap((bus, i) => bus.slaves.map((slave) => [slave.device, { poller: modbus[i]!, slave }] as const)));
  const reply = (device: string, line: string): void => {
    if (line.startsWith('>ok')) sourceCounters(counters, `modbus:${modbusDevices.get(device)!.poller.name}`).replies++;
    deps.onReply?.(device, line);
  };

  let mqttSource: MqttSource | null = null;
  if (config.mqtt.url !== '' && config.mqtt.sources.length > 0) {
    mqttSource = startMqttSource({
      ...(config.mqtt.commandTopic ? { commandTopic: config.mqtt.commandTopic } : {}),
      ...(config.mqtt.replyTopic ? { replyTopic: config.mqtt.replyTopic } : {}),
      ...(deps.onReply === undefined ? {} : { onReply: deps.onReply }),
      url: config.mqtt.url,
      clientId: config.mqtt.clientId,
      username: config.mqtt.username,
      password: config.mqtt.password,
      mappings: config.mqtt.sources,
      processor,
      counters,
      logger: log,
      now,
    });
  }

  let ticking: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    ticking = ticking.then(() => processor.tick(now())).catch((err: unknown) => log.warn('rule tick could not reach the sink', { err }));
  }, Math.max(10, config.tickMs));
  timer.unref();

  log.info('ingest started', { ports: config.ports.length, modbusBuses: modbus.map((m) => m.name), canSources: can.map((b) => b.name), mqttSources: mqttSource === null ? 0 : config.mqtt.sources.length, ruleEntries: config.rules.length });

  return {
    counters,
    reloadFiles() {
      for (const f of dbcFeeds) f.reloadFile();
    },
    dbcInUse() {
      return new Map(can.flatMap((b) => (b.dbc === undefined ? [] : [[b.name, b.dbc] as const])));
    },
    setCanDbc(texts) {
      (config.can ?? []).forEach((source, i) => {
        const name = canSourceName(source);
        dbcFeeds[i]!.setRemote(Object.hasOwn(texts, name) ? texts[name] : undefined);
      });
    },
    updateRules: (c) => processor.updateRules(Array.isArray(c) ? c : (c as IngestConfig).rules),
    sendToDevice(device, line) {
      const i = config.ports.findIndex((p) => p.device === device);
      if (i >= 0) return serial[i]!.write(line);
      const mb = modbusDevices.get(device);
      if (mb !== undefined) {
        // The answer comes like a serial device's `>` line, so the command router's correlation,
        // timeout and at-most-once handling apply unchanged.
        const w = planWrite(mb.slave, line);
        if (typeof w === 'string') queueMicrotask(() => reply(device, w));
        else void mb.poller.exclusive((link) => executeWrite(link, mb.slave, w)).then((r) => reply(device, r));
        return true;
      }
      return mqttSource?.sendCommand(device, line) ?? false;
    },
    ports() {
      return config.ports.map((p, i) => {
        const c = counters.sources[p.path];
        return { path: p.path, device: p.device, open: serial[i]!.open, opens: c?.opens ?? 0, disconnects: c?.disconnects ?? 0 };
      });
    },
    commandableDevices() {
      const out = new Set([...config.ports.map((p) => p.device), ...modbusDevices.keys()]);
      if (config.mqtt.commandTopic) for (const d of mqttSource?.devices ?? []) out.add(d);
      return out;
    },
    async stop() {
      clearInterval(timer);
      for (const f of dbcFeeds) f.stop();
      await Promise.all([...serial.map((s) => s.stop()), ...modbus.map((m) => m.stop()), ...can.map((b) => b.stop()), mqttSource?.stop()]);
      await ticking;
    },
  };
}
