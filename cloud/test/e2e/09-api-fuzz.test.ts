import { prng } from '@causeway/shared';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiCall, removeDir, startBroker, tempDir, type BrokerProcess } from './fixtures/broker-process.js';
import { mqttRoundTrip } from './fixtures/mqtt-probe.js';

/**
 * Fuzz of the HTTP API against the real process (issue 23): random and mutated request lines, URLs,
 * headers and bodies, with and without the operator token, to every route. Seeded, so a failure is
 * replayed with the same FUZZ_SEED; bounded by time so it fits in CI. Every answer must be < 500 (or the
 * server closes an unparseable exchange), and the process and its MQTT broker must be alive at the end.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 20_000);
const MAX_REQUESTS = 4000;
const WORKERS = 6;

const ROUTES: Array<[string, string]> = [
  ['GET', '/v1/health'], ['GET', '/v1/stats'],
  ['POST', '/v1/devices'], ['GET', '/v1/devices'], ['GET', '/v1/devices/{id}'], ['DELETE', '/v1/devices/{id}'],
  ['POST', '/v1/devices/{id}/disable'], ['POST', '/v1/devices/{id}/enable'], ['POST', '/v1/devices/{id}/rotate'], ['POST', '/v1/devices/{id}/token'], ['POST', '/v1/devices/{id}/revoke-cert'], ['GET', '/v1/groups'],
  ['POST', '/v1/apps'], ['GET', '/v1/apps'], ['GET', '/v1/apps/{id}'], ['DELETE', '/v1/apps/{id}'],
  ['GET', '/v1/queues'], ['GET', '/v1/queues/{q}/groups/{g}'], ['POST', '/v1/queues/{q}/groups/{g}/pull'], ['POST', '/v1/queues/{q}/groups/{g}/ack'],
  ['POST', '/v1/queues/{q}/groups/{g}/seek'], ['GET', '/v1/queues/{q}/groups/{g}/stream'], ['POST', '/v1/queues/{q}/messages'],
  ['POST', '/v1/commands'], ['GET', '/v1/commands'], ['GET', '/v1/commands/{id}'], ['GET', '/v1/commands/{id}/targets'], ['POST', '/v1/commands/{id}/cancel'], ['GET', '/v1/commands/{id}/stream'],
  ['PUT', '/v1/config/all'], ['PUT', '/v1/config/groups/{g}'], ['PUT', '/v1/config/gateways/{id}'], ['GET', '/v1/config/gateways/{id}'], ['GET', '/v1/config/status'],
  ['GET', '/v1/fleet'], ['GET', '/v1/queues/{q}/recent'], ['POST', '/v1/config/validate'],
];
const FIELDS = ['id', 'kind', 'groups', 'tags', 'gateway', 'queues', 'canSend', 'name', 'read', 'publish', 'member', 'max', 'waitMs', 'offsets', 'offset', 'time', 'mode', 'filter',
  'mqttSecondTopic', 'mqttRealTopic', 'payload', 'encoding', 'qoslevel', 'clientId', 'args', 'device', 'group', 'all', 'ttlSeconds', 'rolloutPerMinute', 'abortThresholdPercent', 'config',
  '__proto__', 'constructor', 'state', 'limit'];
const WORDS = ['gw1', 'fuzz-dev', 'telemetry', 'events', 'cmd', 'config', 'cmd-result', 'status', '_control', 'clustering', 'broadcasting', 'utf8', 'base64', 'app', 'device', 'gateway',
  '/gw1/#', '/+/+/t', '#', '+', '/../x', '/a/./b', 'cmd/gw1/r/c', '$SYS/x', '', ' ', 'a/b', '..', '\u0000', '\ud800', 'é', 'x'.repeat(300), '*', 'RUNNING', 'FAILED'];
const SEGMENTS = ['gw1', 'fuzz-dev', 'telemetry', 'events', 'cmd', 'alerts', '_control', 'x', '%2e%2e', '..', 'a%2Fb', '%ZZ', '%', '%00', 'caf%C3%A9', '%ff%fe', 'x'.repeat(200), '{id}', ':id'];
const JUNK = ['[', ']', '{', '}', '%', '%%', '\\', '"', '<', '>', '^', '`', '|', ' ', '\t', '\u00e9', '\u0001', '..', '//', '?', '#', '&', '=', ';', '%2', '%G0', '\r', '\n', '\u0000'];

type Rand = () => number;
const int = (r: Rand, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;

function value(r: Rand, depth = 0): unknown {
  switch (int(r, depth > 3 ? 6 : 9)) {
    case 0: return pick(r, WORDS);
    case 1: return [0, 1, -1, 2, 3, 100, 1e15, -1e15, 0.5, 2 ** 53, 60_000].at(int(r, 11));
    case 2: return r() < 0.5;
    case 3: return null;
    case 4: return String.fromCharCode(...Array.from({ length: int(r, 20) }, () => int(r, 0x3000)));
    case 5: return int(r, 50);
    case 6: return Array.from({ length: int(r, 5) }, () => value(r, depth + 1));
    case 7: return Object.fromEntries(Array.from({ length: int(r, 4) }, () => [pick(r, FIELDS.concat(WORDS)), value(r, depth + 1)]));
    default: return [1, 2, 3];
  }
}

function body(r: Rand): string {
  const roll = r();
  if (roll < 0.6) {
    const o: Record<string, unknown> = {};
    for (let i = int(r, 7); i > 0; i--) o[pick(r, FIELDS)] = value(r);
    // Keep long-polls short: the fuzz measures answers, not waiting.
    if ('waitMs' in o) o.waitMs = int(r, 50);
    return JSON.stringify(o);
  }
  if (roll < 0.7) return JSON.stringify(value(r));
  if (roll < 0.8) return '{"a":'.repeat(int(r, 3000)); // truncated, maybe deep
  if (roll < 0.85) return '['.repeat(5000) + ']'.repeat(5000);
  if (roll < 0.95) return Array.from({ length: int(r, 200) }, () => String.fromCharCode(int(r, 256))).join('');
  return '';
}

function mutate(r: Rand, s: string): string {
  let out = s;
  for (let i = int(r, 4); i > 0; i--) {
    const at = int(r, out.length + 1);
    const op = int(r, 3);
    if (op === 0) out = out.slice(0, at) + pick(r, JUNK) + out.slice(at);
    else if (op === 1) out = out.slice(0, at) + out.slice(at + 1 + int(r, 3));
    else out = out.slice(0, at) + pick(r, SEGMENTS) + out.slice(at);
  }
  return out;
}

function path(r: Rand, template: string): string {
  let p = template.replace(/\{(\w+)\}/g, () => pick(r, SEGMENTS));
  if (r() < 0.3) p += '?' + Array.from({ length: 1 + int(r, 3) }, () => `${pick(r, ['mode', 'filter', 'member', 'limit', 'state', 'kind', 'group', 'tag', 'gateway', 'x'])}=${String(pick(r, WORDS)).toWellFormed().split('').map((c) => encodeURIComponent(c)).join('')}`).join('&');
  const roll = r();
  // `//…` is what a URL parser reads as a host (issue 23 item 1: `GET //[` exited the process).
  if (roll < 0.05) return `//${pick(r, JUNK)}${p}`;
  return roll < 0.35 ? mutate(r, p) : p;
}

interface FuzzRequest {
  bytes: Buffer;
  /** the request is well framed, so the server owes an answer (otherwise it may just close) */
  framed: boolean;
  what: string;
}

