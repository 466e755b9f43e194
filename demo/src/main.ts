#!/usr/bin/env node
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runProgram, CausewayError, freePort } from '@causeway/shared';
import { readStatus } from '@causeway/shared/health';
import { DEMO_GATEWAYS } from './demo-plan.js';
import { renderView, type GatewayRow } from './demo-view.js';
import { prepareDemoDir } from './demo-state.js';

/**
 * `npm start`: the whole system on embedded defaults — causeway-cloud (SQLite), one causeway-edge per
 * gateway, simulated serial sensors on PTYs — wired with generated credentials, and a live view.
 * Every part is a real process started the way a user starts it; Ctrl-C stops them all.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const fromSource = import.meta.url.endsWith('.ts');
const root = resolve(here, '../..', fromSource ? '' : '..');
const entry = (rel: string): string[] => (fromSource ? ['--import', 'tsx', join(root, `${rel}.ts`)] : [join(root, 'dist', `${rel}.js`)]);

const USAGE = `npm start [-- --dir DIR] [--fresh] [--duration SECONDS] [--plain]
  --dir DIR          data directory (default ./.demo); kept between runs
  --fresh            remove an earlier run's state first (registry, queues, outboxes)
  --duration S       stop by itself after S seconds (tests, CI)
  --plain            one status block per second instead of redrawing the screen`;


await runProgram({ name: 'causeway-demo', summary: 'the whole Causeway stack on one machine, with a live view', usage: USAGE }, async (argv) => {
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string' }, duration: { type: 'string' }, plain: { type: 'boolean' }, fresh: { type: 'boolean' } } });
  const dir = resolve(values.dir ?? '.demo');
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration > 0)) throw new CausewayError('USAGE', '--duration must be a positive number of seconds');
  const plain = values.plain === true || !process.stdout.isTTY;
  const children: ChildProcess[] = [];
  const say = (s: string): void => void process.stdout.write(s + '\n');
  const notice = prepareDemoDir(dir, values.fresh === true);
  if (notice !== undefined) say(notice);
  mkdirSync(join(dir, 'tty'), { recursive: true });
  const start = (name: string, args: string[]): ChildProcess => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stdout!.resume();
    p.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    p.once('exit', (code, sig) => {
      if (!stopping && code !== 0) say(`demo: ${name} exited (${code ?? sig}): ${err.trim().split('\n').slice(-3).join(' | ')}`);
    });
    children.push(p);
    return p;
  };
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    stopping = true;
    // Edges first (they drain to the cloud), then devices, then the cloud.
    for (const group of [children.slice(2), children.slice(1, 2), children.slice(0, 1)]) {
      await Promise.all(
        group.map(
          (p) =>
            new Promise<void>((r) => {
              if (p.exitCode !== null || p.signalCode !== null) return r();
              p.once('exit', () => r());
              p.kill('SIGTERM');
              setTimeout(() => p.kill('SIGKILL'), 8000).unref();
            }),
        ),
      );
    }
  };

  try {
    // 1. the cloud
    const apiPort = await freePort(8080);
    const mqttPort = await freePort(1883);
    const cloud = start('causeway-cloud', [...entry('cloud/src/main'), '--store.path', join(dir, 'cloud'), '--mqtt.port', String(mqttPort), '--api.port', String(apiPort), '--log.level', 'warn']);
    await new Promise<void>((res, rej) => {
      let buf = '';
      const t = setTimeout(() => rej(new CausewayError('IO_DEMO', 'causeway-cloud did not start within 30 s')), 30_000);
      cloud.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('"msg":"listening"')) {
          clearTimeout(t);
          res();
        }
      });
      cloud.once('exit', () => rej(new CausewayError('IO_DEMO', 'causeway-cloud exited at start')));
    });
    const api = `http://127.0.0.1:${apiPort}`;
    const tokenFile = join(dir, 'cloud', 'operator-token');
    const token = readFileSync(tokenFile, 'utf8').trim();
    const call = async (method: string, path: string, body?: unknown): Promise<any> => {
      const res = await fetch(api + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const json = await res.json();
      if (!res.ok) throw new CausewayError('IO_DEMO', `${method} ${path}: ${JSON.stringify(json)}`);
      return json;
    };

    // 2. gateways and devices in the registry, with fresh secrets
    const secrets: Record<string, string> = {};
    for (const gw of DEMO_GATEWAYS) {
      const existing = await call('GET', `/v1/devices/${gw.id}`).catch(() => undefined);
      secrets[gw.id] = existing === undefined ? (await call('POST', '/v1/devices', { id: gw.id, groups: [gw.group], tags: { demo: 'true' } })).secret : (await call('POST', `/v1/devices/${gw.id}/rotate`)).secret;
      for (const d of gw.devices) if ((await call('GET', `/v1/devices/${d.device}`).catch(() => undefined)) === undefined) await call('POST', '/v1/devices', { id: d.device, kind: 'device', gateway: gw.id });
    }

    // 3. simulated sensors on PTYs, 4. one edge agent per gateway
    for (const gw of DEMO_GATEWAYS) for (const d of gw.devices) start(`sim ${d.device}`, [...entry('firmware-sim/src/main'), 'serial', '--profile', d.profile, '--link', join(dir, 'tty', d.device), '--rate', String(d.rate)]);
    const statusSockets: Record<string, string> = {};
    for (const gw of DEMO_GATEWAYS) {
      const gwDir = join(dir, gw.id);
      mkdirSync(gwDir, { recursive: true });
      const cfg = {
        gateway: { id: gw.id, groups: [gw.group] },
        cloud: { url: `mqtt://127.0.0.1:${mqttPort}`, username: gw.id, password: secrets[gw.id], backoffMaxMs: 5000 },
        store: { path: join(gwDir, 'outbox.db') },
        ingest: { ports: gw.devices.map((d) => ({ path: join(dir, 'tty', d.device), device: d.device, ...d.port })), rules: gw.rules },
        log: { level: 'warn' },
      };
      writeFileSync(join(gwDir, 'edge.json'), JSON.stringify(cfg, null, 2), { mode: 0o600 });
      statusSockets[gw.id] = join(gwDir, 'status.sock');
      start(`causeway-edge ${gw.id}`, [...entry('edge/src/main'), '--config', join(gwDir, 'edge.json')]);
    }

    const cli = fromSource ? `node --import tsx ${join(root, 'cloud/src/cli/main.ts')}` : 'npx causeway';
    say(`Causeway demo running in ${dir}: cloud MQTT on 127.0.0.1:${mqttPort}, API on ${api}.
Console: ${api}/ — sign in with the operator token in ${tokenFile}
From a second terminal (in this folder):
  export CAUSEWAY_API_URL=${api} CAUSEWAY_TOKEN_FILE=${tokenFile}
  ${cli} devices list
  ${cli} consume telemetry --group me
  ${cli} send set-relay --device th-1 --args '{"state":true}' --wait
  ${cli} send ping --group vehicles --wait
  ${cli} config set --gateway gw-rsu-1 --json '{"uplink":{"batchMaxReadings":50}}' --wait && ${cli} config history
  node ${fromSource ? '--import tsx ' + join(root, 'edge/src/main.ts') : join(root, 'dist/edge/src/main.js')} status --config ${join(dir, DEMO_GATEWAYS[0]!.id, 'edge.json')}
Ctrl-C stops everything.
`);

    // 5. the live view
    const started = Date.now();
    const last: Record<string, { readings: number; at: number }> = {};
    let stop = false;
    process.once('SIGINT', () => (stop = true));
    process.once('SIGTERM', () => (stop = true));
    while (!stop && (duration === undefined || Date.now() - started < duration * 1000)) {
      await new Promise((r) => setTimeout(r, 1000));
      const rows: GatewayRow[] = [];
      for (const gw of DEMO_GATEWAYS) {
        const snap = existsSync(statusSockets[gw.id]!) ? await readStatus(statusSockets[gw.id]!, 1000).catch(() => undefined) : undefined;
        const ingest = (snap?.ingest ?? {}) as { sources?: Record<string, { readings?: number }> };
        const readings = Object.values(ingest.sources ?? {}).reduce((a, s) => a + (s.readings ?? 0), 0);
        const prev = last[gw.id];
        const now = Date.now();
        const rate = prev === undefined ? 0 : ((readings - prev.readings) * 1000) / Math.max(1, now - prev.at);
        last[gw.id] = { readings, at: now };
        const link = snap?.link as { connected?: boolean; lastAckAt?: number } | undefined;
        const outbox = snap?.outbox as { records?: number; oldestAgeSeconds?: number; evicted?: Record<string, number> } | undefined;
        rows.push({
          gateway: gw.id,
          link: snap === undefined ? '?' : link?.connected ? 'up' : 'down',
          readingsPerSecond: rate,
          outboxRecords: outbox?.records ?? 0,
          oldestAgeSeconds: outbox?.oldestAgeSeconds ?? 0,
          evicted: Object.values(outbox?.evicted ?? {}).reduce((a, b) => a + b, 0),
          ...(link?.lastAckAt === undefined ? {} : { lastAckAgeSeconds: (now - link.lastAckAt) / 1000 }),
        });
      }
      const queues = await call('GET', '/v1/queues').catch(() => ({ queues: [] }));
      const telemetry = queues.queues.find((q: { queue: string }) => q.queue === 'telemetry');
      const commands = await call('GET', '/v1/commands?limit=100').catch(() => ({ commands: [] }));
      const view = renderView({
        elapsedSeconds: (Date.now() - started) / 1000,
        gateways: rows,
        telemetryStored: telemetry === undefined ? 0 : telemetry.nextOffset - telemetry.firstOffset,
        commandsRunning: commands.commands.filter((c: { status: string }) => c.status === 'RUNNING').length,
        commandsDone: commands.commands.filter((c: { status: string }) => c.status !== 'RUNNING').length,
      });
      if (plain) say(view + '\n');
      else process.stdout.write(`\x1b[s\x1b[J${view}\n\x1b[u`);
    }
    say('demo: stopping…');
  } finally {
    await stopAll();
  }
  say('demo: stopped');
  return 0;
});
