import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { apiCall, removeDir, startBroker, tempDir, until, type BrokerProcess } from './fixtures/broker-process.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const ACL = `# e2e 14: anonymous development clients get lab/ and their own devices/<client id>/
topic readwrite lab/#
pattern readwrite devices/%c/#

# the backend app "billing" (registry credentials) may read and write alerts/billing/
user billing
topic readwrite alerts/billing/#
`;

/**
 * Issue 15: `auth.aclFile` on the real causeway-cloud — mosquitto acl_file rules on top of the registry for
 * anonymous development clients and apps, refusals on the wire and in /metrics, reload on SIGHUP (a bad
 * file then keeps the old rules), and exit 78 naming the line for a bad file at start.
 */
describe('e2e 14: auth.aclFile (mosquitto acl_file syntax) @e2e', function () {
  this.timeout(90_000);
  let dir: string;
  let aclPath: string;
  let broker: BrokerProcess | undefined;
  let metrics: string;
  const clients: MqttClient[] = [];
  const url = (): string => `mqtt://127.0.0.1:${broker!.port}`;
  const connect = async (opts: mqtt.IClientOptions): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(url(), { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    c.on('error', () => undefined); // v5 refusals surface as errors on the publish promise
    clients.push(c);
    return c;
  };
  /** SUBACK reason codes: MQTT.js v5 rejects subscribeAsync when any filter is refused, with the SUBACK attached. */
  const subackCodes = async (c: MqttClient, filters: string[], qos: 0 | 1 = 0): Promise<number[]> => {
    try {
      return (await c.subscribeAsync(filters, { qos })).map((g) => g.qos);
    } catch (err) {
      const packet = (err as { packet?: { granted?: number[] } }).packet;
      if (packet?.granted === undefined) throw err;
      return packet.granted;
    }
  };
  const metric = async (counter: string): Promise<number> => {
    const text = await (await fetch(metrics)).text();
    const m = new RegExp(`^causeway_acl_file\\{counter="${counter}"\\} (\\d+)$`, 'm').exec(text);
    return m === null ? Number.NaN : Number(m[1]);
  };
  /** Sends SIGHUP and waits for a new log line whose msg starts with `msg`. */
  const sighupAndWait = async (msg: string): Promise<void> => {
    const before = broker!.lines.filter((l) => l.includes(`"msg":"${msg}`)).length;
    broker!.proc.kill('SIGHUP');
    await until(() => broker!.lines.filter((l) => l.includes(`"msg":"${msg}`)).length > before, 10_000, `log "${msg}" in:\n${broker!.lines.slice(-5).join("\n")}`);
  };

  before(async () => {
    dir = tempDir('e2e14');
    aclPath = join(dir, 'acl');
    writeFileSync(aclPath, ACL);
    broker = await startBroker(join(dir, 'store'), ['--auth.aclFile', aclPath, '--health.port', '0']);
    const listening = JSON.parse(broker.lines.find((l) => l.includes('"msg":"listening"'))!) as { healthPort: number };
    metrics = `http://127.0.0.1:${listening.healthPort}/metrics`;
    assert.ok(broker.lines.some((l) => l.includes('"msg":"acl file loaded"') && l.includes('"rules":3')));
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await broker?.stop();
    removeDir(dir);
  });

  it('anonymous 3.1.1 and 5 clients: refused filters get 0x80 / 0x87, a v5 publish PUBACK 0x87, a 3.1.1 one is dropped', async () => {
    const watcher = await connect({ protocolVersion: 5, clientId: 'watcher' });
    const got: string[] = [];
    watcher.on('message', (t, p) => got.push(`${t}=${p}`));
    // only what the file grants: lab/# and its own devices/watcher/#
    assert.deepEqual(await subackCodes(watcher, ['lab/#', 'devices/watcher/#', 'plant/#']), [0, 0, 0x87]);
    const v4 = await connect({ protocolVersion: 4, clientId: 'dev-4' });
    assert.deepEqual(await subackCodes(v4, ['plant/#', 'devices/dev-4/cmd'], 1), [0x80, 1]);
    await v4.publishAsync('plant/x', 'dropped', { qos: 1 }); // 3.1.1: acknowledged, dropped
    await v4.publishAsync('lab/x', 'from v4', { qos: 1 });
    const v5 = await connect({ protocolVersion: 5, clientId: 'dev-5' });
    await assert.rejects(v5.publishAsync('lab2/x', 'refused', { qos: 1 }), (e: { code?: number }) => e.code === 0x87);
    await v5.publishAsync('lab/x', 'from v5', { qos: 1 });
    await until(() => got.length === 2, 5000, 'the two allowed messages');
    assert.deepEqual(got, ['lab/x=from v4', 'lab/x=from v5']);
    assert.equal(await metric('denied'), 4);
    const refusals = broker!.lines.filter((l) => l.includes('refused by ACL'));
    assert.equal(refusals.length, 4);
    assert.ok(refusals.every((l) => /acl file grants anonymous client/.test(l)));
  });

  it('a backend app (registry credentials) is held to its `user` section, not to the anonymous rules; its secret is not logged', async () => {
    const token = readFileSync(join(dir, 'store', 'operator-token'), 'utf8').trim();
    const api = `http://127.0.0.1:${broker!.apiPort}`;
    const created = await apiCall(api, token, 'POST', '/v1/devices', { id: 'billing', kind: 'app', queues: ['*'], canSend: false });
    const app = await connect({ protocolVersion: 5, clientId: 'billing.w1', username: 'billing', password: created.secret });
    assert.deepEqual(await subackCodes(app, ['alerts/billing/#', 'lab/#'], 1), [1, 0x87]);
    assert.ok(!broker!.lines.some((l) => l.includes(created.secret)), 'the app secret is never logged');
  });

  it('SIGHUP reloads the file for connected clients; a bad file keeps the old rules, is logged with its line and counted', async () => {
    const c = await connect({ protocolVersion: 5, clientId: 'hup' });
    await assert.rejects(c.publishAsync('field/x', '1', { qos: 1 }), (e: { code?: number }) => e.code === 0x87);
    // anonymous rules come before the first `user` line
    writeFileSync(aclPath, `topic write field/#\n${ACL}`);
    await sighupAndWait('acl file reloaded');
    await c.publishAsync('field/x', '2', { qos: 1 });
    assert.equal(await metric('reloads'), 1);

    writeFileSync(aclPath, 'topic write field/#\ntopic writ lab/#\n');
    await sighupAndWait('acl file not reloaded');
    const line = broker!.lines.filter((l) => l.includes('"msg":"acl file not reloaded')).at(-1)!;
    assert.match(line, /line 2: \\"writ\\" is not an access type/);
    // the previous rules (with field/#) are still in force, and the broker still serves
    await c.publishAsync('field/x', '3', { qos: 1 });
    await c.publishAsync('lab/x', '4', { qos: 1 });
    assert.equal(await metric('reloadFailures'), 1);
    assert.equal(broker!.proc.exitCode, null);
  });

  const BAD: Array<[string, string, RegExp]> = [
    ['an unknown keyword', 'topic read a/#\nallow read b\n', /auth\.aclFile .* line 2: unknown keyword "allow"/],
    ['a %c inside a level', '# ok\n\npattern read devices/dev-%c\n', /auth\.aclFile .* line 3: .*%c and %u must each be a whole topic level/],
    ['a missing file', '', /auth\.aclFile: cannot read .*: ENOENT/],
  ];
  for (const [what, text, message] of BAD) {
    it(`causeway-cloud with ${what} in auth.aclFile exits 78 naming the line`, () => {
      const file = join(dir, `bad-${what.replace(/\W+/g, '-')}`);
      if (text !== '') writeFileSync(file, text);
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'cloud/src/main.ts', '--store.path', join(dir, 'bad-store'), '--mqtt.port', '0', '--api.port', '-1', '--auth.aclFile', file], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 78, `exit ${r.status}: ${r.stderr}`);
      assert.match(r.stderr, message);
    });
  }
});
