import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { apiCall, startBroker, waitFor, type BrokerProcess } from './fixtures/broker-process.js';
import { buildConsole, launchBrowser, screenshot, seriousA11yViolations, signIn, watchProblems } from './fixtures/console-browser.js';

const T0 = 1_700_000_000_000;
const count = (s: string | null): number => Number((s ?? '').replace(/\s*\(.*$/, '').replace(/[^\d]/g, '') || NaN);

/**
 * The fleet page shows each gateway's health (issues 18 and 20), in Debian's headless Chromium against a
 * real causeway-cloud and two real causeway-edge agents: one with its uplink held (uplink.maxBytesPerSecond
 * 1, as edge e2e 40 does — its first batch overdraws the bucket and nothing more goes, while its status and
 * heartbeat still do), so its outbox fills. The operator sees its backlog on the Fleet page, finds it with
 * the same `where` filter as `causeway gateways list --where`, and reads its health on its own page.
 */
describe('cloud e2e 62: a gateway\'s backlog on the console\'s Fleet page @e2e', function () {
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

  const startEdge = async (gw: string, extra: string[] = []): Promise<ChildProcess> => {
    const { secret } = await call('POST', '/v1/devices', { id: gw, groups: ['depot'] });
    secrets[gw] = secret;
    mkdirSync(join(dir, gw), { recursive: true });
    const args = ['--gateway.id', gw, '--cloud.url', `mqtt://127.0.0.1:${cloud.port}`, '--cloud.username', gw, '--cloud.password', secret, '--store.path', join(dir, gw, 'outbox.db'), '--status.heartbeatSeconds', '1', '--cloud.keepaliveSeconds', '2', '--input.stdin', 'true', ...extra];
    const p = spawn(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    p.stdout!.resume();
    p.stderr!.resume();
    p.stdin!.on('error', () => undefined);
    procs[gw] = p;
    return p;
  };
  const row = (gw: string) => page.locator(`tr[data-gateway="${gw}"]`);

  before(async () => {
    buildConsole();
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e62-'));
    cloud = await startBroker(join(dir, 'cloud'), ['--auth.allowAnonymous', 'false', '--auth.kdfLogN', '10']);
    base = `http://127.0.0.1:${cloud.apiPort}`;
    token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
    const ok = await startEdge('gw-ok');
    const held = await startEdge('gw-held', ['--uplink.maxBytesPerSecond', '1', '--uplink.batchMaxReadings', '50']);
    const lines = Array.from({ length: 1500 }, (_, i) => JSON.stringify({ device: 's', stream: 't', ts: T0 + i, value: i })).join('\n') + '\n';
    ok.stdin!.write(lines);
    held.stdin!.write(lines);
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1440, height: 860 } })).newPage();
    problems = watchProblems(page);
  });

  after(async () => {
    await browser?.close();
    for (const p of Object.values(procs)) p.kill('SIGKILL');
    await cloud?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    assert.deepEqual(problems.splice(0), [], `page problems during "${this.currentTest?.title}"`);
  });

  it('shows the held gateway\'s backlog, disk free and clock offset on the Fleet page, and the healthy one drained', async () => {
    await signIn(page, base, token);
    await page.evaluate(() => ((globalThis as any).location.hash = '#/fleet'));
    await waitFor('the held backlog on the page', 60_000, async () => (count(await row('gw-held').locator('[data-testid="backlog"]').textContent()) > 1000 ? true : undefined), {
      everyMs: 250,
      detail: () => 'gw-held row never showed a backlog over 1,000',
    });
    await waitFor('the healthy backlog drained', 30_000, async () => (count(await row('gw-ok').locator('[data-testid="backlog"]').textContent()) === 0 ? true : undefined), { everyMs: 250 });
    // The page shows what the API's status store holds for it, not a guess.
    const api = (await call('GET', '/v1/gateways/gw-held')).status;
    assert.ok(api.health.outbox.records > 1000);
    const cells = (await row('gw-held').locator('td').allTextContents()).map((s) => s.trim());
    // State, last seen, agent, backlog, oldest, evictions, disk free, clock offset, config, groups, tags
    assert.match(cells[0]!, /online/);
    assert.match(cells[2]!, /^\d+\.\d+\.\d+/, 'agent version');
    assert.match(cells[3]!, /\(\d+(\.\d)? (B|KB|MB)\)$/, 'backlog bytes');
    assert.match(cells[4]!, /^\d+ (ms|s|min)$/, 'oldest reading\'s age');
    assert.equal(cells[5], '0', 'evictions');
    assert.match(cells[6]!, /^\d+(\.\d)? (MB|GB|TB)$/, 'disk free');
    assert.match(cells[7]!, /^[+−]\d+(\.\d)? (ms|s)$/, 'clock offset');
    assert.deepEqual(await seriousA11yViolations(page), [], 'fleet page with health');
    await screenshot(page, 'fleet-health');
  });

  it('filters the Fleet page with the where language of /v1/gateways; a bad one is explained', async () => {
    const where = page.getByLabel('Where');
    await where.fill('backlog>1000 and online=true');
    await where.press('Enter');
    await waitFor('only the held gateway', 15_000, async () => ((await page.locator('tbody tr').count()) === 1 && (await row('gw-held').count()) === 1 ? true : undefined), { everyMs: 250 });
    assert.equal(await page.locator('[data-count="Gateways"]').textContent(), '1', 'the counts follow the filter');
    await where.fill('temperature>3');
    await where.press('Enter');
    await page.getByRole('alert').filter({ hasText: /unknown field "temperature"/ }).waitFor({ timeout: 15_000 });
    await where.fill('');
    await where.press('Enter');
    await waitFor('both again', 15_000, async () => ((await page.locator('tbody tr').count()) === 2 ? true : undefined), { everyMs: 250 });
  });

  it('the gateway page shows its health and its status history with the backlog', async () => {
    await page.evaluate(() => ((globalThis as any).location.hash = '#/gateway/gw-held'));
    const health = page.locator('[data-testid="gw-health"]');
    await waitFor('its health', 15_000, async () => (/Backlog\s*[\d,]+ records/.test((await health.textContent()) ?? '') ? true : undefined), { everyMs: 250 });
    assert.match((await health.textContent()) ?? '', /Disk free\s*\d/);
    await waitFor('status history with backlog', 15_000, async () => (/online.*backlog [\d,]+/.test((await page.locator('[data-testid="gw-status-history"]').textContent()) ?? '') ? true : undefined), { everyMs: 250 });
    assert.deepEqual(await seriousA11yViolations(page), [], 'gateway page with health');
  });

  it('asks a gateway for its support bundle and downloads it as a file, with no secret in it', async () => {
    await page.evaluate(() => ((globalThis as any).location.hash = '#/gateway/gw-ok'));
    const box = page.locator('[data-testid="gw-bundle"]');
    await box.getByRole('button', { name: 'Download the latest bundle' }).click();
    await box.getByRole('alert').filter({ hasText: /no support bundle from gw-ok yet/ }).waitFor({ timeout: 10_000 });
    await box.getByRole('button', { name: 'Ask for a new bundle' }).click();
    const asked = (await box.getByRole('status').textContent()) ?? '';
    const id = /command (\S+)/.exec(asked)![1]!;
    await waitFor('the bundle answered', 30_000, async () => ((await call('GET', `/v1/commands/${id}/targets`)).targets[0]?.state === 'SUCCEEDED' ? true : undefined));
    const [download] = await Promise.all([page.waitForEvent('download'), box.getByRole('button', { name: 'Download the latest bundle' }).click()]);
    assert.equal(download.suggestedFilename(), 'gw-ok-bundle.json');
    const text = readFileSync((await download.path())!, 'utf8');
    const bundle = JSON.parse(text);
    assert.deepEqual([bundle.gateway, bundle.command, bundle.config.gateway.id, bundle.config.cloud.password], ['gw-ok', id, 'gw-ok', '[redacted]']);
    for (const s of [secrets['gw-ok']!, secrets['gw-held']!, token]) assert.ok(!text.includes(s), `a secret (${s.slice(0, 6)}…) is in the bundle`);
    assert.deepEqual(await seriousA11yViolations(page), [], 'gateway page with the bundle');
  });

  it('pushes changes to the open Fleet page: a killed gateway shows offline with no new request', async () => {
    await page.evaluate(() => ((globalThis as any).location.hash = '#/fleet'));
    await waitFor('both online', 15_000, async () => ((await page.locator('[data-count="Online"]').textContent()) === '2' ? true : undefined), { everyMs: 250 });
    const requests: string[] = [];
    const onRequest = (r: { url(): string }): void => void (r.url().includes('/v1/fleet') && requests.push(new URL(r.url()).pathname));
    page.on('request', onRequest);
    procs['gw-ok']!.kill('SIGKILL');
    await waitFor('gw-ok offline on the page', 30_000, async () => (/offline/.test((await row('gw-ok').textContent()) ?? '') ? true : undefined), { everyMs: 250 });
    assert.equal(await page.locator('[data-count="Offline"]').textContent(), '1');
    page.off('request', onRequest);
    assert.deepEqual(requests, [], 'the change came over the open stream, not a new request');
  });
});
