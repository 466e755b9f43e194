import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { apiCall, startBroker, waitFor, type BrokerProcess } from './fixtures/broker-process.js';
import { buildConsole, launchBrowser, screenshot, seriousA11yViolations, signIn, watchProblems } from './fixtures/console-browser.js';

/** Ids and payloads an attacker controls: they must be shown as text, never run. */
const HOSTILE_GW = '<img src=x onerror="window.__xss=1">';
const HOSTILE_DEVICE = '<svg onload=window.__xss=2>';
const HOSTILE_VALUE = '<script>window.__xss=3</script>';

/**
 * The operator console in headless Chromium (Debian's, through playwright-core) against a real
 * causeway-cloud, two real causeway-edge gateways and a simulated serial thermometer on a PTY (issue 18):
 * sign in, gateways online, a command followed to SUCCEEDED, config drift back in sync, a killed gateway
 * going offline, a queue replayed, hostile ids and payloads escaped, axe-core on every page.
 */
describe('cloud e2e 60: the operator console in a real browser @e2e', function () {
  this.timeout(180_000);
  let dir: string;
  let cloud: BrokerProcess;
  let base: string;
  let token: string;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const procs: Record<string, ChildProcess> = {};
  const secrets: Record<string, string> = {};
  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(base, token, method, path, body);

  const spawnLogged = (name: string, args: string[]): ChildProcess => {
    const p = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.resume();
    p.stderr!.resume();
    procs[name] = p;
    return p;
  };
  const startEdge = (gw: string, extra: Record<string, unknown> = {}): ChildProcess => {
    const cfg = {
      gateway: { id: gw, groups: ['depot'] },
      cloud: { url: `mqtt://127.0.0.1:${cloud.port}`, username: gw, password: secrets[gw], backoffBaseMs: 100, backoffMaxMs: 1000 },
      store: { path: join(dir, gw, 'outbox.db') },
      ...extra,
    };
    mkdirSync(join(dir, gw), { recursive: true });
    writeFileSync(join(dir, `${gw}.json`), JSON.stringify(cfg));
    return spawnLogged(gw, ['edge/src/main.ts', '--config', join(dir, `${gw}.json`)]);
  };
  const goto = async (hash: string): Promise<void> => {
    await page.evaluate((h) => ((globalThis as any).location.hash = h), hash);
    await page.locator('main h1').first().waitFor();
  };

  before(async () => {
    buildConsole();
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-console-'));
    cloud = await startBroker(join(dir, 'cloud'), ['--auth.allowAnonymous', 'false']);
    base = `http://127.0.0.1:${cloud.apiPort}`;
    token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
    for (const gw of ['gw-a', 'gw-b']) secrets[gw] = (await call('POST', '/v1/devices', { id: gw, groups: ['depot'], tags: { site: 'north' } })).secret;
    await call('POST', '/v1/devices', { id: 'th-1', kind: 'device', gateway: 'gw-a' });
    await call('POST', '/v1/devices', { id: HOSTILE_GW, groups: ['depot'], tags: { note: HOSTILE_VALUE } });
    const link = join(dir, 'th-1.tty');
    spawnLogged('thermometer', ['firmware-sim/src/main.ts', 'serial', '--profile', 'thermometer', '--link', link, '--rate', '5']);
    await waitFor('the PTY', 10_000, () => (existsSync(link) ? true : undefined));
    startEdge('gw-a', { ingest: { ports: [{ path: link, device: 'th-1', protocol: { type: 'json' }, streams: { temp: 'temp', relay: '' } }] } });
    startEdge('gw-b');
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    problems = watchProblems(page);
  });

  after(async () => {
    await browser?.close();
    for (const p of Object.values(procs)) p.kill('SIGKILL');
    await cloud?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    // Every step: no CSP violation, no script error in the page.
    assert.deepEqual(problems.splice(0), [], `page problems during "${this.currentTest?.title}"`);
  });

  it('serves the console at / with a strict CSP and the API at /v1, and signs in with the operator token', async () => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/, 'no inline or external script');
    assert.match(csp, /style-src 'self'(;|$)/, 'no inline style');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const html = await res.text();
    assert.doesNotMatch(html, /<script>|style=|https?:\/\//, 'no inline script or style, no external resource');
    assert.equal((await fetch(`${base}/v1/devices`)).status, 401, 'the API still wants the token');

    await page.goto(`${base}/`);
    assert.deepEqual(await seriousA11yViolations(page), [], 'sign-in page');
    await screenshot(page, 'sign-in');
    await page.getByLabel('Operator token').fill('wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'API_UNAUTHORIZED' }).waitFor();
    await signIn(page, base, token);
    assert.equal(await page.evaluate(() => { const w = globalThis as any; return w.location.href.includes(w.sessionStorage.getItem('causeway.operatorToken') ?? '\u0000'); }), false, 'the token is not in the URL');
  });

  it('the fleet page shows both gateways online with counts, and hostile ids as text', async () => {
    await goto('#/fleet');
    const online = page.locator('[data-count="Online"]');
    await waitFor('two gateways online', 30_000, async () => ((await online.textContent()) === '2' ? true : undefined), { everyMs: 250 });
    assert.equal(await page.locator('[data-count="Gateways"]').textContent(), '3');
    for (const gw of ['gw-a', 'gw-b']) assert.match((await page.locator(`tr[data-gateway="${gw}"]`).textContent()) ?? '', /online/);
    // The agent version comes from the status each gateway publishes retained.
    await waitFor('gw-a agent version', 10_000, async () => (/^\d+\.\d+\.\d+/.test((await page.locator('tr[data-gateway="gw-a"] td').nth(2).textContent()) ?? '') ? true : undefined), { everyMs: 250 });
    const hostile = page.locator('tbody th a').filter({ hasText: 'onerror' });
    assert.equal(await hostile.textContent(), HOSTILE_GW, 'the id is rendered as its characters');
    assert.match((await page.getByRole('row').filter({ hasText: 'onerror' }).textContent()) ?? '', /<script>window.__xss=3<\/script>/);
    assert.equal(await page.locator('main img, main svg, main script').count(), 0, 'no element made from an id');
    assert.equal(await page.evaluate(() => (globalThis as any).__xss), undefined);
    await page.getByLabel('State').selectOption('offline');
    await waitFor('the offline filter', 10_000, async () => ((await page.locator('tbody tr').count()) === 1 ? true : undefined));
    await page.getByLabel('State').selectOption('');
    assert.deepEqual(await seriousA11yViolations(page), [], 'fleet page');
    await screenshot(page, 'fleet');
  });

  it('the gateway page charts live telemetry and shows hostile payloads escaped', async () => {
    await call('POST', '/v1/queues/telemetry/messages', {
      mqttRealTopic: `telemetry/gw-a/${HOSTILE_DEVICE}/label`,
      payload: JSON.stringify({ v: 1, type: 'batch', id: 'hostile-1', gateway: 'gw-a', device: HOSTILE_DEVICE, stream: 'label', readings: [{ seq: 1, ts: Date.now(), value: HOSTILE_VALUE }] }),
    });
    await call('POST', '/v1/queues/events/messages', {
      mqttRealTopic: 'events/gw-a/th-1/door',
      payload: JSON.stringify({ v: 1, type: 'event', id: 'ev-1', gateway: 'gw-a', device: 'th-1', event: 'door-open', severity: 'alarm', ts: Date.now(), data: { note: HOSTILE_VALUE } }),
    });
    await goto('#/gateway/gw-a');
    await page.getByText('stream th-1/temp').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('.chart canvas').count() > 0, true, 'uPlot drew the chart');
    await page.locator('[data-testid="gw-readings"]').getByText(HOSTILE_VALUE, { exact: false }).first().waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="gw-events"]').getByText(HOSTILE_VALUE, { exact: false }).waitFor({ timeout: 10_000 });
    await page.getByText(`stream ${HOSTILE_DEVICE}/label`).waitFor();
    assert.equal(await page.locator('main img, main script, main svg[onload]').count(), 0);
    assert.equal(await page.evaluate(() => (globalThis as any).__xss), undefined);
    assert.deepEqual(await seriousA11yViolations(page), [], 'gateway page');
    await screenshot(page, 'gateway');
  });

  it('sends a command with validated args and follows it live to SUCCEEDED', async () => {
    await goto('#/commands');
    await page.getByLabel('Name', { exact: true }).fill('ping');
    await page.getByLabel('Gateway or device id').fill('gw-a');
    await page.getByLabel('Args (JSON object)').fill('{"on": tru');
    await page.getByText('args are not valid JSON').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Send' }).isDisabled(), true);
    await page.getByLabel('Args (JSON object)').fill('[1]');
    await page.getByText('args must be a JSON object').waitFor();
    await page.getByLabel('Args (JSON object)').fill('{"note": "from the console"}');
    await page.getByLabel('TTL (s)').fill('120');
    await page.getByRole('button', { name: 'Send' }).click();
    const target = page.locator('[data-testid="follow-targets"] tr[data-target="gw-a"]');
    await target.getByText('SUCCEEDED').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="follow-counts"]').getByText('SUCCEEDED=1').waitFor();
    assert.deepEqual(await seriousA11yViolations(page), [], 'commands page');
    await screenshot(page, 'commands');
  });

  it('a target that settled before the live stream opened still shows its final state', async () => {
    // A page of its own, in its own browser context, closed at the end: the request interception below stays
    // out of the page every other step uses (the interception and the stream it held back go with the context).
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    try {
      const own = await context.newPage();
      const ownProblems = watchProblems(own);
      await signIn(own, base, token);
      // Hold the event stream back until the command is done: it then reports counts and done, no target event.
      await own.route('**/v1/commands/*/stream', async (route) => {
        const id = decodeURIComponent(new URL(route.request().url()).pathname.split('/')[3]!);
        await waitFor('the command done', 30_000, async () => ((await call('GET', `/v1/commands/${encodeURIComponent(id)}`)).command.status !== 'RUNNING' ? true : undefined), { everyMs: 100 });
        await route.continue();
      });
      await own.evaluate(() => ((globalThis as any).location.hash = '#/commands'));
      await own.getByLabel('Name', { exact: true }).fill('ping');
      await own.getByLabel('Gateway or device id').fill('gw-a');
      await own.getByLabel('Args (JSON object)').fill('{}');
      await own.getByRole('button', { name: 'Send' }).click();
      await own.locator('[data-testid="follow-targets"] tr[data-target="gw-a"]').getByText('SUCCEEDED').waitFor({ timeout: 30_000 });
      assert.deepEqual(ownProblems, []);
    } finally {
      await context.close();
    }
  });

  it('keeps a document typed in the same moment the gateway id was left (before the page loaded its document)', async () => {
    await goto('#/config');
    const editor = page.getByRole('form', { name: 'Desired config' });
    await editor.getByLabel('Scope').selectOption('gateway');
    const id = editor.getByLabel('Gateway id');
    await id.waitFor();
    // Leave the id field and type the document in one task, as a fast operator (or a loaded machine) does:
    // the page loads the gateway's document after its next frame, and that load must not overwrite the typing.
    await page.evaluate(() => {
      const d = (globalThis as any).document;
      const input = [...d.querySelectorAll('form[aria-labelledby="cfg-edit-h"] input')].find((e: any) => e.closest('label')?.textContent?.includes('Gateway id'));
      input.value = 'gw-a';
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
      const doc = d.querySelector('form[aria-labelledby="cfg-edit-h"] textarea');
      doc.value = '{"uplink": {"batchMaxReadings": "typed"}}';
      doc.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.locator('[data-testid="cfg-check"]').getByText('uplink.batchMaxReadings').waitFor({ timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 500)); // the document load has answered by now
    assert.match(await editor.getByLabel('Document (JSON)').inputValue(), /"typed"/);
    assert.equal(await page.getByRole('button', { name: 'Save and push' }).isDisabled(), true);
  });

  it('validates a config before saving, pushes it, and sees drift go back in sync', async () => {
    await goto('#/config');
    const editor = page.getByRole('form', { name: 'Desired config' });
    await editor.getByLabel('Scope').selectOption('gateway');
    await editor.getByLabel('Gateway id').fill('gw-b');
    await editor.getByLabel('Gateway id').press('Tab');
    const doc = editor.getByLabel('Document (JSON)');
    // Leaving the id field loads gw-b's document; fill() selects the text and inserts in two steps, and a load
    // answered in between re-renders the field under it. An operator's keystrokes mark the document as typed,
    // so a load no longer replaces it: fill again until the field holds exactly what was typed.
    const fillDoc = async (text: string): Promise<void> => {
      for (let i = 0; i < 5 && (await doc.inputValue()) !== text; i++) await doc.fill(text);
      assert.equal(await doc.inputValue(), text);
    };
    const checkSays = async (what: string): Promise<void> => {
      try {
        await page.locator('[data-testid="cfg-check"]').getByText(what).waitFor({ timeout: 30_000 });
      } catch (err) {
        throw new Error(`the check never said "${what}": it says ${JSON.stringify(await page.locator('[data-testid="cfg-check"]').textContent())} of ${JSON.stringify(await doc.inputValue())}`, { cause: err });
      }
    };
    await fillDoc('{"uplink": {"batchMaxReadings": "lots"}}');
    await checkSays('uplink.batchMaxReadings');
    assert.equal(await page.getByRole('button', { name: 'Save and push' }).isDisabled(), true, 'an invalid document cannot be saved');
    await fillDoc('{"uplink": {"batchMaxReadings": 50}}');
    await checkSays('valid for causeway-edge');
    await page.getByRole('button', { name: 'Save and push' }).click();
    const saved = await page.getByText(/saved as version \d+/).textContent();
    const version = /version (\d+)/.exec(saved ?? '')![1]!;
    const row = page.locator('[data-testid="drift-table"] tr[data-gateway="gw-b"]');
    await waitFor('gw-b reported the new version, in sync', 30_000, async () => {
      const cells = await row.locator('td').allTextContents();
      return cells[0] === version && cells[1] === version && cells[3] === 'in sync' ? true : undefined;
    }, { everyMs: 250 });
    await page.getByRole('form', { name: 'Merged result for a gateway' }).getByLabel('Gateway id').fill('gw-b');
    await page.getByRole('button', { name: 'Show' }).click();
    assert.match((await page.locator('[data-testid="cfg-merged"]').textContent()) ?? '', /"batchMaxReadings": 50/);
    // desired vs reported on the Config page too: in sync, no difference, and the version its heartbeat says it runs
    const merged = page.getByRole('form', { name: 'Merged result for a gateway' });
    await merged.locator('[data-testid="gw-config-diff"]').getByText('no differences').waitFor({ timeout: 10_000 });
    assert.match((await merged.locator('[data-testid="gw-config"]').textContent()) ?? '', /in sync/);
    await merged.locator('[data-testid="cfg-running"]').waitFor({ timeout: 10_000 });
    // the history, as `causeway config history` / `config diff`: the saved version, and what it changed
    const change = page.locator(`[data-testid="cfg-history"] tr[data-version="${version}"]`);
    await change.waitFor({ timeout: 15_000 });
    assert.match((await change.textContent()) ?? '', /gateway gw-b.*uplink\.batchMaxReadings=50/);
    await page.getByRole('button', { name: `Diff version ${version}` }).click();
    assert.equal(await change.locator('[data-testid="cfg-history-diff"]').textContent(), `--- nothing before version ${version}\n+++ version ${version} (gateway gw-b)\n+ uplink.batchMaxReadings: 50`);
    assert.deepEqual(await seriousA11yViolations(page), [], 'config page');
    await screenshot(page, 'config');
  });

  it('replays a queue: a consumer group seeked back to offset 1 has lag again', async () => {
    // A backend app's group that has read and acked everything so far.
    for (;;) {
      const r = await call('POST', '/v1/queues/telemetry/groups/analytics/pull', { member: 'default', max: 1000 });
      if (r.messages.length === 0) break;
      await call('POST', '/v1/queues/telemetry/groups/analytics/ack', { member: 'default', offsets: r.messages.map((m: { offset: number }) => m.offset) });
    }
    await goto('#/queues');
    const row = page.locator('tr[data-group="telemetry/analytics"]');
    await row.waitFor({ timeout: 10_000 });
    const lagBefore = Number((await row.locator('[data-testid="lag"]').textContent())!.replace(/\D/g, ''));
    await row.getByRole('spinbutton', { name: 'Offset' }).fill('1');
    await row.getByRole('button', { name: 'Replay telemetry/analytics' }).click();
    await row.getByText('now at offset 1').waitFor({ timeout: 10_000 });
    const lagAfter = await waitFor('lag after the seek', 10_000, async () => {
      const n = Number((await row.locator('[data-testid="lag"]').textContent())!.replace(/\D/g, ''));
      return n > lagBefore + 5 ? n : undefined;
    });
    const lag = await call('GET', '/v1/queues/telemetry/groups/analytics');
    assert.ok(lag.committed === 1 && lagAfter > 5, `seeked to 1 (committed ${lag.committed}, lag ${lagAfter})`);
    assert.deepEqual(await seriousA11yViolations(page), [], 'queues page');
    await screenshot(page, 'queues');
  });

  it('devices: registers one with its secret shown once, disables, enables and issues a token', async () => {
    await goto('#/devices');
    await page.getByLabel('Id', { exact: true }).fill('gw-new');
    await page.getByLabel('Groups (comma-separated)').fill('depot');
    await page.getByRole('button', { name: 'Register' }).click();
    const secret = (await page.locator('[data-testid="secret-value"]').textContent()) ?? '';
    assert.ok(secret.length >= 20, 'the secret is shown');
    assert.deepEqual(await seriousA11yViolations(page), [], 'devices page with a secret shown');
    await screenshot(page, 'devices');
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.locator('[data-testid="secret-value"]').count(), 0, 'and gone once dismissed');
    await page.getByRole('button', { name: 'disable gw-new' }).click();
    await page.getByRole('button', { name: 'enable gw-new' }).waitFor();
    assert.equal((await call('GET', '/v1/devices/gw-new')).enabled, false);
    await page.getByRole('button', { name: 'enable gw-new' }).click();
    await page.getByRole('button', { name: 'disable gw-new' }).waitFor();
    assert.equal((await call('GET', '/v1/devices/gw-new')).enabled, true);
  });

  it('a gateway whose process is killed goes offline on the fleet page', async () => {
    await goto('#/fleet');
    procs['gw-b']!.kill('SIGKILL');
    const row = page.locator('tr[data-gateway="gw-b"]');
    await row.getByText('offline').waitFor({ timeout: 30_000 });
    await waitFor('one gateway online', 10_000, async () => ((await page.locator('[data-count="Online"]').textContent()) === '1' ? true : undefined), { everyMs: 250 });
    // Offline, it cannot apply a new config: its page shows the drift as a diff against what it reported.
    await call('PUT', '/v1/config/gateways/gw-b', { config: { uplink: { batchMaxReadings: 80 } } });
    await goto('#/gateway/gw-b');
    const diff = page.locator('[data-testid="gw-config-diff"]');
    await diff.getByText('+ uplink.batchMaxReadings: 80').waitFor({ timeout: 30_000 });
    assert.match((await diff.textContent()) ?? '', /- uplink\.batchMaxReadings: 50/);
    assert.match((await page.locator('[data-testid="gw-state"]').textContent()) ?? '', /offline/);
    await page.locator('[data-testid="gw-config"]').scrollIntoViewIfNeeded();
    await screenshot(page, 'gateway-drift');
  });

  it('reads on a tablet in a depot (768 × 1024): no page scrolls sideways, wide tables scroll in their own box, every page reachable from the navigation', async () => {
    await page.setViewportSize({ width: 768, height: 1024 });
    try {
      for (const [hash, name] of [['#/fleet', 'Fleet'], ['#/gateway/gw-a', undefined], ['#/commands', 'Commands'], ['#/config', 'Config'], ['#/queues', 'Queues'], ['#/devices', 'Devices'], ['#/updates', 'Updates'], ['#/sinks', 'Sinks'], ['#/access', 'Access']] as const) {
        await goto(hash);
        const { scrollWidth, clientWidth } = await page.evaluate(() => {
          const e = (globalThis as any).document.documentElement;
          return { scrollWidth: e.scrollWidth as number, clientWidth: e.clientWidth as number };
        });
        assert.ok(scrollWidth <= clientWidth, `${hash}: the page is ${scrollWidth} px wide in a ${clientWidth} px window`);
        if (name !== undefined) assert.ok(await page.getByRole('navigation', { name: 'pages', exact: true }).getByRole('link', { name }).isVisible(), `${hash}: the ${name} link is visible`);
        assert.deepEqual(await seriousA11yViolations(page), [], `${hash} on a tablet`);
        if (hash === '#/fleet') await screenshot(page, 'tablet-fleet');
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 860 });
    }
  });

  it('signs out: the token is gone from the tab and the sign-in form is back', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Operator token').waitFor();
    assert.equal(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('causeway.operatorToken')), null);
  });
});
