import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { removeDir, startBroker, tempDir, waitFor, type BrokerProcess } from './fixtures/broker-process.js';

/**
 * The X.509 library that signs gateways' CSRs (~22 MB of RSS, issue 20) is loaded only by a cloud that
 * has a CA (claims.caCert): a module hook makes resolving it fail loudly, so a cloud that imported it
 * anyway would not start.
 */
describe('cloud e2e 15: the X.509 library loads only with a claims CA @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  let hook: string;
  let broker: BrokerProcess | undefined;

  before(() => {
    dir = tempDir('cw-e2e-x509-');
    writeFileSync(join(dir, 'hooks.mjs'), `export async function resolve(spec, ctx, next) {
  if (spec === '@peculiar/x509' || spec === 'reflect-metadata') throw new Error('X509_LOADED: ' + spec);
  return next(spec, ctx);
}
`);
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
    hook = pathToFileURL(join(dir, 'register.mjs')).href;
  });

  afterEach(async () => {
    await broker?.stop();
    broker = undefined;
  });

  after(() => removeDir(dir));

  it('starts and serves its API without it when no CA is configured', async () => {
    broker = await startBroker(join(dir, 'store-a'), ['--api.host', '127.0.0.1'], { nodeArgs: ['--import', hook] });
    const health = await waitFor('the API', 20_000, async () => {
      const r = await fetch(`http://127.0.0.1:${broker!.apiPort}/v1/health`).catch(() => undefined);
      return r?.status === 200 ? r : undefined;
    });
    assert.equal(health.status, 200);
    assert.equal(broker.proc.exitCode, null, 'still running');
    assert.ok(!broker.lines.join('\n').includes('X509_LOADED'), broker.lines.join('\n'));
  });

  it('(control) does load it, and so trips the hook, once a CA is configured', async () => {
    const run = startBroker(join(dir, 'store-b'), ['--claims.caCert', join(dir, 'ca.pem'), '--claims.caKey', join(dir, 'ca.key')], { nodeArgs: ['--import', hook] });
    const outcome = await run.then(
      async (b) => {
        broker = b;
        return waitFor('the cloud to fail loading its CA', 20_000, () => (b.proc.exitCode !== null || b.lines.join('\n').includes('X509_LOADED') ? b.lines.join('\n') : undefined));
      },
      (err: Error) => err.message,
    );
    assert.match(outcome, /X509_LOADED/);
  });
});
