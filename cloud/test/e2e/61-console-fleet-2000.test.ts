import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { SqliteRegistry } from '../../src/identity/registry/sqlite-registry.js';
import { hashSecret } from '../../src/identity/secret-hash.js';
import { apiCall, startBroker, waitFor, type BrokerProcess } from './fixtures/broker-process.js';
import { buildConsole, launchBrowser, signIn, watchProblems } from './fixtures/console-browser.js';

/** 2,000 by default (issue 18); `CONSOLE_FLEET=10000` for a one-off measure at the 10,000. */
const FLEET = Number(process.env.CONSOLE_FLEET ?? 2000);
/** the ids `causeway-sim fleet --gateways FLEET` gives its gateways */
const WIDTH = String(FLEET - 1).length;
const gatewayId = (i: number): string => `gw-${String(i).padStart(WIDTH, '0')}`;
const SECRET = 'one-secret-for-the-simulated-fleet';

/**
 * The fleet page at 2,000 gateways (issue 18), a fleet from causeway-sim: the registry file is filled
 * before the cloud starts (one scrypt hash, at a low cost, shared by all, as registering 2,000 secrets
 * through the API costs a minute of scrypt), then `causeway-sim fleet` connects 2,000 gateways over MQTT,
 * each authenticating as itself and publishing its retained status. Once the cloud shows them all online
 * the page is loaded in headless Chromium and the time from navigation to the first page of rows with
 * the fleet's counts is logged (recorded in docs/benchmarks.md; speed is not asserted here).
 */
describe(`cloud e2e 61: the console fleet page at ${FLEET.toLocaleString()} gateways from causeway-sim @e2e`, function () {
  this.timeout(300_000);
  let dir: string;
  let cloud: BrokerProcess;
  let sim: ChildProcess | undefined;
  let browser: Browser;
  let base: string;
  let token: string;

  before(async () => {
    buildConsole();
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-console-fleet-'));
    mkdirSync(join(dir, 'cloud'), { recursive: true });
    const registry = new SqliteRegistry(join(dir, 'cloud', 'registry.db'));
    const secretHash = await hashSecret(SECRET, 10);
    const now = Date.now();
    for (let i = 0; i < FLEET; i++) {
      await registry.create({ id: gatewayId(i), kind: 'gateway', groups: [`depot-${i % 10}`], tags: { site: `s${i % 50}` }, secretHash, enabled: true, createdAt: now, online: false });
    }
    await registry.close();
    cloud = await startBroker(join(dir, 'cloud'), ['--auth.allowAnonymous', 'false']);
    base = `http://127.0.0.1:${cloud.apiPort}`;
    token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();

    // every gateway but the last tenth connects: the page shows both states
    const online = FLEET - FLEET / 10;
    sim = spawn(process.execPath, ['--import', 'tsx', 'firmware-sim/src/main.ts', 'fleet', '--url', `mqtt://127.0.0.1:${cloud.port}`, '--gateways', String(online),
      '--rate', '0', '--connect-rate', '500', '--username', '{id}', '--password', SECRET, '--report-every', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let simOut = '';
    sim.stdout!.on('data', (d: Buffer) => (simOut = (simOut + d.toString()).slice(-4000)));
    sim.stderr!.on('data', (d: Buffer) => (simOut = (simOut + d.toString()).slice(-4000)));
    await waitFor(`${online} simulated gateways online at the cloud`, 180_000, async () => {
      const r = await apiCall(base, token, 'GET', '/v1/fleet?limit=1');
      return r.counts.online === online ? true : undefined;
    }, { everyMs: 1000, detail: () => simOut });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    sim?.kill('SIGTERM');
    if (sim !== undefined && sim.exitCode === null) await new Promise((r) => sim!.once('exit', r));
    await cloud?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`renders the first page and the counts of ${FLEET.toLocaleString()} gateways, and pages and filters on the server`, async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    const problems = watchProblems(page);
    await signIn(page, base, token);
    const requests: string[] = [];
    page.on('request', (r) => void (r.url().includes('/v1/') && requests.push(new URL(r.url()).pathname)));
    // A fresh load of the fleet page, signed in (the token is in this tab's sessionStorage).
    await page.goto('about:blank');
    await page.goto(`${base}/#/fleet`);
    const renderedAt = await page.waitForFunction(
      (n) => {
        const d = (globalThis as any).document;
        const count = d.querySelector('[data-count="Gateways"]')?.textContent;
        return count === n.toLocaleString() && d.querySelectorAll('[data-testid="fleet-table"] tbody tr').length === 100 ? (globalThis as any).performance.now() : false;
      },
      FLEET,
      { polling: 'raf', timeout: 30_000 },
    );
    const ms = Math.round((await renderedAt.jsonValue()) as number);
    console.log(`      fleet page, ${FLEET.toLocaleString()} gateways: first 100 rows and the counts rendered ${ms} ms after navigation`);
    assert.equal(await page.locator('[data-count="Online"]').textContent(), (FLEET - FLEET / 10).toLocaleString());
    assert.equal(requests.filter((p) => p === '/v1/fleet/stream').length, 1, 'one request (the pushed page), not one per row');
    assert.equal(requests.filter((p) => p.startsWith('/v1/devices/')).length, 0);

    await page.getByRole('button', { name: 'Next' }).click();
    await page.locator(`tr[data-gateway="${gatewayId(100)}"]`).waitFor();
    await page.getByLabel('Group').selectOption('depot-3');
    await page.getByText(`1–100 of ${FLEET / 10}`).waitFor();
    assert.equal(await page.locator('[data-count="Gateways"]').textContent(), (FLEET / 10).toLocaleString());
    assert.deepEqual(problems, []);
  });
});
