import assert from 'node:assert/strict';
import { Counter, Registry } from 'prom-client';
import { startHealthServer, type HealthReport, type HealthServer } from '../../src/health/http-health.js';

describe('health/http-health over real HTTP', () => {
  const servers: HealthServer[] = [];
  let report: HealthReport | (() => never) | 'hang' = { ok: true };
  let registry: Registry;
  let server: HealthServer;

  const start = async (extra: Partial<Parameters<typeof startHealthServer>[0]> = {}): Promise<HealthServer> => {
    const s = await startHealthServer({
      port: 0,
      registry,
      checkTimeoutMs: 300,
      check: () => {
        if (report === 'hang') return new Promise<HealthReport>(() => {});
        if (typeof report === 'function') return report();
        return report;
      },
      ...extra,
    });
    servers.push(s);
    return s;
  };

  before(async () => {
    registry = new Registry();
    server = await start();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('listens on loopback only, on the port it was given (0 = any free one)', () => {
    assert.equal(server.host, '127.0.0.1');
    assert.ok(server.port > 0);
    assert.equal(server.url, `http://127.0.0.1:${server.port}`);
  });

  it('/healthz: 200 with the details when the check is ok', async () => {
    report = { ok: true, details: { outbox: 'open', pending: 3 } };
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/json/);
    assert.deepEqual(await res.json(), { status: 'ok', details: { outbox: 'open', pending: 3 } });
  });

  it('/healthz: 503 when the check says not ok, and HEAD gives the same status without a body', async () => {
    report = { ok: false, details: { outbox: 'disk full' } };
    const res = await fetch(`${server.url}/healthz?verbose=1`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: 'fail', details: { outbox: 'disk full' } });
    const headRes = await fetch(`${server.url}/healthz`, { method: 'HEAD' });
    assert.equal(headRes.status, 503);
    assert.equal(await headRes.text(), '');
  });

  it('/healthz: a throwing check is a 503 with its error, and the server keeps serving', async () => {
    report = () => {
      throw new Error('sqlite: database is locked');
    };
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: 'fail', details: { error: { code: 'HEALTH_ERROR', message: 'sqlite: database is locked' } } });
    report = { ok: true };
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });

  it('/healthz: a check that never answers is a 503 HEALTH_TIMEOUT after checkTimeoutMs', async () => {
    report = 'hang';
    const t0 = Date.now();
    const res = await fetch(`${server.url}/healthz`);
    const took = Date.now() - t0;
    assert.equal(res.status, 503);
    const body = (await res.json()) as { details: { error: { code: string } } };
    assert.equal(body.details.error.code, 'HEALTH_TIMEOUT');
    assert.ok(took >= 280 && took < 3000, `answered after ${took} ms`);
  });

  it('/healthz: a check returning garbage is a 503 HEALTH_INVALID', async () => {
    report = (() => 'yes') as unknown as () => never;
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /HEALTH_INVALID/);
  });

  it('/healthz: secret-looking detail keys are redacted', async () => {
    report = { ok: true, details: { cloud: { url: 'mqtts://127.0.0.1:8883', password: 'hunter2' } } };
    const text = await (await fetch(`${server.url}/healthz`)).text();
    assert.ok(!text.includes('hunter2'), text);
    assert.match(text, /"password":"\[redacted\]"/);
  });

  it('/metrics: Prometheus text with default, custom and health-check metrics', async () => {
    report = { ok: true };
    const sent = new Counter({ name: 'causeway_test_readings_sent_total', help: 'test counter', registers: [registry] });
    sent.inc(3);
    await fetch(`${server.url}/healthz`);
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), registry.contentType);
    const text = await res.text();
    assert.match(text, /^process_cpu_user_seconds_total \d/m);
    assert.match(text, /^nodejs_eventloop_lag_seconds \d/m);
    assert.match(text, /^causeway_test_readings_sent_total 3$/m);
    // answered so far: ok 4 (incl. the one above), fail 2 (GET + HEAD), error 3 (throw, timeout, garbage)
    assert.match(text, /^causeway_health_checks_total\{result="ok"\} 4$/m);
    assert.match(text, /^causeway_health_checks_total\{result="fail"\} 2$/m);
    assert.match(text, /^causeway_health_checks_total\{result="error"\} 3$/m);
  });

  it('unknown path 404, other methods 405 with Allow', async () => {
    assert.equal((await fetch(`${server.url}/`)).status, 404);
    const res = await fetch(`${server.url}/healthz`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
  });

  it('a second server on the same registry does not re-register metrics (no crash)', async () => {
    const second = await start();
    const res = await fetch(`${second.url}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.equal(text.match(/^# TYPE process_cpu_user_seconds_total/gm)?.length, 1);
  });

  it('a taken port rejects with IO_LISTEN (exit code 74), not an uncaught error', async () => {
    await assert.rejects(start({ port: server.port }), { code: 'IO_LISTEN', message: /127\.0\.0\.1:\d+.*EADDRINUSE/ });
  });

  it('close() frees the port even with keep-alive connections open', async () => {
    const s = await start({ registry: new Registry(), defaultMetrics: false });
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    await s.close();
    await assert.rejects(fetch(`${s.url}/healthz`));
  });
});
