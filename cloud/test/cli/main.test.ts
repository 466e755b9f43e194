import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { apiCall, removeDir, startBroker, tempDir, type BrokerProcess } from '../e2e/fixtures/broker-process.js';
import { decodeEnvelope, encodeEnvelope, formatTopic, parseTopic } from '@causeway/shared';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'cloud/src/cli/main.ts'];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Issue 24, the operator's daily use of `causeway` against a real causeway-cloud process (real SQLite,
 * real TCP): every usage mistake is one line and exit 64, consume fails fast on a wrong queue, config is
 * checked against the agent's schema before it is stored, send --wait shows each gateway's answer. The
 * gateways are scripted MQTT clients with real credentials (edge e2e 05 runs the real agent).
 */
describe('causeway CLI against a real causeway-cloud (issue 24) @e2e', function () {
  this.timeout(120_000);
  let dir: string;
  let cloud: BrokerProcess;
  let url: string;
  let token: string;
  let tokenFile: string;
  const gateways: MqttClient[] = [];
  const secrets: Record<string, string> = {};

  const cli = (args: string[], env: Record<string, string> = {}): Promise<Result> =>
    run(process.execPath, [...CLI, '--url', url, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: token, ...env }, timeout: 60_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const firstLine = (s: string): string => s.split('\n')[0]!;
  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(url, token, method, path, body);
  const publish = (n: number) => call('POST', '/v1/queues/telemetry/messages', { mqttSecondTopic: '/gw1/th-1/temp', payload: JSON.stringify({ n }), clientId: 'gw1' });

  /** A gateway stand-in: answers commands (SUCCEEDED with its name) and applies every config version. */
  const gateway = async (gw: string): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${cloud.port}`, { clientId: gw, username: gw, password: secrets[gw]!, reconnectPeriod: 0, clean: true });
    c.on('message', (topic, payload) => {
      const t = parseTopic(topic);
      const env = decodeEnvelope(payload);
      if (env.type === 'command' && (t.kind === 'cmd' || t.kind === 'cmd-group' || t.kind === 'cmd-all')) {
        const device = env.device ?? gw;
        setTimeout(() => {
          const result = { v: 1 as const, type: 'command-result' as const, id: `${gw}-${env.id}`, commandId: env.id, gateway: gw, device, status: 'SUCCEEDED' as const, ts: Date.now(), output: { answeredBy: gw } };
          void c.publishAsync(formatTopic({ kind: 'cmd-result', gateway: gw, device, commandId: env.id }), encodeEnvelope(result), { qos: 1 });
        }, 50);
      }
      if (env.type === 'config') {
        const rep = { v: 1 as const, type: 'config-reported' as const, id: `${gw}-v${env.version}`, gateway: gw, version: env.version, status: 'APPLIED' as const, ts: Date.now() };
        void c.publishAsync(formatTopic({ kind: 'config-reported', gateway: gw }), encodeEnvelope(rep), { qos: 1 });
      }
    });
    await c.subscribeAsync([`cmd/${gw}/#`, 'cmd-group/north/+', 'cmd-all/+', `config/${gw}`], { qos: 1 });
    gateways.push(c);
    return c;
  };

  before(async () => {
    dir = tempDir('cli-e2e');
    cloud = await startBroker(join(dir, 'cloud'), ['--auth.allowAnonymous', 'false']);
    url = `http://127.0.0.1:${cloud.apiPort}`;
    tokenFile = join(dir, 'cloud', 'operator-token');
    token = readFileSync(tokenFile, 'utf8').trim();
    for (const gw of ['gw1', 'gw2']) secrets[gw] = (await call('POST', '/v1/devices', { id: gw, groups: ['north'] })).secret;
    await call('POST', '/v1/devices', { id: 'gw3', groups: ['south'] });
    await call('POST', '/v1/devices', { id: 'th-1', kind: 'device', gateway: 'gw1' });
    await gateway('gw1');
    await gateway('gw2');
  });
  after(async () => {
    for (const g of gateways) await g.endAsync(true).catch(() => undefined);
    await cloud?.stop();
    removeDir(dir);
  });

  describe('usage mistakes: one line, a suggestion, exit 64, never a stack trace', () => {
    const cases: Array<[string, string[], string]> = [
      ['unknown flag', ['devices', 'list', '--jsn'], 'causeway: USAGE: unknown flag --jsn for "causeway devices"; did you mean --json? (see causeway devices --help)'],
      ['unknown command', ['devcies', 'list'], 'causeway: USAGE: unknown command "devcies"; did you mean devices? (see causeway --help)'],
      ['unknown action', ['config', 'stauts'], 'causeway: USAGE: unknown action "stauts" for "causeway config"; did you mean status? (see causeway config --help)'],
      ['flag without its value', ['send', 'ping', '--device'], 'causeway: USAGE: --device needs a value (ID) (see causeway send --help)'],
      ['unknown global flag', ['--urll', url, 'queues'], 'causeway: USAGE: unknown flag --urll; did you mean --url? (global flags go before the command; see causeway --help)'],
      ['bad -o', ['queues', '-o', 'yaml'], 'causeway: USAGE: -o must be table, json or wide, got "yaml"'],
      ['bad --from', ['consume', 'telemetry', '--group', 'g', '--from', 'yesterday'], 'causeway: USAGE: --from must be latest, earliest, a time like 2026-12-04T10:00:00Z, or a duration like 10m, got "yesterday"'],
    ];
    for (const [name, args, line] of cases) {
      it(name, async () => {
        const r = await cli(args);
        assert.equal(r.code, 64, r.stderr);
        assert.equal(firstLine(r.stderr), line);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      });
    }

    it('a usage mistake needs no token', async () => {
      const r = await cli(['devices', 'list', '--jsn'], { CAUSEWAY_TOKEN: '' });
      assert.equal(r.code, 64);
    });

    it('a missing token file says where the cloud writes the token', async () => {
      const r = await run(process.execPath, [...CLI, '--url', url, '--token-file', join(dir, 'nope'), 'devices', 'list'], { env: { ...process.env, CAUSEWAY_TOKEN: '' } }).then(
        () => assert.fail('should fail'),
        (e: Result) => e,
      );
      assert.equal(r.code, 64);
      assert.equal(firstLine(r.stderr), `causeway: USAGE: cannot read the token file ${join(dir, 'nope')}: no such file; causeway-cloud writes the operator token to <store.path>/operator-token on first start (or set api.operatorToken)`);
      const ok = await run(process.execPath, [...CLI, '--url', url, '--token-file', tokenFile, 'queues'], { env: { ...process.env, CAUSEWAY_TOKEN: '' } });
      assert.match(ok.stdout, /^QUEUE\s+GROUP\s+MESSAGES\s+LAG/);
    });
  });

  describe('ids: a typo gets "did you mean"', () => {
    it('devices show th1', async () => {
      const r = await cli(['devices', 'show', 'th1']);
      assert.equal(r.code, 65);
      assert.equal(firstLine(r.stderr), 'causeway: API_NOT_FOUND: no gateway, device or app with id th1; did you mean th-1?');
    });

    it('send to group nrth', async () => {
      const r = await cli(['send', 'ping', '--group', 'nrth']);
      assert.equal(r.code, 65);
      assert.equal(firstLine(r.stderr), 'causeway: COMMAND_NO_TARGETS: no enabled gateway matches {"group":"nrth"}; did you mean north?');
    });

    it('send to gw-1', async () => {
      const r = await cli(['send', 'ping', '--device', 'gw-1']);
      assert.equal(r.code, 65);
      assert.match(firstLine(r.stderr), /^causeway: COMMAND_UNKNOWN_DEVICE: .*gw-1.*; did you mean gw1\?$/);
    });
  });

  describe('devices', () => {
    it('list shows a device behind an online gateway as reachable through it', async () => {
      const r = await cli(['devices', 'list']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^ID\s+KIND\s+GROUPS\s+ENABLED\s+ONLINE\s+LAST SEEN\n/);
      assert.match(r.stdout, /\nth-1\s+device\s+-\s+true\s+via gw1\s+\d+[smhd] ago\n/);
      assert.match(r.stdout, /\ngw3\s+gateway\s+south\s+true\s+no\s+-\n/);
      const wide = await cli(['devices', 'list', '-o', 'wide']);
      assert.match(wide.stdout, /^ID\s+KIND\s+GATEWAY\s+GROUPS\s+TAGS\s+ENABLED\s+ONLINE\s+LAST SEEN\s+CREATED\n/);
      assert.match(wide.stdout, /\nth-1\s+device\s+gw1\s+/);
      const json = JSON.parse((await cli(['devices', 'list', '-o', 'json'])).stdout) as Array<{ id: string }>;
      assert.deepEqual(json.map((d) => d.id).sort(), ['gw1', 'gw2', 'gw3', 'th-1']);
    });

    it('show prints a readable summary, --json the raw document', async () => {
      const r = await cli(['devices', 'show', 'th-1']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^ID:\s+th-1\nKind:\s+device\nGateway:\s+gw1 \(online\)\n/);
      assert.match(r.stdout, /\nOnline:\s+reachable via gw1\n/);
      const raw = JSON.parse((await cli(['devices', 'show', 'th-1', '--json'])).stdout);
      assert.equal(raw.gateway, 'gw1');
    });
  });

  describe('consume', () => {
    it('fails at once on a queue that does not exist, listing the real ones', async () => {
      const t0 = Date.now();
      const r = await cli(['consume', 'telemetri', '--group', 'g']);
      assert.equal(r.code, 64);
      assert.equal(firstLine(r.stderr), 'causeway: USAGE: no queue "telemetri"; did you mean telemetry? (queues: telemetry, events, cmd-result, config-reported, status, file-req, cert-req, _root, dead-letter)');
      assert.ok(Date.now() - t0 < 30_000);
    });

    it('prints a banner on stderr and readable lines with times; --json the raw messages', async () => {
      await publish(1);
      const r = await cli(['consume', 'telemetry', '--group', 'ops', '--count', '1']);
      assert.equal(r.code, 0, r.stderr);
      // Offsets are the log's (shared by every queue), so the first telemetry message need not be 1.
      const offset = /^consuming telemetry as group ops \(clustering\) from offset (\d+), where the group left off; 1 waiting\. Ctrl-C to stop\.$/.exec(firstLine(r.stderr))?.[1];
      assert.ok(offset !== undefined, r.stderr);
      assert.match(r.stdout, new RegExp(`^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3}\\t#${offset}\\ttelemetry/gw1/th-1/temp\\tgw1\\t\\{"n":1\\}\\n$`));
      const raw = await cli(['consume', 'telemetry', '--group', 'raw', '--count', '1', '--json']);
      assert.equal(JSON.parse(raw.stdout).offset, Number(offset));
    });

    it('--from latest waits for new messages only; --from earliest replays', async () => {
      await publish(2);
      const child = spawn(process.execPath, [...CLI, '--url', url, 'consume', 'telemetry', '--group', 'live', '--from', 'latest', '--count', '1'], { env: { ...process.env, CAUSEWAY_TOKEN: token } });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', r));
      const deadline = Date.now() + 30_000;
      while (!err.includes('Ctrl-C') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.match(err, /^consuming telemetry as group live \(clustering\) from offset \d+, the latest message; 0 waiting\. Ctrl-C to stop\./);
      const before3 = Date.now();
      await publish(3);
      assert.equal(await exited, 0);
      assert.match(out, /\ttelemetry\/gw1\/th-1\/temp\tgw1\t\{"n":3\}\n$/);
      const again = await cli(['consume', 'telemetry', '--group', 'live', '--from', 'earliest', '--count', '3']);
      assert.deepEqual([...again.stdout.matchAll(/\{"n":(\d)\}/g)].map((m) => m[1]), ['1', '2', '3']);
      const byTime = await cli(['consume', 'telemetry', '--group', 'live', '--from', new Date(before3).toISOString(), '--count', '1']);
      assert.match(byTime.stderr, /^consuming telemetry as group live \(clustering\) from offset \d+, the first message at or after \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC; 1 waiting\. Ctrl-C to stop\./);
      assert.match(byTime.stdout, /\{"n":3\}\n$/);
    });
  });

  describe('config', () => {
    it('refuses an unknown key or a wrong type before storing it; versions grow by one per accepted change', async () => {
      const first = await cli(['config', 'set', '--group', 'north', '--json', '{"uplink":{"inflight":4}}']);
      assert.equal(first.code, 0, first.stderr);
      const v1 = Number(/config version (\d+) pushed to 2 gateway\(s\)/.exec(first.stdout)![1]);
      const unknown = await cli(['config', 'set', '--group', 'north', '--json', '{"ingest":{"rate":5}}']);
      assert.equal(unknown.code, 65);
      assert.equal(firstLine(unknown.stderr), 'causeway: CONFIG_INVALID: ingest.rate: unknown key (keys of ingest: ports, rules, modbus, can, canDbc, maxReadingBytes, tickMs, reopen, mqtt)');
      const wrong = await cli(['config', 'set', '--group', 'north', '--json', '{"uplink":{"inflight":"lots"}}']);
      assert.equal(wrong.code, 65);
      assert.equal(firstLine(wrong.stderr), 'causeway: CONFIG_INVALID: uplink.inflight: must be a positive integer, got "lots"');
      const next = await cli(['config', 'set', '--group', 'north', '--json', '{"uplink":{"inflight":2}}']);
      assert.match(next.stdout, new RegExp(`config version ${v1 + 1} pushed`));
    });

    it('history lists each accepted change; diff shows what a version changed', async () => {
      const h = await cli(['config', 'history']);
      assert.equal(h.code, 0, h.stderr);
      const rows = h.stdout.split('\n').slice(1, -1);
      assert.match(h.stdout, /^VERSION\s+SCOPE\s+SET AT\s+KEYS\n/);
      const versions = rows.map((r) => Number(r.split(/\s+/)[0]));
      assert.deepEqual(versions, [...versions].sort((a, b) => b - a), 'newest first');
      assert.deepEqual(versions.slice(0, -1).map((v, i) => v - versions[i + 1]!), versions.slice(1).map(() => 1), 'one version per accepted change, no gaps');
      assert.match(rows[0]!, /^\d+\s+group north\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\s+uplink\.inflight=2$/);
      const d = await cli(['config', 'diff', String(versions[0])]);
      assert.equal(d.stdout, `--- version ${versions[1]} (group north)\n+++ version ${versions[0]} (group north)\n- uplink.inflight: 4\n+ uplink.inflight: 2\n`);
      const missing = await cli(['config', 'diff', '999']);
      assert.equal(missing.code, 64);
      assert.match(firstLine(missing.stderr), /^causeway: USAGE: no config version 999; the versions are \d+, \d+$/);
    });

    it('set --wait waits for each gateway to apply it; exit 75 when one never answers', async () => {
      const r = await cli(['config', 'set', '--group', 'north', '--json', '{"uplink":{"inflight":3}}', '--wait']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /\ngw1\s+\d+\s+APPLIED\s*\n/);
      assert.match(r.stdout, /\ngw2\s+\d+\s+APPLIED\s*\n/);
      assert.match(r.stdout, /\nversion \d+: 2 applied, 0 rejected, 0 no answer\n$/);
      const silent = await cli(['config', 'set', '--gateway', 'gw3', '--json', '{"uplink":{"inflight":3}}', '--wait', '--timeout', '2']);
      assert.equal(silent.code, 75);
      assert.match(silent.stdout, /\ngw3\s+-\s+NO ANSWER\s*\n/);
      const typo = await cli(['config', 'set', '--group', 'nrth', '--json', '{"uplink":{"inflight":3}}']);
      assert.equal(typo.code, 0);
      assert.equal(firstLine(typo.stderr), 'warning: no gateway is in group nrth; did you mean north?');
    });
  });

  describe('send --wait', () => {
    it('shows each gateway\'s answer and round trip, and a summary line', async () => {
      const r = await cli(['send', 'ping', '--group', 'north', '--wait']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /\nGATEWAY\s+DEVICE\s+STATE\s+ROUND TRIP\s+ANSWER\n/);
      assert.match(r.stdout, /\ngw1\s+gw1\s+SUCCEEDED\s+\d+(\.\d)? m?s\s+\{"answeredBy":"gw1"\}\n/);
      assert.match(r.stdout, /\ngw2\s+gw2\s+SUCCEEDED\s+\d+(\.\d)? m?s\s+\{"answeredBy":"gw2"\}\n/);
      assert.match(r.stdout, /\nCOMPLETED: SUCCEEDED=2 \(2 target\(s\), slowest \d+(\.\d)? m?s\)\n$/);
    });
  });

  it('-o json and -o wide on every listing command', async () => {
    for (const args of [['groups'], ['queues'], ['commands'], ['config', 'status'], ['config', 'history'], ['devices', 'list']]) {
      const j = await cli([...args, '-o', 'json']);
      assert.equal(j.code, 0, `${args.join(' ')}: ${j.stderr}`);
      assert.ok(Array.isArray(JSON.parse(j.stdout)), args.join(' '));
      const w = await cli([...args, '-o', 'wide']);
      assert.equal(w.code, 0, `${args.join(' ')}: ${w.stderr}`);
    }
  });
});