function request(r: Rand, token: string): FuzzRequest {
  const [method0, template] = pick(r, ROUTES);
  const kind = r();
  const method = kind < 0.1 ? pick(r, ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'get', 'G ET', '', 'XYZZY', 'PRI']) : method0;
  const target = path(r, template);
  const version = kind < 0.15 ? pick(r, ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', '', 'HTTP/9.9', 'http/1.1']) : 'HTTP/1.1';
  const b = method === 'GET' || method === 'DELETE' ? (r() < 0.1 ? body(r) : '') : body(r);
  const headers: string[] = ['Host: fuzz', 'Connection: close'];
  const auth = r();
  if (auth < 0.75) headers.push(`Authorization: Bearer ${token}`);
  else if (auth < 0.85) headers.push(`Authorization: ${pick(r, ['Bearer', 'Bearer ', 'Basic abc', 'Bearer cwa_gw1.x', 'Bearer cwa_.', `Bearer ${token}x`, 'Bearer \u00e9'])}`);
  let framed = true;
  const cl = r();
  if (cl < 0.85) headers.push(`Content-Length: ${Buffer.byteLength(b, 'latin1')}`);
  else if (cl < 0.9) headers.push('Transfer-Encoding: chunked');
  else if (cl < 0.93) headers.push(`Content-Length: ${Buffer.byteLength(b, 'latin1')}`, 'Content-Length: 3');
  else if (cl < 0.96) headers.push(`Content-Length: ${pick(r, ['-1', 'abc', '1e3', '99999999999999999999', '5 5'])}`);
  else {
    headers.push(`Content-Length: ${Buffer.byteLength(b, 'latin1') + 10}`);
    framed = false; // a short body: the server waits for the rest until the client goes
  }
  if (r() < 0.2) headers.push(`Content-Type: ${pick(r, ['application/json', 'text/plain', 'x', ''])}`);
  for (let i = r() < 0.2 ? int(r, 5) : 0; i > 0; i--) {
    headers.push(pick(r, ['X-Fuzz: ' + mutate(r, 'value'), 'Bad Header: x', ': empty', 'NoColon', 'X-Long: ' + 'a'.repeat(int(r, 20_000)), 'X-Ctl: a\u0001b', 'Host: second', 'Expect: 100-continue-not']));
  }
  const chunked = headers.includes('Transfer-Encoding: chunked');
  const payload = chunked ? (b.length > 0 ? `${Buffer.byteLength(b, 'latin1').toString(16)}\r\n${b}\r\n0\r\n\r\n` : '0\r\n\r\n') : b;
  const head = kind < 0.05 ? mutate(r, `${method} ${target} ${version}`) : `${method} ${target} ${version}`;
  const text = `${head}\r\n${headers.join('\r\n')}\r\n\r\n${payload}`;
  return { bytes: Buffer.from(text, 'latin1'), framed, what: `${head.slice(0, 120)} [${headers.filter((h) => !h.startsWith('Authorization')).join(' | ').slice(0, 200)}] body=${JSON.stringify(b.slice(0, 120))}` };
}

