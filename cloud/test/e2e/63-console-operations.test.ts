import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { encodeEnvelope, type EventEnvelope } from '@causeway/shared';
import { apiCall, freePort, startBroker, waitFor, type BrokerProcess } from './fixtures/broker-process.js';
import { buildConsole, launchBrowser, screenshot, seriousA11yViolations, signIn, watchProblems } from './fixtures/console-browser.js';

const run = promisify(execFile);
const TOKEN = 'operator-token-for-e2e-63';

/**
 * Issue 18, "a newcomer can do everything the CLI can, in the browser": the console's Updates, Sinks and
 * Access pages and a gateway's logs and diagnostics, against a real causeway-cloud, a real causeway-edge
 * and a real webhook receiver, in Debian's headless Chromium. A file published with the CLI (the signing
 * key stays on the operator's machine) is rolled out from the browser and installed by the agent; a
 * webhook sink is paused, resumed and replayed; an app and a claim token are created (each secret shown
 * once), then deleted and revoked; the gateway's log and diagnostics come back over the command channel.
 */
describe('cloud e2e 63: the console does what the CLI does — updates, sinks, access, logs, diagnostics @e2e', function () {
  this.timeout(180_000);
  let dir: string;
  let cloud: BrokerProcess;
  let base: string;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let edge: ChildProcess | undefined;
  let receiver: Server | undefined;
  let hooked = 0;
  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(base, TOKEN, method, path, body);
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', base, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: TOKEN }, timeout: 60_000 });
  const goto = async (hash: string): Promise<void> => {
    await page.evaluate((h) => ((globalThis as any).location.hash = h), hash);
    await page.locator('main h1').first().waitFor();
  };

  before(async () => {
    buildConsole();
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-console-ops-'));
    const key = join(dir, 'release-key.pem');
    const keys = await run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', 'keys', 'init', '--key', key], { timeout: 60_000 });
    const trusted = keys.stdout.trim().split('\n').at(-1)!;

    const hookPort = await freePort();
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        hooked++;
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver!.listen(hookPort, '127.0.0.1', r));
    writeFileSync(join(dir, 'hook.key'), 'a-webhook-signing-key-of-e2e-63', { mode: 0o600 });
    // The claims CA, so a waiting gateway can ask for a certificate (issue 20: the approval queue says which did).
    const ssl = (...args: string[]): string => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=e2e63-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', 'ca.key', '-out', 'ca.pem');
    ssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=gw-wait-2', '-keyout', 'gw-wait-2.key', '-out', 'gw-wait-2.csr');
    writeFileSync(join(dir, 'cloud.json'), JSON.stringify({
      api: { operatorToken: TOKEN },
      claims: { caCert: join(dir, 'ca.pem'), caKey: join(dir, 'ca.key') },
      files: { trustedKeys: [trusted] },
      sinks: [{ name: 'hooks', queue: 'events', maxMessages: 1, transform: { type: 'fields', fields: { event: 'event' } }, target: { type: 'webhook', url: `http://127.0.0.1:${hookPort}/in`, secretFile: join(dir, 'hook.key'), timeoutMs: 2000 } }],
    }));
    cloud = await startBroker(join(dir, 'cloud'), ['--config', join(dir, 'cloud.json'), '--auth.allowAnonymous', 'false']);
    base = `http://127.0.0.1:${cloud.apiPort}`;

    const secret = (await call('POST', '/v1/devices', { id: 'gw-ops', groups: ['depot'] })).secret as string;
    const root = join(dir, 'files');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(dir, 'edge.json'), JSON.stringify({
      gateway: { id: 'gw-ops' },
      cloud: { url: `mqtt://127.0.0.1:${cloud.port}`, username: 'gw-ops', password: secret, backoffBaseMs: 100, backoffMaxMs: 1000 },
      store: { path: join(dir, 'outbox.db') },
      files: { root, trustedKeys: [trusted], chunkTimeoutMs: 3000 },
    }));
    edge = spawn(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', '--config', join(dir, 'edge.json')], { stdio: ['ignore', 'ignore', 'ignore'] });
    await waitFor('gw-ops online', 30_000, async () => ((await call('GET', '/v1/devices/gw-ops')).online ? true : undefined));

    writeFileSync(join(dir, 'route-map.json'), '{"roads": ["A1", "B2"]}\n');
    await cli(['file', 'publish', join(dir, 'route-map.json'), '--name', 'route-map', '--version', 'v1', '--path', 'maps/route-map.json', '--key', key]);

    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    problems = watchProblems(page);
    await signIn(page, base, TOKEN);
  });

  after(async () => {
    await browser?.close();
    edge?.kill('SIGKILL');
    await cloud?.stop();
    receiver?.closeAllConnections();
    receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    assert.deepEqual(problems.splice(0), [], `page problems during "${this.currentTest?.title}"`);
  });

  it('Updates: lists the published file and rolls it out to a gateway, followed to SUCCEEDED, installed at its path', async () => {
    await goto('#/updates');
    const row = page.locator('[data-testid="artifacts-table"] tr[data-artifact="route-map@v1"]');
    await row.waitFor({ timeout: 15_000 });
    assert.match((await row.textContent()) ?? '', /maps\/route-map\.json/);
    await page.getByRole('button', { name: 'roll out route-map v1' }).click();
    await page.getByLabel('Gateway id').fill('gw-ops');
    await page.getByRole('button', { name: 'Start the rollout' }).click();
    await page.getByRole('link', { name: /follow command/ }).click();
    await page.locator('[data-testid="follow-targets"] tr[data-target="gw-ops"]').getByText('SUCCEEDED').waitFor({ timeout: 60_000 });
    assert.equal(readFileSync(join(dir, 'files', 'maps', 'route-map.json'), 'utf8'), '{"roads": ["A1", "B2"]}\n');
    await goto('#/updates');
    await page.locator('[data-testid="artifacts-table"] tbody tr').first().waitFor();
    assert.deepEqual(await seriousA11yViolations(page), [], 'updates page');
    await screenshot(page, 'updates');
  });

  it('Sinks: shows the webhook sink writing, pauses it (lag grows), resumes it, and replays it from the earliest message', async () => {
    const gw = await mqtt.connectAsync(`mqtt://127.0.0.1:${cloud.port}`, { clientId: 'gw-pub', username: 'gw-pub', password: (await call('POST', '/v1/devices', { id: 'gw-pub' })).secret, reconnectPeriod: 0 });
    const publish = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const env: EventEnvelope = { v: 1, type: 'event', id: `ev-${Date.now()}-${i}`, gateway: 'gw-pub', device: 'door-1', event: 'opened', severity: 'info', ts: Date.now(), data: {} };
        await gw.publishAsync(`events/gw-pub/door-1/opened`, encodeEnvelope(env), { qos: 1 });
      }
    };
    try {
      await publish(3);
      await waitFor('3 posts at the webhook', 20_000, () => (hooked >= 3 ? true : undefined));
      await goto('#/sinks');
      const row = page.locator('[data-testid="sinks-table"] tr[data-sink="hooks"]');
      await row.getByText('running').waitFor({ timeout: 15_000 });
      assert.match((await row.textContent()) ?? '', /webhook/);

      await page.getByRole('button', { name: 'pause hooks' }).click();
      await row.getByText('paused').waitFor({ timeout: 15_000 });
      assert.equal((await call('GET', '/v1/sinks/hooks')).state, 'paused');
      const before = hooked;
      await publish(2);
      await waitFor('lag 2 while paused', 20_000, async () => ((await call('GET', '/v1/sinks/hooks')).lag === 2 ? true : undefined));
      assert.equal(hooked, before, 'nothing posted while paused');

      await page.getByRole('button', { name: 'resume hooks' }).click();
      await row.getByText('running').waitFor({ timeout: 15_000 });
      await waitFor('the 2 held posts delivered', 20_000, () => (hooked >= before + 2 ? true : undefined));

      const beforeReplay = hooked;
      await page.getByLabel('replay hooks from (offset, ISO time or earliest)').fill('earliest');
      await page.getByRole('button', { name: 'replay hooks' }).click();
      await page.getByRole('status').filter({ hasText: /hooks replays from offset \d+/ }).waitFor({ timeout: 15_000 });
      await waitFor('all 5 events posted again', 30_000, () => (hooked >= beforeReplay + 5 ? true : undefined));
      await page.getByLabel('replay hooks from (offset, ISO time or earliest)').fill('yesterday');
      await page.getByRole('button', { name: 'replay hooks' }).click();
      await page.getByRole('alert').filter({ hasText: '"yesterday" is neither an offset, a time nor "earliest"' }).waitFor();
      assert.deepEqual(await seriousA11yViolations(page), [], 'sinks page');
      await screenshot(page, 'sinks');
    } finally {
      await gw.endAsync();
    }
  });

  it('Access: an app and a claim token, each secret shown once; the app deleted, the claim revoked', async () => {
    await goto('#/access');
    await page.getByLabel('App name').fill('billing');
    await page.getByLabel('Reads queues (comma-separated)').fill('telemetry, events');
    await page.getByRole('button', { name: 'Create the app' }).click();
    assert.match((await page.locator('[data-testid="secret-value"]').textContent()) ?? '', /^cwa_billing\./);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('[data-testid="apps-table"] tr[data-app="billing"]').getByText('telemetry, events').waitFor();
    assert.deepEqual((await call('GET', '/v1/apps/billing')).read, ['telemetry', 'events']);

    await page.getByLabel('Gateways it may onboard').fill('5');
    await page.getByLabel('Their groups (comma-separated)').fill('depot');
    await page.getByRole('button', { name: 'Create a claim token' }).click();
    const claimToken = (await page.locator('[data-testid="secret-value"]').textContent()) ?? '';
    assert.match(claimToken, /^cw_claim_/);
    await page.getByRole('button', { name: 'Done' }).click();
    const claims = (await call('GET', '/v1/claims')).claims as Array<{ id: string; maxUses: number; groups: string[]; revoked: boolean }>;
    assert.equal(claims.length, 1);
    assert.deepEqual([claims[0]!.maxUses, claims[0]!.groups], [5, ['depot']]);
    const claimRow = page.locator(`[data-testid="claims-table"] tr[data-claim="${claims[0]!.id}"]`);
    await claimRow.getByText('open').waitFor();
    assert.equal((await claimRow.locator('td').nth(2).textContent())?.trim(), 'no', 'the Approval column: not required');
    assert.deepEqual(await seriousA11yViolations(page), [], 'access page');
    await screenshot(page, 'access');

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'delete app billing' }).click();
    await page.locator('[data-testid="apps-table"] tr[data-app="billing"]').waitFor({ state: 'detached' });
    assert.equal((await call('GET', '/v1/apps')).apps.length, 0);
    await page.getByRole('button', { name: `revoke claim ${claims[0]!.id}` }).click();
    await claimRow.getByText('revoked').waitFor();
    assert.equal((await call('GET', '/v1/claims')).claims[0].revoked, true);
    // a revoked claim onboards nobody
    const refused = await fetch(`${base}/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ claimToken, id: 'gw-late' }) });
    assert.equal(refused.status >= 400 && refused.status < 500, true, `register with a revoked claim: ${refused.status}`);
  });

  it('Access: a claim that needs approval; the waiting gateways approved or rejected from the page', async () => {
    await goto('#/access');
    await page.getByLabel('Gateways it may onboard').fill('2');
    await page.getByLabel("Each gateway waits for an operator's approval").check();
    await page.getByRole('button', { name: 'Create a claim token' }).click();
    const claimToken = (await page.locator('[data-testid="secret-value"]').textContent()) ?? '';
    await page.getByRole('button', { name: 'Done' }).click();
    const approvalClaim = ((await call('GET', '/v1/claims')).claims as Array<{ id: string; approval: boolean }>).find((c) => c.approval);
    assert.ok(approvalClaim, 'the claim was made with approval');
    await page.locator(`[data-testid="claims-table"] tr[data-claim="${approvalClaim.id}"]`).getByText('required').waitFor({ timeout: 15_000 });
    // gw-wait-2 asks for a certificate (a CSR) with its secret, gw-wait-1 for a secret only
    const csr = readFileSync(join(dir, 'gw-wait-2.csr'), 'utf8');
    const register = (id: string) => fetch(`${base}/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ claimToken, id, secret: `a-secret-of-${id}-long-enough-0123456789`, ...(id === 'gw-wait-2' ? { csr } : {}) }) });
    assert.equal((await register('gw-wait-1')).status, 202);
    assert.equal((await register('gw-wait-2')).status, 202);
    await page.locator('[data-testid="pending-table"] tr[data-registration="gw-wait-2"]').waitFor({ timeout: 15_000 });
    const certificateCell = (gw: string) => page.locator(`[data-testid="pending-table"] tr[data-registration="${gw}"] td`).nth(1).textContent();
    assert.equal((await certificateCell('gw-wait-1'))?.trim(), 'no', 'the Certificate column: it asked for a secret');
    assert.equal((await certificateCell('gw-wait-2'))?.trim(), 'yes', 'the Certificate column: it asked with a CSR');
    await page.getByRole('button', { name: 'approve gw-wait-1' }).click();
    await page.getByLabel('Reason given to a rejected gateway').fill('not one of ours');
    await page.getByRole('button', { name: 'reject gw-wait-2' }).click();
    await page.locator('[data-testid="pending-table"] tbody tr').first().waitFor({ state: 'detached', timeout: 15_000 });
    assert.equal((await register('gw-wait-1')).status, 201, 'approved: registered');
    const rejected = await register('gw-wait-2');
    assert.equal(rejected.status, 403);
    assert.match(JSON.stringify(await rejected.json()), /CLAIM_REJECTED.*not one of ours/);
    assert.deepEqual(await seriousA11yViolations(page), [], 'access page with the approval queue');
  });

  it('Queues: the newest messages of a queue, decoded, as causeway consume shows them, with no group created', async () => {
    await goto('#/queues');
    await page.getByRole('combobox', { name: 'Queue', exact: true }).selectOption('events');
    const rows = page.locator('[data-testid="recent-table"] tbody tr');
    await rows.first().waitFor({ timeout: 15_000 });
    assert.equal(await rows.count(), 5, 'the five events published');
    assert.match((await rows.first().textContent()) ?? '', /events\/gw-pub\/door-1\/opened.*"event":"opened"/);
    await page.getByLabel('Of gateway').fill('gw-none');
    await page.getByLabel('Of gateway').press('Tab');
    await waitFor('no message of gw-none', 15_000, async () => ((await rows.count()) === 0 ? true : undefined));
    const groups = (await call('GET', '/v1/queues')).queues.find((q: { queue: string }) => q.queue === 'events').groups.map((g: { group: string }) => g.group);
    assert.deepEqual(groups, ['_sink-hooks'], 'showing messages created no consumer group');
    assert.deepEqual(await seriousA11yViolations(page), [], 'queues page');
  });

  it('Devices: a CSV import lists every bad row and imports nothing, then imports all and hands the secrets over as a file', async () => {
    await goto('#/devices');
    await page.getByLabel('or its text').fill('id,groups,tags\ngw-imp-1,north,site=a\nbad/id,north,\ngw-imp-2,north,site\n');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const errors = page.locator('[data-testid="import-errors"]');
    await errors.waitFor({ timeout: 15_000 });
    const listed = (await errors.locator('li').allTextContents()).join('\n');
    assert.match(listed, /line 3/);
    assert.match(listed, /line 4/);
    assert.equal((await call('GET', '/v1/devices')).devices.some((d: { id: string }) => d.id === 'gw-imp-1'), false, 'nothing imported');

    await page.getByLabel('or its text').fill('id,groups,tags\ngw-imp-1,north,site=a\ngw-imp-2,north;rsu,site=b\n');
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Import', exact: true }).click()]);
    await page.getByRole('status').filter({ hasText: 'imported 2, unchanged 0' }).waitFor({ timeout: 15_000 });
    const secrets = readFileSync(await file.path(), 'utf8').trim().split('\n');
    assert.equal(secrets[0], 'id,kind,secret');
    assert.deepEqual(secrets.slice(1).map((l) => l.split(',').slice(0, 2).join(',')), ['gw-imp-1,gateway', 'gw-imp-2,gateway']);
    assert.equal((await page.locator('main').textContent())?.includes(secrets[1]!.split(',')[2]!), false, 'the secret is not shown on the page');
    assert.deepEqual((await call('GET', '/v1/devices/gw-imp-2')).groups, ['north', 'rsu']);
    // the secret in the file is the one the cloud accepts
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${cloud.port}`, { clientId: 'gw-imp-1', username: 'gw-imp-1', password: secrets[1]!.split(',')[2]!, reconnectPeriod: 0 });
    await c.endAsync();
    assert.deepEqual(await seriousA11yViolations(page), [], 'devices page');
  });

  it("Gateway: its log and its diagnostics, asked over the command channel and shown in the page", async () => {
    await goto('#/gateway/gw-ops');
    await page.getByRole('button', { name: 'Fetch its log' }).click();
    const log = page.locator('[data-testid="gw-log"]');
    await log.waitFor({ timeout: 30_000 });
    assert.match((await log.textContent()) ?? '', /agent started/);
    assert.ok(!((await log.textContent()) ?? '').includes(readFileSync(join(dir, 'edge.json'), 'utf8').match(/"password":"([^"]+)"/)![1]!), 'the secret is not in the log');
    await page.getByRole('button', { name: 'Run its diagnostics' }).click();
    const diag = page.locator('[data-testid="gw-diagnose"]');
    await diag.waitFor({ timeout: 30_000 });
    const report = JSON.parse((await diag.textContent()) ?? '{}');
    assert.ok(report.network !== undefined && report.outbox !== undefined && report.disk !== undefined, JSON.stringify(report));
    assert.deepEqual(await seriousA11yViolations(page), [], 'gateway page with its log and diagnostics');
    assert.ok(existsSync(join(dir, 'outbox.db')));
  });
});
