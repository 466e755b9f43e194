import assert from 'node:assert/strict';
import { build } from 'esbuild';

/**
 * Issue 14: the agent is a small program on a gateway. What its entry point pulls in — the bundle the
 * single executable is built from — must not contain the cloud (JetStream, the control plane) nor `nats`,
 * which a gateway never runs. Native addons stay outside the bundle, as in edge/package/build-sea.ts.
 */
describe('edge/package: what the agent bundle contains', function () {
  this.timeout(60_000);
  let inputs: string[];
  before(async () => {
    const res = await build({
      entryPoints: ['edge/src/main.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      metafile: true,
      logLevel: 'silent',
      external: ['better-sqlite3', '@serialport/bindings-cpp', 'bufferutil', 'utf-8-validate'],
    });
    inputs = Object.keys(res.metafile.inputs);
  });

  it('holds the agent, the broker core and shared, and no nats', () => {
    assert.ok(inputs.some((p) => p.startsWith('edge/src/')), 'the agent itself');
    assert.ok(inputs.some((p) => p.startsWith('broker/src/')), 'the broker core (the LAN listener)');
    assert.ok(inputs.some((p) => p.startsWith('shared/src/')), 'shared');
    assert.deepEqual(inputs.filter((p) => /node_modules\/nats\//.test(p)), [], 'nats is not in the agent');
  });

  it('holds nothing of the cloud program, the simulator or the demo', () => {
    assert.deepEqual(inputs.filter((p) => /^(cloud|firmware-sim|demo)\//.test(p)), []);
  });
});
