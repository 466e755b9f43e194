import assert from 'node:assert/strict';
import { CausewayError } from '@causeway/shared';
import { fleetOptionsFrom } from '../../src/fleet/fleet-command.js';

describe('causeway-sim fleet arguments', () => {
  it('parses every option', () => {
    const o = fleetOptionsFrom([
      '--url', 'mqtt://127.0.0.1:1883,mqtt://127.0.0.1:1884', '--gateways', '2000', '--rate', '0.5', '--devices', '2', '--qos', '0',
      '--duration', '60', '--connect-rate', '1000', '--spread-addresses', 'false', '--observe', 'true', '--report-every', '2', '--id-prefix', 'x-',
      '--address-offset', '17000', '--connect-timeout', '600',
    ]);
    assert.deepEqual(o, {
      url: 'mqtt://127.0.0.1:1883', urls: ['mqtt://127.0.0.1:1883', 'mqtt://127.0.0.1:1884'], gateways: 2000, qos: 0, reportEveryS: 2, connectTimeoutS: 600,
      rateHz: 0.5, devices: 2, durationS: 60, connectRatePerSec: 1000, spreadSourceAddresses: false, observe: true, idPrefix: 'x-', addressOffset: 17000,
    });
  });

  const bad: { argv: string[]; message: RegExp }[] = [
    { argv: ['--gateways', '1'], message: /--url/ },
    { argv: ['--url', 'mqtt://127.0.0.1:1'], message: /--gateways N is required/ },
    { argv: ['--url', 'mqtt://127.0.0.1:1', '--gateways', '0'], message: /--gateways must be/ },
    { argv: ['--url', 'mqtt://127.0.0.1:1', '--gateways', '1', '--qos', '2'], message: /--qos must be 0 or 1/ },
    { argv: ['--url', 'mqtt://127.0.0.1:1', '--gateways', '1', '--observe', 'yes'], message: /true or false/ },
    { argv: ['--url', 'mqtt://127.0.0.1:1', '--gateways', '1', '--bogus', '1'], message: /unknown option --bogus/ },
    { argv: ['--url', 'mqtt://127.0.0.1:1', '--gateways', '1', '--address-offset', '-1'], message: /--address-offset must be a whole number >= 0/ },
    { argv: ['--url', 'mqtt://127.0.0.1:1', '--gateways', '1', '--address-offset', '1.5'], message: /--address-offset must be a whole number/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.argv.join(' ')}`, () => {
      assert.throws(() => fleetOptionsFrom(c.argv), (err: unknown) => err instanceof CausewayError && err.code === 'USAGE' && c.message.test(err.message));
    });
  }
});