/** Sends one request; resolves with the status of the first response line, or 'closed' / 'silent'. */
function exchange(port: number, req: FuzzRequest): Promise<number | 'closed' | 'silent'> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = '';
    let done = false;
    const finish = (v: number | 'closed' | 'silent'): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish('silent'), req.framed ? 8000 : 300);
    socket.on('data', (c) => {
      buf += c.toString('latin1');
      for (;;) {
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(buf.slice(0, nl));
        if (m === null) return finish('closed');
        const status = Number(m[1]);
        if (status >= 200) return finish(status);
        // 1xx (a header that looks like Expect: 100-continue): the final answer follows.
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        buf = buf.slice(end + 4);
      }
    });
    socket.on('error', () => finish('closed'));
    socket.on('close', () => finish('closed'));
    socket.write(req.bytes);
  });
}

describe('e2e 09: fuzzing the HTTP API @e2e', function () {
  this.timeout(BUDGET_MS + 60_000);
  let dir: string;
  let broker: BrokerProcess;
  let token: string;

  before(async () => {
    dir = tempDir('e2e09');
    broker = await startBroker(dir);
    token = readFileSync(join(dir, 'operator-token'), 'utf8').trim();
    const api = `http://127.0.0.1:${broker.apiPort}`;
    // Something to find: a gateway, a device behind it, an app, a command, desired config.
    await apiCall(api, token, 'POST', '/v1/devices', { id: 'gw1', groups: ['north'] });
    await apiCall(api, token, 'POST', '/v1/devices', { id: 'fuzz-dev', kind: 'device', gateway: 'gw1' });
    await apiCall(api, token, 'POST', '/v1/apps', { name: 'x', read: ['telemetry'], publish: ['alerts/#'] });
    await apiCall(api, token, 'PUT', '/v1/config/all', { config: { uplink: { batchMaxReadings: 50 } } });
  });
  after(async () => {
    await broker?.stop();
    removeDir(dir);
  });

  it(`answers thousands of random requests below 500, seed ${SEED}, and keeps MQTT alive`, async () => {
    const deadline = Date.now() + BUDGET_MS;
    const failures: string[] = [];
    const statuses = new Map<string, number>();
    let sent = 0;
    const worker = async (w: number): Promise<void> => {
      const r = prng(SEED + w);
      while (Date.now() < deadline && sent < MAX_REQUESTS && broker.proc.exitCode === null) {
        sent++;
        const req = request(r, token);
        const got = await exchange(broker.apiPort!, req);
        statuses.set(String(got), (statuses.get(String(got)) ?? 0) + 1);
        if (typeof got === 'number' && got >= 500) failures.push(`${got}: ${req.what}`);
        if (got === 'silent' && req.framed) failures.push(`no answer in 8 s: ${req.what}`);
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    const summary = `seed ${SEED}, ${sent} requests, answers ${JSON.stringify(Object.fromEntries(statuses))}`;
    assert.equal(broker.proc.exitCode, null, `the process exited (${summary}):\n${broker.lines.slice(-20).join('\n')}`);
    assert.deepEqual(failures.slice(0, 10), [], summary);
    assert.ok(sent >= 500, `only ${sent} requests in the budget (${summary})`);
    await mqttRoundTrip(broker.port);
    const stats = (await apiCall(`http://127.0.0.1:${broker.apiPort}`, token, 'GET', '/v1/stats')) as { api: { internalErrors: number; requests: number } };
    assert.equal(stats.api.internalErrors, 0, summary);
    console.log(`      ${summary}`);
  });
});
